import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ConfigError } from "./configError.ts";
import {
  type NetworkParams,
  type NetworkParamsJson,
  networkParamsJson,
  parseNetworkParams,
} from "./networkParams.ts";

/**
 * A network definition (docs/operator.md "Join a network"): everything a
 * checker needs to know about a deployment, in one versioned JSON file that
 * the network publishes and a license holder passes with `--network`. Chain
 * id, RPC URLs, contract addresses, genesis time, epoch length and bootstrap
 * peers, and the protocol parameters (`params`, networkParams.ts); the node's own settings (keys, ports,
 * region) stay in its config.
 *
 * `params` is optional within format /1: a file written before it still loads, and the node then takes the
 * parameters the contracts hold from the chain (cli/startParams.ts). A file with `params` must give all of
 * them; the node runs with them and refuses to start where one differs from the chain's.
 *
 * ```json
 * {
 *   "format": "checkernet-network/1",
 *   "name": "devnet",
 *   "chainId": "31337",
 *   "rpcUrls": ["http://127.0.0.1:8545"],
 *   "genesisTime": 1796322500,
 *   "epochSeconds": 20,
 *   "contracts": { "epochReports": "0x…", "checkerRegistry": "0x…", "providerRegistry": "0x…",
 *                  "rewards": "0x…", "checkerLicense": "0x…", "slashing": "0x…", "fraudProofs": "0x…" },
 *   "bootstrap": ["/ip4/…/tcp/…/p2p/12D3Koo…"],
 *   "params": { "committeeSize": 8, "reportCommitteeSize": 8, "epochRewardPool": "1000000000000000000000", … }
 * }
 * ```
 */
export const NETWORK_FORMAT = "checkernet-network/1";

export interface NetworkDefinition {
  format: typeof NETWORK_FORMAT;
  /** For people: which network this is. */
  name: string;
  /** Decimal string (JSON has no bigint). */
  chainId: string;
  /** JSON-RPC endpoints of the same chain: the node uses the first and fails over to the others in order (chain/transport.ts). */
  rpcUrls: string[];
  /** Unix seconds at which epoch 1 begins (EpochReports' genesis). */
  genesisTime: number;
  epochSeconds: number;
  contracts: Record<NetworkContract, string>;
  /** Multiaddrs ending in /p2p/<peer id>. */
  bootstrap: string[];
  /** The protocol parameters (networkParams.ts); absent in files written before them. */
  params?: NetworkParamsJson;
}

/**
 * The deployment's contracts, by the names the contracts package's Deployment uses, and the config field
 * (config.ts CheckerConfig) each fills.
 */
const CONTRACT_FIELDS = {
  epochReports: "verifyingContract",
  checkerRegistry: "checkerRegistry",
  providerRegistry: "providerRegistry",
  rewards: "rewardsContract",
  checkerLicense: "checkerLicense",
  slashing: "slashingContract",
  fraudProofs: "fraudProofsContract",
} as const;
type NetworkContract = keyof typeof CONTRACT_FIELDS;

const TOP_FIELDS = [
  "format",
  "name",
  "chainId",
  "rpcUrls",
  "genesisTime",
  "epochSeconds",
  "contracts",
  "bootstrap",
  "params",
];
/** Fields a file written before them lacks. */
const OPTIONAL_FIELDS = ["params"];

/**
 * Reads and checks a network file, and returns the config fields it sets, raw (loadConfig parses each
 * with the config's own parser, so a bad address or multiaddr is named as in a config file). Every
 * field but `params` is required; an unknown one is refused, so a typo cannot go unnoticed.
 */
export function readNetworkDefinition(path: string): Record<string, unknown> {
  return readNetworkFile(path).fields;
}

/** The protocol parameters of a network file (checked as readNetworkDefinition checks the rest); undefined where it has none. */
export function readNetworkParams(path: string): NetworkParams | undefined {
  return readNetworkFile(path).params;
}

