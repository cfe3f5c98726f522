import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { REGIONS } from "@checkernet/protocol/challenges/regions";
import { DEFAULT_PARAMS } from "@checkernet/protocol/params";
import type { NetworkDomain } from "@checkernet/protocol/types";
import { multiaddr } from "@multiformats/multiaddr";
import { ConfigError } from "./configError.ts";
import { parseCheckerFaults } from "./faults/faults.ts";
import { readNetworkDefinition } from "./networkDefinition.ts";
import { parseCidr } from "./utils/cidr.ts";

/**
 * The node's configuration: one typed table of fields, each with its default,
 * its environment variable and a parser. Sources apply in the order
 * defaults < config file (JSON) < environment < command-line flags, and every
 * bad value names its field and its source.
 */
export interface CheckerConfig {
  /** Where keys, the peer key and the level database live. */
  dataDir: string;
  /** libp2p listen multiaddrs. */
  listen: string[];
  /** Multiaddrs (with /p2p/<id>) of bootstrap peers. */
  bootstrap: string[];
  /** mDNS discovery on the LAN. Off by default so tests and servers never multicast. */
  mdns: boolean;
  /** kad-dht peer routing (client and server mode). */
  dht: boolean;
  /** Circuit relay v2 transport + DCUtR + AutoNAT, for laptops behind NAT. */
  nat: boolean;
  /** Serve as a circuit relay for others (for well-connected nodes only). */
  relayServer: boolean;
  /** "private": behind NAT, announce no private address (network/announce.ts); "auto" detects it; "public". */
  reachability: Reachability;
  /** IPv4 networks whose addresses a node behind NAT still announces (peers on its own LAN). */
  announceLan: string[];
  /** IPv4 networks exempt from inbound limits (identity budget): a loopback devnet, never the internet. */
  trustedNetworks: string[];
  /** Local HTTP status API; bound to apiHost, loopback by default. */
  apiHost: string;
  /** 0 disables the status API. */
  apiPort: number;
  logLevel: "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";
  /** JSON-RPC endpoint of the chain (EVM with Prague precompiles). */
  rpcUrl: string;
  /** More JSON-RPC endpoints of the same chain, tried in order when rpcUrl does not answer (the network file's rpcUrls after the first). */
  rpcFallbackUrls: string[];
  /** Chain id of the deployment, part of every signing domain. */
  chainId: bigint;
  /**
   * The epoch-report contract: the verifying contract of the signing domain
   * (signingDomain() signs with the zero address when it is unset).
   */
  verifyingContract?: `0x${string}` | undefined;
  /** Unix ms of epoch 1's start (the chain client will read it from the contracts). */
  genesisMs: number;
  /** Epoch length, seconds (ProtocolParams.epochSeconds; devnets use seconds). */
  epochSeconds: number;
  /** The operator's registry address (Attestation.checker); unset runs no checking duty. */
  operatorAddress?: `0x${string}` | undefined;
  /** CheckerRegistry and ProviderRegistry addresses; unset runs without a chain (static directories). */
  checkerRegistry?: `0x${string}` | undefined;
  providerRegistry?: `0x${string}` | undefined;
  /** Region code where this node runs (regions.ts; 0 = "local" for devnets): the origin of the latency bound. */
  region: number;
  /**
   * The operator's EVM account key (32-byte hex) that pays for report
   * submissions and reward claims; "" runs no aggregator (the node still co-signs).
   * Prefer the environment (CHECKER_TX_KEY) or txKeyFile over a config file.
   */
  txPrivateKey: string;
  /** A file whose first line is the EVM account key (used when txPrivateKey is ""). */
  txKeyFile: string;
  /** Rewards and CheckerLicense contract addresses (checker rewards / claim, explain, history). */
  rewardsContract?: `0x${string}` | undefined;
  checkerLicense?: `0x${string}` | undefined;
  /** Slashing contract address: the node re-checks contested slashes (RecheckDuty) when it is set. */
  slashingContract?: `0x${string}` | undefined;
  /** FraudProofs contract address: the node submits the matmul fraud proofs it builds when it is set. */
  fraudProofsContract?: `0x${string}` | undefined;
  /**
   * Adversarial behaviour for tests and demos (faults/faults.ts), e.g.
   * "lie-fail:<providerAddress>" to attest FAIL for that provider whatever was measured. Empty: honest.
   */
  faults: string[];
  /**
   * Licenses one node runs at most (≤ MAX_LICENSES_PER_NODE, the measured and supported maximum): `start`
   * refuses an operator with more delegated (docs/operator.md, "Sizing").
   */
  maxLicensesPerNode: number;
}

