// The ES modules of node_modules as V8 receives them: without comments and
// layout. V8 keeps every module's source text while the module lives (lazy
// compilation, and recompilation after bytecode flushing), in the main thread
// and again in the worker thread: 6.6 of the checker's 8.5 MiB of loaded
// source is node_modules, 3.7 MiB once minified (docs/footprint.md). Names,
// statements and line structure of our own sources are untouched (ts-hooks.js
// never passes them here), so stack traces into the node's code keep their
// lines; frames inside a library show the minified file's positions
// (CHECKERNET_KEEP_SOURCES=1 keeps its sources as published).
//
// esbuild (tsx's, already installed) minifies whitespace only: the same
// program. It runs on a cache miss alone: the result is kept in the cache
// directory, keyed by the source's SHA-256, the Node version and esbuild's
// version (read from its package.json, not by loading it: another esbuild may
// print other text, and a cache made by it must not pass for this one's), so a
// started node loads the cached file and never loads esbuild; after a miss its
// service is stopped once no module has been minified for a second. Entries
// are written whole or not at all (@checkernet/runtime/cacheFile); a cache
// that cannot be written (read-only, full) costs the minifying, nothing else.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { writeCacheEntry } from "@checkernet/runtime/cacheFile";

const FORMAT = "ws1";
/**
 * Smaller modules are left as published: the 515 ES modules of 2 KiB or more hold 89 % of what
 * minifying saves in the checker's graph, and the first start minifies only those (~half the time).
 */
const MIN_BYTES = 2048;
const keep = process.env.CHECKERNET_KEEP_SOURCES === "1";
/** Loads what is installed next to the launcher: esbuild is tsx's, not a dependency of ours, used when present. */
const installed = createRequire(import.meta.url);

/**
 * The installed esbuild: its version (for the cache key) and how to load it (at the first miss only);
 * null when it is not installed.
 */
export function installedEsbuild() {
  let version;
  try {
    version = JSON.parse(readFileSync(installed.resolve("esbuild/package.json"), "utf8")).version;
  } catch {
    return null;
  }
  let loaded;
  return {
    version,
    load() {
      loaded ??= installed("esbuild");
      return loaded;
    },
  };
}

const esbuild = installedEsbuild();
/** Minifiers that failed as programs (not on a module's syntax): nothing more is minified with them. */
const broken = new WeakSet();
let stopTimer;

/** Whether esbuild refused the module's syntax (its messages point into the source), not failed itself. */
function isSyntaxFailure(error) {
  return Array.isArray(error?.errors) && error.errors.some((m) => m?.location != null);
}

/**
 * The minified text, the source itself when esbuild refuses its syntax, or undefined when esbuild cannot
 * run (not loadable, its service failing): nothing is cached then, a later start may minify it.
 */
function minify(source, minifier) {
  if (broken.has(minifier)) return undefined;
  let build;
  try {
    build = minifier.load();
    clearTimeout(stopTimer);
    stopTimer = setTimeout(() => build.stop(), 1000);
    stopTimer.unref?.();
    const { code } = build.transformSync(source, {
      loader: "js",
      minifyWhitespace: true,
      legalComments: "none",
    });
    return code.length < source.length ? code : source;
  } catch (e) {
    // Syntax esbuild does not take: V8 gets the module as published, and the cache says so.
    if (isSyntaxFailure(e)) return source;
    broken.add(minifier);
    return undefined;
  }
}

/**
 * The minified text of an ES module's `source` (a string or bytes), from the cache in `dir` or made
 * now and cached; undefined when it is kept as published: CHECKERNET_KEEP_SOURCES=1, under MIN_BYTES,
 * or no esbuild to minify it (nor a cache entry read). `minifier` is the installed esbuild
 * (installedEsbuild(); tests pass another version or none).
 */
export function minifiedSource(source, dir, minifier = esbuild) {
  if (keep || source.length < MIN_BYTES || minifier === null) return undefined;
  const text = typeof source === "string" ? source : Buffer.from(source).toString("utf8");
  const key = createHash("sha256")
    .update(`${process.version}\0${minifier.version}\0${FORMAT}\0`)
    .update(text)
    .digest("hex");
  const file = join(dir, `m-${key.slice(0, 40)}.js`);
  try {
    return readFileSync(file, "utf8");
  } catch {
    const code = minify(text, minifier);
    if (code !== undefined) writeCacheEntry(file, code);
    return code;
  }
}