function readNetworkFile(path: string): {
  fields: Record<string, unknown>;
  params: NetworkParams | undefined;
} {
  const source = `network ${path}`;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new ConfigError("network", path, `cannot read the network file: ${(cause as Error).message}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw new ConfigError("network", path, "the network file must hold a JSON object");
  const def = json as Record<string, unknown>;
  // A copy of networks/template.json whose placeholders were not all replaced says so, whatever else is wrong.
  const placeholder = firstPlaceholder(def);
  if (placeholder !== undefined)
    throw new ConfigError(
      placeholder.field,
      source,
      `the file is an unfilled template (packages/checker/networks/template.json): replace ${JSON.stringify(placeholder.value)} with the deployment's value`,
    );
  // First: a file that is not a network definition at all says so, not "name: missing".
  if (def.format !== NETWORK_FORMAT)
    throw new ConfigError(
      "format",
      source,
      `expected "${NETWORK_FORMAT}", got ${JSON.stringify(def.format)}`,
    );
  for (const key of Object.keys(def)) {
    if (!TOP_FIELDS.includes(key))
      throw new ConfigError(key, source, `unknown field; a network file has ${TOP_FIELDS.join(", ")}`);
  }
  for (const key of TOP_FIELDS) {
    if (def[key] === undefined && !OPTIONAL_FIELDS.includes(key))
      throw new ConfigError(key, source, "missing");
  }
  if (
    !Array.isArray(def.rpcUrls) ||
    def.rpcUrls.length === 0 ||
    !def.rpcUrls.every((u) => typeof u === "string")
  )
    throw new ConfigError("rpcUrls", source, "expected a non-empty list of JSON-RPC URLs");
  const [rpcUrl, ...rpcFallbackUrls] = def.rpcUrls as string[];
  for (const u of def.rpcUrls as string[])
    if (!/^https?:\/\/\S+$/.test(u))
      throw new ConfigError("rpcUrls", source, `expected http(s) URLs, got ${JSON.stringify(u)}`);
  if (typeof def.genesisTime !== "number" || !Number.isSafeInteger(def.genesisTime) || def.genesisTime < 0)
    throw new ConfigError(
      "genesisTime",
      source,
      `expected unix seconds, got ${JSON.stringify(def.genesisTime)}`,
    );
  const contracts = def.contracts;
  if (typeof contracts !== "object" || contracts === null || Array.isArray(contracts))
    throw new ConfigError("contracts", source, "expected an object of contract addresses");
  const fields: Record<string, unknown> = {
    chainId: def.chainId,
    rpcUrl,
    rpcFallbackUrls,
    genesisMs: def.genesisTime * 1000,
    epochSeconds: def.epochSeconds,
    bootstrap: def.bootstrap,
  };
  for (const key of Object.keys(contracts)) {
    if (!(key in CONTRACT_FIELDS))
      throw new ConfigError(
        `contracts.${key}`,
        source,
        `unknown contract; expected ${Object.keys(CONTRACT_FIELDS).join(", ")}`,
      );
  }
  for (const [name, field] of Object.entries(CONTRACT_FIELDS)) {
    const address = (contracts as Record<string, unknown>)[name];
    if (address === undefined) throw new ConfigError(`contracts.${name}`, source, "missing");
    fields[field] = address;
  }
  const params = def.params === undefined ? undefined : parseNetworkParams(def.params, source);
  return { fields, params };
}

/**
 * The network file of a deployment (what the devnet writes, and a public deployment publishes). `contracts`
 * may be the deployment's whole list (the contracts package's Deployment): the file keeps the ones a node uses.
 * `params` may be a whole ProtocolParams: the file keeps the fields it carries, amounts as decimal strings.
 */
export function networkDefinition(
  d: Omit<NetworkDefinition, "format" | "params"> & { params?: NetworkParams },
): NetworkDefinition {
  const names = Object.keys(CONTRACT_FIELDS) as NetworkContract[];
  const contracts = Object.fromEntries(
    names.map((name) => [name, d.contracts[name]]),
  ) as NetworkDefinition["contracts"];
  const { params, ...rest } = d;
  return {
    format: NETWORK_FORMAT,
    ...rest,
    contracts,
    ...(params === undefined ? {} : { params: networkParamsJson(params) }),
  };
}

/** Template placeholders look like "<…>": no real value (URL, address, multiaddr, number) does. */
function firstPlaceholder(value: unknown, field = ""): { field: string; value: string } | undefined {
  if (typeof value === "string") return /^<.*>$/.test(value) ? { field, value } : undefined;
  if (typeof value !== "object" || value === null) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const found = firstPlaceholder(
      inner,
      Array.isArray(value) ? `${field}[${key}]` : field === "" ? key : `${field}.${key}`,
    );
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Network files shipped with the checker (`--network <name>`). */
const SHIPPED_NETWORKS = fileURLToPath(new URL("../networks/", import.meta.url));
/** The repository this checker runs from: `--network devnet` is the file its devnet writes (scripts/devnet.ts). */
const DEVNET_NETWORK_FILE = fileURLToPath(new URL("../../../.devnet/network.json", import.meta.url));

/**
 * The file a `--network` value names: a value with a `/` or ending in `.json` is a path; `devnet` is the
 * local devnet's file; any other name is a network shipped in packages/checker/networks/<name>.json.
 */
export function resolveNetworkFile(value: string): string {
  if (value.includes("/") || value.endsWith(".json")) return value;
  if (value === "devnet") return DEVNET_NETWORK_FILE;
  const shipped = `${SHIPPED_NETWORKS}${value}.json`;
  if (existsSync(shipped)) return shipped;
  throw new ConfigError(
    "--network",
    "the command line",
    `${JSON.stringify(value)} is neither a path (with a / or ending in .json) nor a known network name; known names: ${shippedNetworkNames().join(", ")}`,
  );
}

function shippedNetworkNames(): string[] {
  const shipped = readdirSync(SHIPPED_NETWORKS)
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -".json".length));
  return ["devnet", ...shipped.filter((n) => n !== "devnet")].sort();
}
