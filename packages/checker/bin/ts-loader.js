// How the launchers start the TypeScript CLI with no build step, at the
// smallest resident memory this Node allows (measurements: docs/footprint.md).
//
// Where process.execve exists (Node >= 22.15 / 23.11, Unix), the launcher
// replaces itself (same pid, same stdio) with
//   node <v8 flags> --import ts-hooks.js <the node's own flags> <bin> <args>
// and two glibc malloc settings (each unless already set): real command-line
// flags, so they size the heap from the start, and worker threads inherit them.
//   --max-semi-space-size=1: the young generation stays small instead of
//     growing to 16-64 MiB per semi-space (most of an idle node's heap).
//   --optimize-for-size (checker only: the provider's answer times are what
//     its deadlines judge, so it keeps V8's speed heuristics): V8 grows the
//     old generation more slowly and gives
//     memory back sooner (old space stayed at ~43 MiB committed for ~42 used,
//     against 174 MiB committed without it at 1,000 licenses).
//   --max-opt=2 (checker only): V8 stops at Maglev, no TurboFan; its code and
//     compiler zones cost ~12 MiB of RSS in a checker that is idle most of the
//     time (bench:footprint, docs/footprint.md); the provider, whose answer
//     times are judged, keeps TurboFan.
//   --no-sparkplug --bytecode-old-age=2 (checker only, its v8Flags): no
//     baseline code (interpreter, then Maglev), and bytecode of functions not
//     run for 2 GCs (V8: 6) is flushed, compiled again when called: a node
//     runs most of its code once an epoch or less (docs/footprint.md).
//   --max-old-space-size (checker only): a cap sized from measurement (a
//     node with 1,000 licenses uses ~45 MiB of old space), so a leak fails
//     the node instead of the laptop.
//   MALLOC_ARENA_MAX=2: glibc otherwise gives each of the ~14 threads its own
//     malloc arena, and freed memory stays in them.
//   MALLOC_MMAP_THRESHOLD_=131072: blocks from 128 KiB up (V8's compiler
//     zones, I/O buffers) are mapped and unmapped, not left as holes in an
//     arena; a fixed threshold also stops glibc raising it to 32 MiB.
//     Together ~55 -> ~20 MiB of malloc'd RSS in a checker.
//   ts-hooks.js: Node's type stripping with a cache of the stripped sources.
// Without process.execve: the semi-space growth factor (read at every
// scavenge, so it works when set at run time) and ts-hooks.js in this thread.
// tsx instead of Node's stripping before Node 22.18 or under node_modules
// (an installed package), which Node refuses to strip.
//
// CHECKERNET_NODE_FLAGS: more flags for the re-exec (experiments).
// CHECKERNET_LAUNCHER=tsx: tsx, no re-exec; =legacy: tsx and V8's defaults
// (the launcher before docs/footprint.md, for comparisons).
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";

const REEXEC_MARK = "CHECKERNET_LAUNCHED";

/**
 * Returns once the CLI may be imported (or never: the process becomes a new
 * one). `launcher` is the bin's import.meta.url.
 */
export async function prepare(launcher, options = {}) {
  const mode = process.env.CHECKERNET_LAUNCHER ?? "";
  const bin = realpathSync(fileURLToPath(launcher));
  const strip = process.features.typescript && !bin.includes("/node_modules/") && mode !== "tsx";
  if (mode === "legacy" || !strip) {
    if (mode !== "legacy") v8.setFlagsFromString("--semi-space-growth-factor=1");
    const { register } = await import("tsx/esm/api");
    register();
    return;
  }
  const hooks = new URL("./ts-hooks.js", import.meta.url).href;
  if (process.env[REEXEC_MARK] !== "1" && typeof process.execve === "function") {
    const flags = [`--max-semi-space-size=${options.semiSpaceMiB ?? 1}`];
    if (options.optimizeForSize === true) flags.push("--optimize-for-size");
    if (options.maxOldSpaceMiB !== undefined) flags.push(`--max-old-space-size=${options.maxOldSpaceMiB}`);
    if (options.maxOpt !== undefined) flags.push(`--max-opt=${options.maxOpt}`);
    flags.push(...(options.v8Flags ?? []));
    // More node/V8 flags for experiments (docs/footprint.md); a flag given twice, the last one counts.
    flags.push(...(process.env.CHECKERNET_NODE_FLAGS ?? "").split(/\s+/).filter((f) => f !== ""));
    const env = {
      ...process.env,
      [REEXEC_MARK]: "1",
      MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? "2",
      MALLOC_MMAP_THRESHOLD_: process.env.MALLOC_MMAP_THRESHOLD_ ?? "131072",
    };
    const argv = [
      process.execPath,
      ...flags,
      "--import",
      hooks,
      ...process.execArgv,
      bin,
      ...process.argv.slice(2),
    ];
    try {
      process.execve(process.execPath, argv, env);
    } catch {
      // Not allowed here (a sandbox): the in-process fallback below.
    }
  }
  if (process.env[REEXEC_MARK] === "1") {
    // Already in place (--import); the mark must not reach processes this node starts.
    delete process.env[REEXEC_MARK];
    return;
  }
  v8.setFlagsFromString("--semi-space-growth-factor=1");
  await import(hooks);
}
