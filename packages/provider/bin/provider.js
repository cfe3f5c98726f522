#!/usr/bin/env node
// Runs the TypeScript CLI in-process, so `provider` works from a checkout
// without a build step (Node >= 22, see the root README), at the smallest
// resident memory this Node allows (ts-loader.js, docs/footprint.md).
import { prepare } from "./ts-loader.js";

await prepare(import.meta.url);
await import("../src/cli.ts");
