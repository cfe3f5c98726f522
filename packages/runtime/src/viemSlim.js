// viem's barrels ("viem", "viem/actions"), cut to what each of our modules imports from them (the
// launchers' module hooks: the checker's main thread, every thread of the provider).
//
// `import { keccak256 } from "viem"` makes V8 load, link and keep every module the root re-exports
// (358 of viem's, with ox and abitype ~420: +19 MiB in a fresh process; docs/footprint.md), whatever
// the importer uses. Here a module of our own sources that imports names from "viem" gets instead a
// generated module that re-exports exactly those names from the viem files that define them (read
// from viem's own index.js): the same functions, so the same results, and only their modules load.
// An importer this cannot read safely (a namespace import, a runtime `import("viem")`, a name the
// index does not list) gets viem's root as before: bigger, never wrong.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const SLIM_PARAM = "checkernet-viem";
/** The barrels cut, each an index of `export { … } from "./file.js"` lines. */
const BARRELS = new Set(["viem", "viem/actions"]);

function escaped(specifier) {
  return specifier.replace(/[/.]/g, "\\$&");
}

/** `name -> { file, original }` for every export of viem's ESM index, or undefined if it cannot be read. */
function exportTable(rootUrl) {
  let text;
  try {
    text = readFileSync(fileURLToPath(rootUrl), "utf8");
  } catch {
    return undefined;
  }
  const table = new Map();
  const noComments = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  for (const m of noComments.matchAll(/export\s*\{([^}]*)\}\s*from\s*['"]([^'"]+)['"]/g)) {
    for (const part of m[1].split(",")) {
      const spec = part.trim();
      if (spec === "" || spec.startsWith("type ")) continue;
      const [original, exported = original] = spec.split(/\s+as\s+/).map((s) => s.trim());
      table.set(exported, { file: new URL(m[2], rootUrl).href, original });
    }
  }
  return table;
}

/**
 * The value names a TypeScript or JavaScript source imports from `specifier` (type-only imports left
 * out), or undefined when it imports it in a way a list of names cannot stand for.
 */
export function viemImportsOf(source, specifier = "viem") {
  const quoted = `["']${escaped(specifier)}["']`;
  // Comments (whole-line and block ones) may mention an import; they import nothing.
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  // A runtime import("viem") (not a type position: `import("viem").PublicClient`) takes the barrel.
  if (new RegExp(`import\\(\\s*${quoted}\\s*\\)(?!\\s*\\.)`).test(code)) return undefined;
  if (new RegExp(`(import|export)\\s*\\*\\s*(as\\s+\\w+\\s*)?from\\s*${quoted}`).test(code)) return undefined;
  const defaultImport = `import\\s+[\\w$]+\\s*(,\\s*(\\{[^}]*\\}|\\*\\s*as\\s+[\\w$]+)\\s*)?from\\s*${quoted}`;
  if (new RegExp(defaultImport).test(code)) return undefined;
  const names = new Set();
  const named = new RegExp(`(import|export)\\s+(type\\s+)?\\{([^}]*)\\}\\s*from\\s*${quoted}`, "g");
  for (const m of code.matchAll(named)) {
    if (m[2] !== undefined) continue;
    for (const part of m[3].split(",")) {
      const spec = part.trim();
      if (spec === "" || spec.startsWith("type ")) continue;
      names.add(spec.split(/\s+as\s+/)[0].trim());
    }
  }
  return [...names].sort();
}

/** Installs the hooks with `registerHooks` (node:module). */
export function installViemSlim(registerHooks) {
  /** Export table of each barrel, by its index's URL. */
  const tables = new Map();
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const resolved = nextResolve(specifier, context);
      const parent = context.parentURL;
      if (!BARRELS.has(specifier) || parent === undefined || !parent.startsWith("file:")) return resolved;
      if (parent.includes("/node_modules/") || !resolved.url.startsWith("file:")) return resolved;
      let names;
      try {
        names = viemImportsOf(readFileSync(fileURLToPath(parent), "utf8"), specifier);
      } catch {
        return resolved;
      }
      if (!tables.has(resolved.url)) tables.set(resolved.url, exportTable(resolved.url) ?? new Map());
      const table = tables.get(resolved.url);
      if (names === undefined || names.some((n) => !table.has(n))) return resolved;
      return { ...resolved, url: `${resolved.url}?${SLIM_PARAM}=${names.join(",")}` };
    },
    load(url, context, nextLoad) {
      const at = url.indexOf(`?${SLIM_PARAM}=`);
      if (at < 0) return nextLoad(url, context);
      const names = url
        .slice(at + SLIM_PARAM.length + 2)
        .split(",")
        .filter((n) => n !== "");
      const table = tables.get(url.slice(0, at));
      const source = names
        .map((n) => {
          const { file, original } = table.get(n);
          return `export { ${original === n ? n : `${original} as ${n}`} } from ${JSON.stringify(file)};`;
        })
        .join("\n");
      return { format: "module", source, shortCircuit: true };
    },
  });
}
