#!/usr/bin/env node
// Launcher for the `sim` command: runs src/cli.ts under tsx (the repository's
// TypeScript runner) in a child Node process, passing arguments, standard
// streams and the exit code through.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, "..", "src", "cli.ts");
const require = createRequire(import.meta.url);
let tsx;
try {
  // Resolve tsx from this package (workspace hoisting puts it at the repository root).
  tsx = pathToFileURL(require.resolve("tsx")).href;
} catch {
  console.error("sim: cannot find tsx; run `npm run setup` at the repository root first");
  process.exit(1);
}
const child = spawn(process.execPath, ["--import", tsx, cli, ...process.argv.slice(2)], { stdio: "inherit" });
child.on("exit", (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
