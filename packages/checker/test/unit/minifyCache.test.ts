import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { threadId, Worker } from "node:worker_threads";
import { temporaryNameFor, writeCacheEntry } from "@checkernet/runtime/cacheFile";
import { afterEach, describe, expect, it } from "vitest";
// @ts-expect-error: the launcher's hooks are plain JavaScript without declarations.
import { installedEsbuild, minifiedSource } from "../../bin/minifyWhitespace.js";

// The launchers' module cache (bin/ts-hooks.js, bin/minifyWhitespace.js, the provider's ts-hooks.js): entries
// written whole by any number of threads and processes at once, keyed by what made them, and a cache that
// cannot be written only goes unused. launcher.test.ts checks what V8 receives through the hooks.

const CACHE_FILE = join(import.meta.dirname, "../../../runtime/src/cacheFile.js");

type Minifier = { version: string; load(): unknown } | null;
const minify = minifiedSource as (source: string, dir: string, minifier?: Minifier) => string | undefined;
const esbuild = (installedEsbuild as () => Minifier)();

/** A library-like ES module over MIN_BYTES (2 KiB) with comments and layout to remove. */
const MODULE = Array.from(
  { length: 80 },
  (_, i) => `// helper ${i}\nexport function helper${i}(value) {\n  return value + ${i};\n}\n`,
).join("\n");

const dirs: string[] = [];
function cacheDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "checkernet-cache-"));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("the launchers' module cache", () => {
  it("a temporary name carries the process, the thread and random bytes: no two writers share one", async () => {
    const file = "/cache/m-abc.js";
    const here = temporaryNameFor(file);
    expect(here).toContain(`.${process.pid}.${threadId}.`);
    expect(temporaryNameFor(file)).not.toBe(here);
    const worker = new Worker(
      `import { temporaryNameFor } from ${JSON.stringify(pathToFileURL(CACHE_FILE).href)};
import { parentPort } from "node:worker_threads";
parentPort.postMessage(temporaryNameFor(${JSON.stringify(file)}));`,
      { eval: true, type: "module" } as never,
    );
    const workerThread = worker.threadId;
    const there = await new Promise<string>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
    await worker.terminate();
    expect(workerThread).not.toBe(threadId);
    expect(there).toContain(`.${process.pid}.${workerThread}.`);
  });

  it("four threads write one entry at once: every read of it is whole, no temporary file is left", async () => {
    const dir = cacheDir();
    const entry = join(dir, "m-shared.js");
    // 4 MiB: a write takes long enough for another thread's rename to land in the middle of it.
    const text = `${"x".repeat(4 * 1024 * 1024)}END`;
    const writer = join(dir, "writer.mjs");
    writeFileSync(
      writer,
      `import { writeCacheEntry } from ${JSON.stringify(pathToFileURL(CACHE_FILE).href)};
import { workerData } from "node:worker_threads";
for (let i = 0; i < 40; i++) writeCacheEntry(workerData.entry, workerData.text);
Atomics.add(workerData.done, 0, 1);\n`,
    );
    const done = new Int32Array(new SharedArrayBuffer(4));
    const workers = [1, 2, 3, 4].map((i) => new Worker(writer, { workerData: { entry, text, done, i } }));
    const exited = Promise.all(workers.map((w) => new Promise((resolve) => w.once("exit", resolve))));
    // The main thread reads as fast as it can while they write (as a starting node's threads load modules).
    const lengths = new Set<number>();
    while (Atomics.load(done, 0) < workers.length) {
      try {
        lengths.add(readFileSync(entry, "utf8").length);
      } catch {
        // Not written yet.
      }
    }
    await exited;
    lengths.add(readFileSync(entry, "utf8").length);
    expect([...lengths]).toEqual([text.length]);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  }, 60_000);

  it.runIf(esbuild !== null)(
    "esbuild's version is in the key: another version's entry is not this one's",
    () => {
      const dir = cacheDir();
      const minified = minify(MODULE, dir, esbuild);
      expect(minified).toBeDefined();
      expect(minified!.length).toBeLessThan(MODULE.length);
      expect(readdirSync(dir)).toHaveLength(1);
      // The same source under another esbuild: a miss, minified again into an entry of its own.
      const other = { ...esbuild!, version: "0.0.0-other" };
      expect(minify(MODULE, dir, other)).toBe(minified);
      expect(readdirSync(dir)).toHaveLength(2);
      // And a hit for each afterwards.
      expect(minify(MODULE, dir, esbuild)).toBe(minified);
      expect(readdirSync(dir)).toHaveLength(2);
    },
  );

  it("without esbuild, or with one that cannot run, the module stays as published and nothing is cached", () => {
    const dir = cacheDir();
    expect(minify(MODULE, dir, null)).toBeUndefined();
    const failing = {
      version: "0.0.0-broken",
      load: () => ({
        transformSync: () => {
          throw Object.assign(new Error("The service was stopped"), {
            errors: [{ text: "The service was stopped", location: null }],
          });
        },
        stop: () => {},
      }),
    };
    expect(minify(MODULE, dir, failing)).toBeUndefined();
    const unloadable = {
      version: "0.0.0-missing-binary",
      load: () => {
        throw new Error('The package "@esbuild/linux-x64" could not be found');
      },
    };
    expect(minify(MODULE, dir, unloadable)).toBeUndefined();
    // A later start with a working esbuild minifies it: no entry holds the published text as "minified".
    expect(readdirSync(dir)).toEqual([]);
  });

  it.runIf(esbuild !== null)(
    "a module esbuild refuses as syntax is cached as published (esbuild's verdict)",
    () => {
      const dir = cacheDir();
      const bad = `${MODULE}\nexport const = ;\n`;
      expect(minify(bad, dir, esbuild)).toBe(bad);
      expect(readdirSync(dir)).toHaveLength(1);
    },
  );

  it.runIf(esbuild !== null)(
    "a cache that cannot be written (not a directory, read-only, full) only goes unused",
    () => {
      const notADir = join(cacheDir(), "file");
      writeFileSync(notADir, "");
      const minified = minify(MODULE, notADir, esbuild);
      expect(minified).toBeDefined();
      expect(minified!.length).toBeLessThan(MODULE.length);
      expect(writeCacheEntry(join(notADir, "m-x.js"), "text")).toBe(false);
    },
  );
});
