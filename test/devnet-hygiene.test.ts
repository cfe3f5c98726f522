/**
 * Process hygiene (issue 16): closing the terminal (SIGHUP) stops the whole
 * devnet cleanly, and a devnet killed outright (SIGKILL, no handler runs)
 * leaves no chain, checker or provider running: each child's lifeline
 * (scripts/devnet/lifeline.ts) ends with its parent.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
/** A devnet that comes up fast: 2 checkers, 1 provider. */
const ARGS = ["--checkers", "2", "--providers", "1", "--epoch-seconds", "10", "--no-live"];
/** Startup (chain, contracts, 3 nodes, then genesis 75 s after deployment) took 85 s on a busy 2-core machine. */
const UP_TIMEOUT_MS = 240_000;
/** Children stop within their own stop timeouts (checker ~5 s, lifeline's hard exit 15 s). */
const GONE_TIMEOUT_MS = 45_000;

let devnet: ChildProcess | undefined;
let kids: number[] = [];

afterEach(() => {
  devnet?.kill("SIGKILL");
  for (const pid of kids) alive(pid) && process.kill(pid, "SIGKILL");
});

/** Running and not a zombie (an orphan's zombie waits for a reaper, but runs nothing). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Direct children of `parent`, from /proc. */
function childrenOf(parent: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === parent) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * Starts the devnet as its own process and resolves once every node is up (`running`: once it also
 * shows its first refresh, after genesis: a signal before that ends the start-up, exit 130).
 */
async function startDevnetProcess(
  until: "nodes up" | "running",
): Promise<{ proc: ChildProcess; output: () => string }> {
  const dataDir = mkdtempSync(join(tmpdir(), "checkernet-hygiene-"));
  const proc = spawn(
    process.execPath,
    ["--import", "tsx", "scripts/devnet.ts", ...ARGS, "--data-dir", dataDir],
    {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  devnet = proc;
  let out = "";
  proc.stdout?.on("data", (b: Buffer) => (out += b.toString()));
  proc.stderr?.on("data", (b: Buffer) => (out += b.toString()));
  const deadline = Date.now() + UP_TIMEOUT_MS;
  const ready = until === "running" ? /\[epoch \d+\] checkers up 2\/2/ : /all nodes up/;
  while (!ready.test(out)) {
    if (proc.exitCode !== null) throw new Error(`the devnet exited (${proc.exitCode}):\n${out.slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`the devnet did not come up:\n${out.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  return { proc, output: () => out };
}

async function waitGone(pids: number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = pids.filter(alive);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("devnet process hygiene: no child outlives the devnet", () => {
  it("SIGHUP (the terminal closed) stops every process cleanly and the devnet exits 0", async () => {
    const { proc, output } = await startDevnetProcess("running");
    kids = childrenOf(proc.pid!);
    // The chain, 2 checkers and 1 provider.
    expect(kids.length).toBeGreaterThanOrEqual(4);
    const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
    proc.kill("SIGHUP");
    expect(await exited, output().slice(-2000)).toBe(0);
    expect(output()).toMatch(/SIGHUP: stopping every process/);
    expect(await waitGone(kids, GONE_TIMEOUT_MS)).toEqual([]);
  });

  it("SIGKILL of the devnet: every child notices its lifeline end and stops by itself", async () => {
    const { proc } = await startDevnetProcess("nodes up");
    kids = childrenOf(proc.pid!);
    expect(kids.length).toBeGreaterThanOrEqual(4);
    proc.kill("SIGKILL");
    expect(await waitGone(kids, GONE_TIMEOUT_MS)).toEqual([]);
  });
});
