import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, readFileSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** A child process of the devnet, its output appended to a log file. */
export interface Child {
  readonly name: string;
  readonly logFile: string;
  readonly process: ChildProcess;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** Everything the child wrote to stdout since it started (for readiness lines). */
  stdout(): string;
  /** Set once stop() was asked for: an exit after that is expected, not a failure. */
  stopping: boolean;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /**
   * A long-running node child (`command` is node): preload lifeline.ts and hold its stdin open, so that
   * it stops when the devnet dies, even by SIGKILL, instead of running on as an orphan.
   */
  lifeline?: boolean;
  /** A network namespace to run in (the testbed's hosts): `ip netns exec <netns> <command> ...`. */
  netns?: string;
}

/** lifeline.ts, as node's --import wants it. */
const LIFELINE = pathToFileURL(join(import.meta.dirname, "lifeline.ts")).href;

/**
 * Starts a child in its own process group, so that a Ctrl-C in the terminal
 * reaches the devnet only and the devnet stops its children in order
 * (checkers before providers before the chain); the group also lets stop()
 * reach any grandchild a tool may start. A lifeline child also stops by
 * itself when the devnet dies (lifeline.ts): the group is then nobody's.
 */
export function spawnChild(options: SpawnOptions): Child {
  const log: WriteStream = createWriteStream(options.logFile, { flags: "a" });
  const lifeline = options.lifeline === true;
  const args = lifeline ? ["--import", LIFELINE, ...options.args] : options.args;
  // `ip netns exec` execs the command: the child's pid, signals and stdin are the command's own.
  const [command, argv] =
    options.netns === undefined
      ? [options.command, args]
      : ["ip", ["netns", "exec", options.netns, options.command, ...args]];
  const proc = spawn(command, argv, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env, ...(lifeline ? { CHECKERNET_LIFELINE: "stdin" } : {}) },
    stdio: [lifeline ? "pipe" : "ignore", "pipe", "pipe"],
    detached: true,
  });
  // The devnet never writes to a lifeline; its end is the message. A child gone first is no error here.
  proc.stdin?.on("error", () => {});
  let out = "";
  proc.stdout?.on("data", (chunk: Buffer) => {
    if (out.length < 1_000_000) out += chunk.toString("utf8");
    log.write(chunk);
  });
  proc.stderr?.on("data", (chunk: Buffer) => log.write(chunk));
  const exited = new Promise<number | string>((resolve) => {
    proc.once("error", (e) => {
      log.write(`devnet: cannot start ${options.command}: ${e.message}\n`);
      resolve("spawn-error");
    });
    // 'exit' can come before the last stdout chunk is read: wait for the pipes
    // to drain (a grandchild holding them open gets 2 s), or `init`'s JSON is cut.
    proc.once("exit", (code, signal) => {
      const drained = [proc.stdout, proc.stderr].map(
        (s) => new Promise<void>((r) => (s === null || s.closed ? r() : s.once("close", () => r()))),
      );
      void Promise.race([Promise.all(drained), new Promise((r) => setTimeout(r, 2_000))]).then(() =>
        resolve(code ?? signal ?? "unknown"),
      );
    });
  });
  void exited.then(() => log.end());
  live.add(proc);
  void exited.then(() => live.delete(proc));
  return {
    name: options.name,
    logFile: options.logFile,
    process: proc,
    exited,
    stdout: () => out,
    stopping: false,
  };
}

/** Every child still running, for the last-resort kill on exit. */
const live = new Set<ChildProcess>();

function signalGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  if (proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
  try {
    process.kill(-proc.pid, signal);
  } catch {
    try {
      proc.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
export async function stopChild(child: Child, graceMs = 10_000): Promise<number | string> {
  child.stopping = true;
  signalGroup(child.process, "SIGTERM");
  const timer = setTimeout(() => signalGroup(child.process, "SIGKILL"), graceMs);
  const code = await child.exited;
  clearTimeout(timer);
  // A grandchild that outlived its parent still belongs to the group.
  signalGroup(child.process, "SIGKILL");
  return code;
}

/**
 * If the devnet itself dies (an uncaught error, process.exit), its children
 * must not outlive it: kill whatever is left, synchronously.
 */
process.once("exit", () => {
  for (const proc of live) signalGroup(proc, "SIGKILL");
});

/** The last `lines` lines of a log file, for error messages. */
export function tailLog(file: string, lines = 20): string {
  try {
    const text = readFileSync(file, "utf8").trimEnd().split("\n");
    return text.slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Runs a command to completion; rejects with its output's tail when it fails. */
export async function runToEnd(options: SpawnOptions): Promise<string> {
  const child = spawnChild(options);
  const code = await child.exited;
  if (code !== 0) {
    throw new Error(
      `${options.name} failed (exit ${code}); last lines of ${options.logFile}:\n${tailLog(options.logFile)}`,
    );
  }
  return child.stdout();
}

/** Polls `probe` until it returns a value, the child dies, or `timeoutMs` passes. */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { timeoutMs: number; child?: Child; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError = "";
  for (;;) {
    if (options.child !== undefined && options.child.process.exitCode !== null) {
      throw new Error(
        `${options.child.name} exited (${options.child.process.exitCode}) while waiting for ${what}; last lines of ${options.child.logFile}:\n${tailLog(options.child.logFile)}`,
      );
    }
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      lastError = (e as Error).message;
    }
    if (Date.now() > deadline) {
      const tail =
        options.child === undefined
          ? ""
          : `\nlast lines of ${options.child.logFile}:\n${tailLog(options.child.logFile)}`;
      throw new Error(
        `timed out after ${options.timeoutMs} ms waiting for ${what}${lastError ? ` (${lastError})` : ""}${tail}`,
      );
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 250));
  }
}