const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

export { ConfigError };

type Parser<T> = (raw: unknown, field: string, source: string) => T;

const str: Parser<string> = (raw, field, source) => {
  if (typeof raw !== "string" || raw.length === 0)
    throw new ConfigError(field, source, "expected a non-empty string");
  return raw;
};
const strList: Parser<string[]> = (raw, field, source) => {
  if (typeof raw === "string")
    return raw
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  if (Array.isArray(raw) && raw.every((x) => typeof x === "string")) return [...raw];
  throw new ConfigError(field, source, "expected a list of strings (or a comma-separated string)");
};
/** A list of IPv4 networks ("192.168.1.0/24"); a bad one names the field and what is expected. */
const cidrList: Parser<string[]> = (raw, field, source) => {
  const list = strList(raw, field, source);
  for (const cidr of list) {
    try {
      parseCidr(cidr);
    } catch (e) {
      throw new ConfigError(field, source, (e as Error).message);
    }
  }
  return list;
};
/**
 * A list of libp2p multiaddrs; a bad one names the field, the value, what is
 * expected (`example`) and the parser's reason (e.g. `Invalid IPv4 address`).
 * `needsPeerId`: each must end in /p2p/<peer id> (libp2p's bootstrap skips
 * one without it).
 */
const multiaddrList =
  (example: string, needsPeerId: boolean): Parser<string[]> =>
  (raw, field, source) => {
    const list = strList(raw, field, source);
    for (const value of list) {
      let reason: string | undefined;
      try {
        const ma = multiaddr(value);
        if (needsPeerId && !ma.getComponents().some((c) => c.name === "p2p")) reason = "no /p2p/<peer id>";
      } catch (e) {
        reason = (e as Error).message;
      }
      if (reason !== undefined) {
        throw new ConfigError(
          field,
          source,
          `expected multiaddrs like ${example}, got ${JSON.stringify(value)} (${reason})`,
        );
      }
    }
    return list;
  };
const bool: Parser<boolean> = (raw, field, source) => {
  if (typeof raw === "boolean") return raw;
  if (raw === "true" || raw === "1") return true;
  if (raw === "false" || raw === "0") return false;
  throw new ConfigError(field, source, `expected true or false, got ${JSON.stringify(raw)}`);
};
const port: Parser<number> = (raw, field, source) => {
  const n = typeof raw === "string" && /^\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 65_535) {
    throw new ConfigError(field, source, `expected a port number 0..65535, got ${JSON.stringify(raw)}`);
  }
  return n;
};
const uint: Parser<bigint> = (raw, field, source) => {
  if (
    (typeof raw === "number" && Number.isSafeInteger(raw) && raw >= 0) ||
    (typeof raw === "string" && /^\d+$/.test(raw))
  ) {
    return BigInt(raw);
  }
  throw new ConfigError(field, source, `expected a non-negative integer, got ${JSON.stringify(raw)}`);
};
const posInt: Parser<number> = (raw, field, source) => {
  const n = typeof raw === "string" && /^\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
    throw new ConfigError(field, source, `expected a non-negative integer, got ${JSON.stringify(raw)}`);
  }
  return n;
};
/**
 * A region by its id (`eu-west`, packages/protocol regions.ts) or its on-wire code (6): configs name
 * regions, the wire carries the code.
 */
