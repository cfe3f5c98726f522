import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

// The launchers' memory settings (bin/ts-loader.js, docs/footprint.md): the process that runs the CLI must
// carry the heap flags on its command line and the malloc settings in its environment, in the same pid.
const ROOT = join(import.meta.dirname, "../../../..");
const CHECKER = join(ROOT, "packages/checker/bin/checker.js");
const PROVIDER = join(ROOT, "packages/provider/bin/provider.js");
const CHECKER_HOOKS = join(ROOT, "packages/checker/bin/ts-hooks.js");

/**
 * viem's `getAddress` as a process with the checker's module hooks sees it: its source text as V8 holds
 * it, and what it computes.
 */
function librarySource(env: NodeJS.ProcessEnv = {}): { text: string; checksummed: string } {
  const { CHECKERNET_KEEP_SOURCES: _, ...rest } = process.env;
  const res = spawnSync(
    process.execPath,
    [
      "--import",
      pathToFileURL(CHECKER_HOOKS).href,
      "--input-type=module",
      "-e",
      `const { getAddress } = await import("viem");
process.stdout.write(JSON.stringify({ text: getAddress.toString(), checksummed: getAddress("0x${"ab".repeat(20)}") }));`,
    ],
    { cwd: ROOT, env: { ...rest, ...env }, encoding: "utf8", timeout: 60_000 },
  );
  expect(res.status, res.stderr).toBe(0);
  return JSON.parse(res.stdout) as { text: string; checksummed: string };
}

/** Runs `bin --help` with a preload that records, at exit, what the final process ran with. */
function launch(bin: string, env: NodeJS.ProcessEnv = {}) {
  const dir = mkdtempSync(join(tmpdir(), "checkernet-launcher-"));
  const out = join(dir, "seen.json");
  const probe = join(dir, "probe.mjs");
  writeFileSync(
    probe,
    `import { writeFileSync } from "node:fs";
process.on("exit", () => writeFileSync(${JSON.stringify(out)}, JSON.stringify({
  pid: process.pid, execArgv: process.execArgv, arena: process.env.MALLOC_ARENA_MAX ?? null,
  mmap: process.env.MALLOC_MMAP_THRESHOLD_ ?? null, mark: process.env.CHECKERNET_LAUNCHED ?? null,
})));\n`,
  );
  const { CHECKERNET_LAUNCHER: _, MALLOC_ARENA_MAX: __, MALLOC_MMAP_THRESHOLD_: ___, ...rest } = process.env;
  const res = spawnSync(process.execPath, ["--import", pathToFileURL(probe).href, bin, "--help"], {
    env: { ...rest, ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(res.status, res.stderr).toBe(0);
  expect(res.stdout).toContain("Usage:");
  return JSON.parse(readFileSync(out, "utf8")) as {
    execArgv: string[];
    arena: string | null;
    mmap: string | null;
    mark: string | null;
  };
}

describe.runIf(typeof (process as { execve?: unknown }).execve === "function" && process.features.typescript)(
  "launchers",
  () => {
    it("checker: re-executes with a small young generation, an old-space cap and the cached TS hook", () => {
      const seen = launch(CHECKER);
      expect(seen.execArgv).toEqual(
        expect.arrayContaining([
          "--max-semi-space-size=1",
          "--optimize-for-size",
          "--max-old-space-size=192",
          // Maglev at most: ~6 MiB less at 1,000 licenses, the same CPU (docs/footprint.md).
          "--max-opt=2",
          // No baseline code, bytecode flushed after 2 GCs unused: RSS at 1,000 licenses (docs/footprint.md).
          "--no-sparkplug",
          "--bytecode-old-age=2",
        ]),
      );
      expect(seen.execArgv.some((a) => a.endsWith("/packages/checker/bin/ts-hooks.js"))).toBe(true);
      expect(seen.arena).toBe("2");
      expect(seen.mmap).toBe("131072");
      // The mark that stops a second re-exec must not leak into processes the node starts.
      expect(seen.mark).toBeNull();
    });

    it("provider: a small young generation, without the old-space cap or V8's size-over-speed mode", () => {
      const seen = launch(PROVIDER);
      expect(seen.execArgv).toContain("--max-semi-space-size=1");
      expect(seen.execArgv.some((a) => a.endsWith("/packages/provider/bin/ts-hooks.js"))).toBe(true);
      // Its answer times are what the deadlines judge: no flag that trades speed for memory.
      expect(seen.execArgv).not.toContain("--optimize-for-size");
      expect(seen.execArgv.some((a) => a.startsWith("--max-opt"))).toBe(false);
      expect(seen.execArgv.some((a) => a.includes("sparkplug") || a.startsWith("--bytecode-old-age"))).toBe(
        false,
      );
      expect(seen.execArgv.some((a) => a.startsWith("--max-old-space-size"))).toBe(false);
      expect(seen.arena).toBe("2");
    });

    it("a malloc setting the user chose is kept", () => {
      expect(launch(CHECKER, { MALLOC_ARENA_MAX: "4" }).arena).toBe("4");
    });

    it("checker: library ES modules reach V8 without comments or layout, computing the same", () => {
      const published = librarySource({ CHECKERNET_KEEP_SOURCES: "1" });
      const minified = librarySource();
      // V8 keeps each module's source while it lives: 6.6 MiB of node_modules, 3.7 minified (docs/footprint.md).
      expect(published.text).toContain("\n");
      expect(minified.text).not.toContain("\n");
      expect(minified.text.length).toBeLessThan(published.text.length);
      expect(minified.checksummed).toBe(published.checksummed);
    });

    it("CHECKERNET_LAUNCHER=legacy keeps V8's and glibc's defaults (for comparisons)", () => {
      const seen = launch(CHECKER, { CHECKERNET_LAUNCHER: "legacy" });
      expect(seen.execArgv.some((a) => a.startsWith("--max-semi-space-size"))).toBe(false);
      expect(seen.arena).toBeNull();
    });
  },
);
