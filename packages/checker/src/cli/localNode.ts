import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CheckerConfig } from "../config.ts";

/**
 * `<dataDir>/node.json`: what a running `checker start` tells the other
 * commands on the same machine (its pid, its API's URL and the network values
 * it runs with), so that `checker status | rewards | claim | license list`
 * need no -c, --network or --url. Written once the node runs, removed when it
 * stops; a file whose pid is gone (a node killed with SIGKILL) is ignored.
 * It holds no secret.
 */
export const NODE_FILE_NAME = "node.json";

/** The config fields a running node shares, each with the environment variable that overrides it. */
const SHARED_FIELDS = {
  rpcUrl: "CHECKER_RPC_URL",
  rpcFallbackUrls: "CHECKER_RPC_FALLBACK_URLS",
  chainId: "CHECKER_CHAIN_ID",
  verifyingContract: "CHECKER_VERIFYING_CONTRACT",
  checkerRegistry: "CHECKER_CHECKER_REGISTRY",
  providerRegistry: "CHECKER_PROVIDER_REGISTRY",
  rewardsContract: "CHECKER_REWARDS",
  checkerLicense: "CHECKER_LICENSE",
  slashingContract: "CHECKER_SLASHING",
  fraudProofsContract: "CHECKER_FRAUD_PROOFS",
  operatorAddress: "CHECKER_OPERATOR_ADDRESS",
} as const satisfies Partial<Record<keyof CheckerConfig, string>>;

type SharedField = keyof typeof SHARED_FIELDS;

export interface LocalNode {
  pid: number;
  /** The status API's base URL, or null when the node runs without one (apiPort 0). */
  api: string | null;
  startedAt: string;
  config: Partial<Record<SharedField, string>>;
}

/** Writes the running node's file (atomically: a reader never sees half of it). */
export function writeLocalNode(cfg: CheckerConfig, api: string | undefined): void {
  const config: Partial<Record<SharedField, string>> = {};
  for (const field of Object.keys(SHARED_FIELDS) as SharedField[]) {
    const value = cfg[field];
    if (value !== undefined) config[field] = String(value);
  }
  const node: LocalNode = { pid: process.pid, api: api ?? null, startedAt: new Date().toISOString(), config };
  const file = join(cfg.dataDir, NODE_FILE_NAME);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(node, null, 2)}\n`, { mode: 0o644 });
  renameSync(`${file}.tmp`, file);
}

/** Removes the file if this process wrote it (a second node on the same data directory keeps its own). */
export function removeLocalNode(dataDir: string): void {
  if (readLocalNode(dataDir)?.pid === process.pid) rmSync(join(dataDir, NODE_FILE_NAME), { force: true });
}

/** The node running on `dataDir`, or undefined when none wrote its file or its process is gone. */
export function readLocalNode(dataDir: string): LocalNode | undefined {
  let node: LocalNode;
  try {
    node = JSON.parse(readFileSync(join(dataDir, NODE_FILE_NAME), "utf8")) as LocalNode;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(node.pid) || node.pid <= 0 || typeof node.config !== "object") return undefined;
  try {
    process.kill(node.pid, 0);
  } catch (e) {
    // EPERM: alive, another user's; anything else: gone.
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return undefined;
  }
  return node;
}

/**
 * The running node's values as config flags, below what the environment sets
 * (a CHECKER_* variable still wins): its network fields and its API's host
 * and port.
 */
export function localNodeFlags(
  node: LocalNode,
  env: NodeJS.ProcessEnv = process.env,
): Partial<Record<keyof CheckerConfig, unknown>> {
  const flags: Partial<Record<keyof CheckerConfig, unknown>> = {};
  for (const field of Object.keys(SHARED_FIELDS) as SharedField[]) {
    const value = node.config[field];
    if (value !== undefined && !env[SHARED_FIELDS[field]]) flags[field] = value;
  }
  if (node.api !== null && !env.CHECKER_API_PORT && !env.CHECKER_API_HOST) {
    const url = new URL(node.api);
    flags.apiHost = url.hostname;
    flags.apiPort = url.port;
  }
  return flags;
}
