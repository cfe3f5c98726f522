/**
 * The evaluator worker's module graph, kept to the protocol's challenge code.
 *
 * `@checkernet/protocol/challenges/transcript` imports nine functions from
 * viem's root barrel (`import { bytesToHex, … } from "viem"`), and a root
 * import loads all of viem: 441 modules with abitype and ox, +16 MiB of RSS
 * in the worker thread (28 MiB for the worker with it, 12 MiB for a bare one;
 * docs/footprint.md). In the worker thread only, `viem` resolves instead to a
 * generated module that re-exports those nine functions from viem's own files
 * (37 modules, +2.5 MiB): the same code, so the same results.
 *
 * Runs in the worker thread before it imports the protocol (compute-worker.ts),
 * through `module.registerHooks` (synchronous, in-thread). Where a file below
 * is missing (another viem layout) or registerHooks is absent, viem loads whole,
 * as before: slower to start and bigger, never wrong.
 */
import { existsSync } from "node:fs";
import * as nodeModule from "node:module";
import { fileURLToPath } from "node:url";

/**
 * The viem functions the worker's protocol modules import (challenge, BLS and fraud-proof code), each with the file
 * of viem's ESM build (relative to `_esm/index.js`) that defines it. A protocol
 * change that imports another one from "viem" fails to link in the worker: the
 * evaluator test loads the worker and fails until the name is added here.
 */
const WORKER_VIEM_EXPORTS: Readonly<Record<string, string>> = {
  bytesToHex: "./utils/encoding/toHex.js",
  concatHex: "./utils/data/concat.js",
  decodeAbiParameters: "./utils/abi/decodeAbiParameters.js",
  encodeAbiParameters: "./utils/abi/encodeAbiParameters.js",
  getAddress: "./utils/address/getAddress.js",
  hashTypedData: "./utils/signature/hashTypedData.js",
  hexToBigInt: "./utils/encoding/fromHex.js",
  hexToBytes: "./utils/encoding/toBytes.js",
  isAddress: "./utils/address/isAddress.js",
  isHex: "./utils/data/isHex.js",
  keccak256: "./utils/hash/keccak256.js",
  toBytes: "./utils/encoding/toBytes.js",
  toHex: "./utils/encoding/toHex.js",
  zeroAddress: "./constants/address.js",
  zeroHash: "./constants/bytes.js",
};

const SLIM_MARK = "?checkernet-worker-slim";

/** The module that stands in for viem's root: one `export { name } from "<file>"` per function. */
function slimViemSource(rootUrl: string): string | undefined {
  const lines: string[] = [];
  for (const [name, file] of Object.entries(WORKER_VIEM_EXPORTS)) {
    const url = new URL(file, rootUrl);
    if (!existsSync(fileURLToPath(url))) return undefined;
    lines.push(`export { ${name} } from ${JSON.stringify(url.href)};`);
  }
  return lines.join("\n");
}

/** What `installWorkerModuleHooks` did, and every module URL loaded after it. */
export interface WorkerModules {
  /** True when `viem` resolves to the slim module. */
  slimViem: boolean;
  /** URLs of the modules this thread loaded after the hooks were installed. */
  loaded: string[];
}

/**
 * Installs the hooks in the calling (worker) thread: records every module
 * loaded from now on and, when `slimViem`, resolves `viem` to its slim module.
 */
export function installWorkerModuleHooks(options: { slimViem: boolean }): WorkerModules {
  const state: WorkerModules = { slimViem: false, loaded: [] };
  const { registerHooks } = nodeModule as { registerHooks?: typeof nodeModule.registerHooks };
  if (typeof registerHooks !== "function") return state;
  let rootSource: { root: string; source: string } | undefined;
  if (options.slimViem) {
    try {
      const root = import.meta.resolve("viem");
      const source = slimViemSource(root);
      if (source !== undefined) rootSource = { root, source };
    } catch {
      // viem not resolvable from here: it loads whole, through the protocol's own resolution.
    }
  }
  state.slimViem = rootSource !== undefined;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const resolved = nextResolve(specifier, context);
      if (rootSource !== undefined && specifier === "viem" && resolved.url === rootSource.root) {
        return { ...resolved, url: `${resolved.url}${SLIM_MARK}`, shortCircuit: true };
      }
      return resolved;
    },
    load(url, context, nextLoad) {
      state.loaded.push(url);
      if (rootSource !== undefined && url === `${rootSource.root}${SLIM_MARK}`) {
        return { format: "module", source: rootSource.source, shortCircuit: true };
      }
      return nextLoad(url, context);
    },
  });
  return state;
}