const region: Parser<number> = (raw, field, source) => {
  const known = REGIONS.map((r) => r.id).join(", ");
  if (typeof raw === "string" && !/^\d+$/.test(raw)) {
    const found = REGIONS.find((r) => r.id === raw.trim().toLowerCase());
    if (found === undefined)
      throw new ConfigError(field, source, `unknown region ${JSON.stringify(raw)}; expected one of ${known}`);
    return found.code;
  }
  const code = posInt(raw, field, source);
  if (!REGIONS.some((r) => r.code === code))
    throw new ConfigError(
      field,
      source,
      `unknown region code ${code}; expected a region id (${known}) or its code 0-${REGIONS.length - 1}`,
    );
  return code;
};
const address: Parser<`0x${string}`> = (raw, field, source) => {
  if (typeof raw !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(raw)) {
    throw new ConfigError(field, source, `expected a 20-byte hex address, got ${JSON.stringify(raw)}`);
  }
  return raw as `0x${string}`;
};
/**
 * An address that switches a feature on. Unset is off; so is the zero
 * address, which config files written before these fields were optional use
 * to say "off" (and which a later source can use to turn off an earlier one).
 */
const optionalAddress: Parser<`0x${string}` | undefined> = (raw, field, source) => {
  const parsed = address(raw, field, source);
  return /^0x0{40}$/.test(parsed) ? undefined : parsed;
};
const optionalKey: Parser<string> = (raw, field, source) => {
  if (raw === "" || (typeof raw === "string" && /^0x[0-9a-fA-F]{64}$/.test(raw))) return raw;
  // Never echo the value: it is a secret.
  throw new ConfigError(field, source, "expected a 32-byte hex private key (0x + 64 hex digits)");
};
const optionalPath: Parser<string> = (raw, field, source) => {
  if (typeof raw !== "string") throw new ConfigError(field, source, "expected a file path");
  return raw;
};
const logLevel: Parser<CheckerConfig["logLevel"]> = (raw, field, source) => {
  if (typeof raw !== "string" || !(LOG_LEVELS as readonly string[]).includes(raw)) {
    throw new ConfigError(
      field,
      source,
      `expected one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(raw)}`,
    );
  }
  return raw as CheckerConfig["logLevel"];
};

interface FieldSpec<K extends keyof CheckerConfig> {
  env: string;
  parse: Parser<CheckerConfig[K]>;
  default: () => CheckerConfig[K];
  help: string;
}

/**
 * Licenses one node is tested to run (bench:footprint runs a node with 1,000: about 200 MiB RSS, 13 % of
 * one core; docs/operator.md "Sizing"). More need a second operator.
 */
const MAX_LICENSES_PER_NODE = 1_000;

/**
 * Whether the node is reachable at its own addresses.
 * - "auto": behind NAT once a peer observed it at a public IP that is none of its own (identify's
 *   observed address), and from then on (a restart forgets it); until then, as "public".
 * - "public": announces every address libp2p would (loopback devnets, a LAN, a server).
 * - "private": behind NAT by configuration (a laptop behind a home router).
 */
export type Reachability = "auto" | "public" | "private";

const REACHABILITIES: readonly Reachability[] = ["auto", "public", "private"];

