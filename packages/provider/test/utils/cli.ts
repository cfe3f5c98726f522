import { type ChildProcess, spawn } from "node:child_process";

const BIN = new URL("../../bin/provider.js", import.meta.url).pathname;

/** What one `provider` command printed, and how it exited. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `provider <args>` in its own process (with `env` added to ours) and waits for it to exit. */
export function runProvider(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Starts `provider serve` and resolves with the machine-readable line it prints once it serves. */
export function serveProvider(
  args: string[],
): Promise<{ child: ChildProcess; line: { peerId: string; addrs: string[] } }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "serve", ...args]);
    let out = "";
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.stdout.on("data", (d) => {
      out += d;
      for (const line of out.split("\n")) {
        if (line.startsWith('{"peerId"')) resolve({ child, line: JSON.parse(line) });
      }
    });
    child.on("close", (code) => reject(new Error(`provider serve exited ${code}: ${err}`)));
  });
}
