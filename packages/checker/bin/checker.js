#!/usr/bin/env node
// Launcher: runs the TypeScript CLI through tsx, so the package needs no build step.
import { register } from "tsx/esm/api";

register();
process.env.CHECKER_CLI_MAIN = "1";
await import("../src/cli.ts");