/** The schema: one entry per field. `help` feeds the CLI's option descriptions. */
const CONFIG_SCHEMA: { [K in keyof CheckerConfig]-?: FieldSpec<K> } = {
  dataDir: {
    env: "CHECKER_DATA_DIR",
    parse: str,
    default: () => join(homedir(), ".checkernet"),
    help: "data directory",
  },
  listen: {
    env: "CHECKER_LISTEN",
    parse: multiaddrList("/ip4/0.0.0.0/tcp/9700", false),
    default: () => ["/ip4/0.0.0.0/tcp/9700"],
    help: "libp2p listen multiaddrs (comma-separated)",
  },
  bootstrap: {
    env: "CHECKER_BOOTSTRAP",
    parse: multiaddrList("/ip4/203.0.113.7/tcp/9700/p2p/<peer id>", true),
    default: () => [],
    help: "bootstrap peer multiaddrs",
  },
  mdns: { env: "CHECKER_MDNS", parse: bool, default: () => false, help: "mDNS discovery on the LAN" },
  dht: { env: "CHECKER_DHT", parse: bool, default: () => true, help: "kad-dht peer routing" },
  nat: { env: "CHECKER_NAT", parse: bool, default: () => true, help: "circuit relay v2 + DCUtR + AutoNAT" },
  relayServer: {
    env: "CHECKER_RELAY_SERVER",
    parse: bool,
    default: () => false,
    help: "act as a circuit relay",
  },
  reachability: {
    env: "CHECKER_REACHABILITY",
    parse: (raw, field, source) => {
      if (typeof raw !== "string" || !(REACHABILITIES as readonly string[]).includes(raw))
        throw new ConfigError(
          field,
          source,
          `expected one of ${REACHABILITIES.join(", ")}, got ${JSON.stringify(raw)}`,
        );
      return raw as Reachability;
    },
    default: () => "auto",
    help: "behind NAT (private): announce relay and confirmed public addresses only; auto, public",
  },
  announceLan: {
    env: "CHECKER_ANNOUNCE_LAN",
    parse: cidrList,
    default: () => [],
    help: "IPv4 networks (CIDR) still announced behind NAT, for peers on the same LAN",
  },
  trustedNetworks: {
    env: "CHECKER_TRUSTED_NETWORKS",
    parse: cidrList,
    default: () => [],
    help: "IPv4 networks (CIDR) exempt from the inbound connection and identity budgets (a loopback devnet: 127.0.0.1/32)",
  },
  apiHost: { env: "CHECKER_API_HOST", parse: str, default: () => "127.0.0.1", help: "status API host" },
  apiPort: { env: "CHECKER_API_PORT", parse: port, default: () => 9701, help: "status API port (0 = off)" },
  logLevel: { env: "CHECKER_LOG_LEVEL", parse: logLevel, default: () => "info", help: "log level" },
  rpcUrl: {
    env: "CHECKER_RPC_URL",
    parse: str,
    default: () => "http://127.0.0.1:8545",
    help: "chain JSON-RPC URL",
  },
  rpcFallbackUrls: {
    env: "CHECKER_RPC_FALLBACK_URLS",
    parse: (raw, field, source) => {
      const urls = strList(raw, field, source);
      const bad = urls.find((u) => !/^https?:\/\/\S+$/.test(u));
      if (bad !== undefined)
        throw new ConfigError(field, source, `expected http(s) URLs, got ${JSON.stringify(bad)}`);
      return urls;
    },
    default: () => [],
    help: "more JSON-RPC URLs of the same chain, tried in order when rpcUrl does not answer",
  },
  chainId: {
    env: "CHECKER_CHAIN_ID",
    parse: uint,
    default: () => 31_337n,
    help: "chain id (Hardhat: 31337)",
  },
  verifyingContract: {
    env: "CHECKER_VERIFYING_CONTRACT",
    parse: optionalAddress,
    default: () => undefined,
    help: "epoch-report contract address",
  },
  genesisMs: {
    env: "CHECKER_GENESIS_MS",
    parse: posInt,
    default: () => 0,
    help: "unix ms of epoch 1's start",
  },
  epochSeconds: {
    env: "CHECKER_EPOCH_SECONDS",
    parse: (raw, field, source) => {
      const n = posInt(raw, field, source);
      if (n === 0) throw new ConfigError(field, source, "must be at least 1");
      return n;
    },
    default: () => DEFAULT_PARAMS.epochSeconds,
    help: "epoch length in seconds",
  },
  operatorAddress: {
    env: "CHECKER_OPERATOR_ADDRESS",
    parse: optionalAddress,
    default: () => undefined,
    help: "operator registry address (attestation signer identity)",
  },
  checkerRegistry: {
    env: "CHECKER_CHECKER_REGISTRY",
    parse: optionalAddress,
    default: () => undefined,
    help: "CheckerRegistry contract address",
  },
  providerRegistry: {
    env: "CHECKER_PROVIDER_REGISTRY",
    parse: optionalAddress,
    default: () => undefined,
    help: "ProviderRegistry contract address",
  },
  region: {
    env: "CHECKER_REGION",
    parse: region,
    default: () => 0,
    help: "region of this node: an id such as eu-west (packages/protocol regions.ts) or its code; local (0) for devnets",
  },
  txPrivateKey: {
    env: "CHECKER_TX_KEY",
    parse: optionalKey,
    default: () => "",
    help: "EVM private key paying for report submissions and claims",
  },
  txKeyFile: {
    env: "CHECKER_TX_KEY_FILE",
    parse: optionalPath,
    default: () => "",
    help: "file holding the EVM private key",
  },
  rewardsContract: {
    env: "CHECKER_REWARDS",
    parse: optionalAddress,
    default: () => undefined,
    help: "Rewards contract address",
  },
  checkerLicense: {
    env: "CHECKER_LICENSE",
    parse: optionalAddress,
    default: () => undefined,
    help: "CheckerLicense contract address",
  },
  slashingContract: {
    env: "CHECKER_SLASHING",
    parse: optionalAddress,
    default: () => undefined,
    help: "Slashing contract address (re-checks of contested slashes)",
  },
  fraudProofsContract: {
    env: "CHECKER_FRAUD_PROOFS",
    parse: optionalAddress,
    default: () => undefined,
    help: "FraudProofs contract address (submits the matmul fraud proofs this node builds)",
  },
  maxLicensesPerNode: {
    env: "CHECKER_MAX_LICENSES_PER_NODE",
    parse: (raw, field, source) => {
      const n = posInt(raw, field, source);
      if (n < 1 || n > MAX_LICENSES_PER_NODE)
        throw new ConfigError(
          field,
          source,
          `${n} is outside 1..${MAX_LICENSES_PER_NODE} (the supported maximum per node)`,
        );
      return n;
    },
    default: () => MAX_LICENSES_PER_NODE,
    help: "licenses one node runs at most; start refuses an operator with more delegated",
  },
  faults: {
    env: "CHECKER_FAULTS",
    parse: (raw, field, source) => {
      const list = strList(raw, field, source);
      try {
        parseCheckerFaults(list);
      } catch (e) {
        throw new ConfigError(field, source, (e as Error).message);
      }
      return list;
    },
    default: () => [],
    help: "adversarial test modes, e.g. lie-fail:<providerAddress>, vouch-pass (tests and demos only)",
  },
};

