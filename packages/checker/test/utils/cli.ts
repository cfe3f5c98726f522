import { spawnSync } from "node:child_process";
import { join } from "node:path";

/** The checker's launcher, as an operator runs it (through tsx). */
export const CHECKER_BIN = join(import.meta.dirname, "../../bin/checker.js");

/** Runs `checker <args>` to completion with no password unless `env` sets one. */
export function runChecker(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CHECKER_BIN, ...args], {
    encoding: "utf8",
    env: { ...process.env, CHECKER_PASSWORD: "", ...env },
    timeout: 20_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
