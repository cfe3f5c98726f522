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
// directory, keyed by the source's SHA-256 and the Node version, so a started
// node loads the cached file and never loads esbuild; after a miss its
// service is stopped once no module has been minified for a second.
import { createHash } from "node:crypto";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const FORMAT = "ws1";
/**
 * Smaller modules are left as published: the 515 ES modules of 2 KiB or more hold 89 % of what
 * minifying saves in the checker's graph, and the first start minifies only those (~half the time).
 */
const MIN_BYTES = 2048;
const keep = process.env.CHECKERNET_KEEP_SOURCES === "1";
/** esbuild, loaded at the first miss; null when it cannot be loaded. */
let esbuild;
let stopTimer;

function minifier() {
  if (esbuild !== undefined) return esbuild;
  try {
    esbuild = createRequire(import.meta.url)("esbuild");
  } catch {
    esbuild = null;
  }
  return esbuild;
}

/** The minified text, or undefined without esbuild (nothing cached then: a later start may have it). */
function minify(source) {
  const build = minifier();
  if (build === null) return undefined;
  clearTimeout(stopTimer);
  stopTimer = setTimeout(() => build.stop(), 1000);
  stopTimer.unref?.();
  try {
    const { code } = build.transformSync(source, {
      loader: "js",
      minifyWhitespace: true,
      legalComments: "none",
    });
    return code.length < source.length ? code : source;
  } catch {
    // Syntax esbuild does not take: V8 gets the module as published.
    return source;
  }
}

/**
 * The minified text of an ES module's `source` (a string or bytes), from the cache in `dir` or made
 * now and cached; undefined when it is kept as published: CHECKERNET_KEEP_SOURCES=1, under MIN_BYTES,
 * or no esbuild to minify it.
 */
export function minifiedSource(source, dir) {
  if (keep || source.length < MIN_BYTES) return undefined;
  const text = typeof source === "string" ? source : Buffer.from(source).toString("utf8");
  const key = createHash("sha256").update(`${process.version}\0${FORMAT}\0`).update(text).digest("hex");
  const file = join(dir, `m-${key.slice(0, 40)}.js`);
  try {
    return readFileSync(file, "utf8");
  } catch {
    const code = minify(text);
    if (code === undefined) return undefined;
    try {
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, code);
      renameSync(tmp, file);
    } catch {
      // A read-only cache costs the minifying at every start, nothing else.
    }
    return code;
  }
}