/**
 * What the node shows and filters by where no operator is configured (status,
 * `checker rewards`), as it did when the config held the zero address.
 * Written out rather than imported from viem: the CLI loads this file on
 * every command.
 */
export const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

/** The signing domain of every attestation and report: the chain id and the epoch-report contract. */
export function signingDomain(config: CheckerConfig): NetworkDomain {
  return { chainId: config.chainId, verifyingContract: config.verifyingContract ?? ZERO_ADDRESS };
}

type AddressField =
  | "verifyingContract"
  | "checkerRegistry"
  | "providerRegistry"
  | "rewardsContract"
  | "checkerLicense"
  | "slashingContract";

/** A contract address a command cannot run without. @throws Error naming the field when it is unset */
export function requireAddress(config: CheckerConfig, field: AddressField): `0x${string}` {
  const value = config[field];
  if (value === undefined) throw new Error(`${field} is not configured`);
  return value;
}

/** The EVM account key from txPrivateKey or txKeyFile, or undefined when neither is set. */
export function txKeyOf(config: CheckerConfig): `0x${string}` | undefined {
  if (config.txPrivateKey !== "") return config.txPrivateKey as `0x${string}`;
  if (config.txKeyFile === "") return undefined;
  let line: string;
  try {
    line = (readFileSync(config.txKeyFile, "utf8").split(/\r?\n/)[0] ?? "").trim();
  } catch (e) {
    throw new ConfigError("txKeyFile", config.txKeyFile, `cannot read: ${(e as Error).message}`);
  }
  if (line === "") throw new ConfigError("txKeyFile", config.txKeyFile, "the file is empty");
  return optionalKey(line, "txKeyFile", config.txKeyFile) as `0x${string}`;
}

