#!/usr/bin/env node
// Runs the TypeScript CLI in-process through tsx, so `provider` works from a
// checkout without a build step. Node >= 22 is required (see the root README).
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");
