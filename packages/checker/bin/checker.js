#!/usr/bin/env node
// Launcher: runs the TypeScript CLI with no build step, at the smallest
// resident memory this Node allows (ts-loader.js, docs/footprint.md).
import { prepare } from "./ts-loader.js";

await prepare(import.meta.url, {
  maxOldSpaceMiB: 192,
  optimizeForSize: true,
  maxOpt: 2,
  v8Flags: ["--no-sparkplug", "--bytecode-old-age=2"],
});
process.env.CHECKER_CLI_MAIN = "1";
await import("../src/cli.ts");