export interface LoadConfigOptions {
  /** Path of a JSON config file; a missing file given explicitly is an error. */
  file?: string;
  /**
   * Path of a network definition (networkDefinition.ts), below the config file, the environment and the
   * flags; else CHECKER_NETWORK, else `<dataDir>/network.json` when `checker init --network` put one there.
   */
  network?: string;
  env?: NodeJS.ProcessEnv;
  /** Already-parsed flags (undefined entries are ignored). */
  flags?: Partial<Record<keyof CheckerConfig, unknown>>;
}

/** The network file of a data directory (`checker init --network` copies the file given there). */
export const NETWORK_FILE_NAME = "network.json";

/**
 * defaults < network file < config file < environment < flags. Each layer is read and parsed once; the
 * data directory they settle on says where a kept network file lies when none is named.
 */
export function loadConfig(options: LoadConfigOptions = {}): CheckerConfig {
  const env = options.env ?? process.env;
  const keys = Object.keys(CONFIG_SCHEMA) as (keyof CheckerConfig)[];
  const above = [
    fileLayer(options.file ?? env.CHECKER_CONFIG, keys),
    envLayer(env, keys),
    flagLayer(options, keys),
  ];
  const out: ConfigLayer = {};
  for (const key of keys) out[key] = CONFIG_SCHEMA[key].default();
  Object.assign(out, ...above);
  const network = networkFileOf({ ...options, env }, out.dataDir as string);
  if (network !== undefined) Object.assign(out, networkLayer(network), ...above);
  const config = out as unknown as CheckerConfig;
  config.dataDir = resolve(config.dataDir);
  return config;
}

/** The network file loadConfig reads: the one named (option, then CHECKER_NETWORK), else the data directory's kept copy. */
export function networkFileOf(
  options: Pick<LoadConfigOptions, "network" | "env">,
  dataDir: string,
): string | undefined {
  const explicit = options.network ?? ((options.env ?? process.env).CHECKER_NETWORK || undefined);
  const kept = join(resolve(dataDir), NETWORK_FILE_NAME);
  return explicit ?? (existsSync(kept) ? kept : undefined);
}

/** One source's parsed fields. */
type ConfigLayer = Partial<Record<keyof CheckerConfig, unknown>>;

function networkLayer(network: string): ConfigLayer {
  const layer: ConfigLayer = {};
  for (const [key, raw] of Object.entries(readNetworkDefinition(network)))
    layer[key as keyof CheckerConfig] = parseField(key as keyof CheckerConfig, raw, `network ${network}`);
  return layer;
}

function fileLayer(file: string | undefined, keys: (keyof CheckerConfig)[]): ConfigLayer {
  const layer: ConfigLayer = {};
  if (file === undefined) return layer;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (cause) {
    throw new ConfigError("config", file, `cannot read JSON config file: ${(cause as Error).message}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ConfigError("config", file, "the config file must hold a JSON object");
  }
  for (const [key, raw] of Object.entries(json)) {
    if (!(key in CONFIG_SCHEMA)) {
      throw new ConfigError(key, file, `unknown field; known fields: ${keys.join(", ")}`);
    }
    layer[key as keyof CheckerConfig] = parseField(key as keyof CheckerConfig, raw, `file ${file}`);
  }
  return layer;
}

function envLayer(env: NodeJS.ProcessEnv, keys: (keyof CheckerConfig)[]): ConfigLayer {
  const layer: ConfigLayer = {};
  for (const key of keys) {
    const raw = env[CONFIG_SCHEMA[key].env];
    if (raw !== undefined && raw !== "") layer[key] = parseField(key, raw, `env ${CONFIG_SCHEMA[key].env}`);
  }
  return layer;
}

function flagLayer(options: LoadConfigOptions, keys: (keyof CheckerConfig)[]): ConfigLayer {
  const layer: ConfigLayer = {};
  for (const key of keys) {
    const raw = options.flags?.[key];
    if (raw !== undefined) layer[key] = parseField(key, raw, "command line");
  }
  return layer;
}

function parseField<K extends keyof CheckerConfig>(key: K, raw: unknown, source: string): CheckerConfig[K] {
  return CONFIG_SCHEMA[key].parse(raw, key, source) as CheckerConfig[K];
}
