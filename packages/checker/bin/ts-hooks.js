// Loads the TypeScript sources through Node's type stripping with the stripped
// JavaScript kept in a cache, so that after the first start no stripping runs
// and Node never instantiates its WebAssembly stripper (~12 MiB per thread,
// ~25 MiB with the main thread's module graph; docs/footprint.md). A
// synchronous in-thread hook (module.registerHooks): no hooks thread. The
// launcher passes this file with --import, so worker threads install it too.
//
// The cache is <checkout>/node_modules/.cache/checkernet-ts (git-ignored, the
// user's own), keyed by the source's SHA-256 and the Node version. Without it
// (read-only checkout, no module.registerHooks) Node strips as usual.
//
// The same hook hands V8 the ES modules of node_modules without comments and
// layout (minifyWhitespace.js): V8 keeps every module's source text for as
// long as the module lives (to compile its functions lazily, and again after
// flushing their bytecode), 6.6 MiB of the checker's 8.5 MiB of sources.
//
// On the main thread, our modules' imports from viem's root get only the viem files they name
// (@checkernet/runtime's viemSlim.js; CHECKERNET_VIEM_ROOT=1 loads the whole root as published, for comparisons). The
// evaluator worker has its own stand-in (src/challenges/workerModules.ts).
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, realpathSync } from "node:fs";
import * as nodeModule from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isMainThread } from "node:worker_threads";
import { writeCacheEntry } from "@checkernet/runtime/cacheFile";
import { installViemSlim } from "@checkernet/runtime/viemSlim";
import { minifiedSource } from "./minifyWhitespace.js";

const { registerHooks, stripTypeScriptTypes } = nodeModule;
const dir = join(
  dirname(realpathSync(fileURLToPath(import.meta.url))),
  "../../../node_modules/.cache/checkernet-ts",
);
let usable = typeof registerHooks === "function" && typeof stripTypeScriptTypes === "function";
try {
  if (usable) mkdirSync(dir, { recursive: true });
} catch {
  usable = false;
}
/**
 * stripTypeScriptTypes is experimental in Node 22-24 and says so on stderr at its first call; a CLI's
 * stderr is for its own messages (scripts and tests read it), so that one warning is dropped.
 */
function stripQuietly(ts) {
  const emitWarning = process.emitWarning;
  process.emitWarning = (warning, ...rest) => {
    const type = typeof rest[0] === "string" ? rest[0] : rest[0]?.type;
    if (type === "ExperimentalWarning" && String(warning).includes("stripTypeScriptTypes")) return;
    emitWarning.call(process, warning, ...rest);
  };
  try {
    return stripTypeScriptTypes(ts, { mode: "strip" });
  } finally {
    process.emitWarning = emitWarning;
  }
}

/**
 * An ES module of node_modules with its whitespace and comments removed (cached like the stripped
 * sources); anything else (CommonJS, JSON, our own sources, a module the minifier refuses) unchanged.
 */
function minifiedModule(url, loaded) {
  if (loaded.format !== "module" || loaded.source == null || !url.includes("/node_modules/")) return loaded;
  const source = minifiedSource(loaded.source, dir);
  return source === undefined ? loaded : { ...loaded, source };
}

if (usable)
  registerHooks({
    load(url, context, nextLoad) {
      if (!url.startsWith("file:")) return nextLoad(url, context);
      if (!url.endsWith(".ts")) return minifiedModule(url, nextLoad(url, context));
      const path = fileURLToPath(url);
      // Node refuses to strip under node_modules; so does this hook.
      if (path.includes("/node_modules/")) return nextLoad(url, context);
      const ts = readFileSync(path, "utf8");
      const key = createHash("sha256").update(process.version).update("\0").update(ts).digest("hex");
      const file = join(dir, `${key.slice(0, 40)}.js`);
      let source;
      try {
        source = readFileSync(file, "utf8");
      } catch {
        // Whitespace in place of the types: line and column numbers stay those of the .ts file.
        source = stripQuietly(ts);
        // Whole or not at all, under a temporary name of this thread's own (cacheFile.js); a read-only or
        // full cache costs the stripping, nothing else.
        writeCacheEntry(file, source);
      }
      return { format: "module", source, shortCircuit: true };
    },
  });
if (usable && isMainThread && process.env.CHECKERNET_VIEM_ROOT !== "1") installViemSlim(registerHooks);
