import { readFile } from "node:fs/promises";
import {
  type Account,
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  getAddress,
  type Hex,
  http,
  isAddress,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { ChainError, ChainErrorCode } from "./errors.ts";

/** The contracts the provider talks to (a subset of the contracts package's ContractAddresses). */
export interface ProviderContracts {
  providerRegistry: Address;
  rewardToken: Address;
  slashing: Address;
  /** Needed by `evidence` only: the checkers' registered keys and peer ids. */
  checkerRegistry?: Address;
  /** Needed by `evidence` only: the verifying contract of the signing domain. */
  epochReports?: Address;
  /** The deployment's first block (the deployment file's startBlock): event scans start here, not at block 0. */
  startBlock?: bigint;
}

/** A connected provider: read through `publicClient`, send as `account` through `walletClient`. */
export interface ProviderChain {
  publicClient: PublicClient;
  walletClient: WalletClient<Transport, Chain | undefined, Account>;
  account: Account;
  contracts: ProviderContracts;
}

/**
 * Reads the contract addresses from a deployment file: the JSON the devnet
 * writes from the contracts package's `Deployment` (bigints as strings are
 * fine; only `contracts.*` is read).
 */
export async function readDeployment(path: string): Promise<ProviderContracts> {
  let parsed: { contracts?: Record<string, unknown>; startBlock?: unknown };
  try {
    parsed = JSON.parse(await readFile(path, "utf8"));
  } catch (cause) {
    throw new ChainError(
      ChainErrorCode.BAD_DEPLOYMENT,
      `cannot read deployment file ${path}: ${(cause as Error).message}`,
      { path },
    );
  }
  const pick = (name: keyof ProviderContracts): Address => {
    const value = parsed?.contracts?.[name];
    if (typeof value !== "string" || !isAddress(value, { strict: false })) {
      throw new ChainError(
        ChainErrorCode.BAD_DEPLOYMENT,
        `deployment file ${path} has no valid contracts.${name}`,
        { path },
      );
    }
    return getAddress(value);
  };
  const optional = (name: "checkerRegistry" | "epochReports") =>
    parsed?.contracts?.[name] === undefined ? {} : { [name]: pick(name) };
  return {
    providerRegistry: pick("providerRegistry"),
    rewardToken: pick("rewardToken"),
    slashing: pick("slashing"),
    ...optional("checkerRegistry"),
    ...optional("epochReports"),
    ...startBlockOf(parsed?.startBlock, path),
  };
}

/** The deployment file's `startBlock` (a decimal string or number); absent in older files: scans start at 0. */
function startBlockOf(raw: unknown, path: string): { startBlock?: bigint } {
  if (raw === undefined) return {};
  if (
    (typeof raw === "string" && /^\d{1,20}$/.test(raw)) ||
    (typeof raw === "number" && Number.isSafeInteger(raw) && raw >= 0)
  )
    return { startBlock: BigInt(raw) };
  throw new ChainError(
    ChainErrorCode.BAD_DEPLOYMENT,
    `deployment file ${path} has startBlock ${JSON.stringify(raw)}; expected a block number (decimal string)`,
    { path },
  );
}

/** Connects to a JSON-RPC endpoint as the provider's EVM key. */
export function connectProviderChain(
  rpcUrl: string,
  privateKey: Hex,
  contracts: ProviderContracts,
): ProviderChain {
  const account = privateKeyToAccount(privateKey);
  // Fail fast: a CLI command should say "RPC down" in seconds, not retry for a minute.
  const transport = http(rpcUrl, { retryCount: 1, timeout: 10_000 });
  return {
    publicClient: createPublicClient({ transport }) as PublicClient,
    walletClient: createWalletClient({ account, transport }),
    account,
    contracts,
  };
}
