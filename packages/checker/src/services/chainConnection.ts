import { epochReportsAbi } from "@checkernet/contracts/generated/index";
import type { NetworkDomain } from "@checkernet/protocol/types";
import type { Logger } from "@checkernet/runtime";
import { defineChain, type Hex, type PublicClient, type Transport } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { queuedWallet } from "../chain/accountSendQueue.ts";
import { ChainDirectory } from "../chain/chainDirectory.ts";
import { ChainHealth } from "../chain/chainHealth.ts";
import { leanPublicClient, leanWalletClient } from "../chain/leanClients.ts";
import { CHAIN_RPC_LIMITS, chainTransport } from "../chain/transport.ts";
import { type CheckerConfig, txKeyOf } from "../config.ts";
import type { SubmitterWallet } from "../duties/aggregatorDuty.ts";
import type { ChainComponents } from "./components.ts";

export interface ChainConnection {
  chain: ChainComponents | undefined;
  walletClient: SubmitterWallet | undefined;
  /** The contracts' epoch clock; undefined without a chain or when the RPC is unreachable at start. */
  genesis: { genesisMs: number; epochSeconds: number } | undefined;
}

/**
 * Connects to the chain when the registry addresses are configured: the
 * public client (the given one or config.rpcUrl's), the wallet that pays
 * (the given one or txPrivateKey / txKeyFile's) and the chain directory.
 * The clients it builds share one ChainHealth, so every call either makes
 * (with CHAIN_RPC_LIMITS' deadlines) tells /status whether the RPC answers;
 * with a given public client, the directory's refreshes tell it.
 */
export async function connectChain(
  config: CheckerConfig,
  domain: NetworkDomain,
  logger: Logger,
  given: { publicClient?: PublicClient; walletClient?: SubmitterWallet },
): Promise<ChainConnection> {
  const { checkerRegistry, providerRegistry } = config;
  if (checkerRegistry === undefined || providerRegistry === undefined) {
    return { chain: undefined, walletClient: given.walletClient, genesis: undefined };
  }
  const health = new ChainHealth({ stallAfterMs: CHAIN_RPC_LIMITS.timeoutMs });
  const transport = chainTransport(config.rpcUrl, { health, fallbacks: config.rpcFallbackUrls });
  const publicClient = given.publicClient ?? leanPublicClient({ transport });
  const contracts = { checkerRegistry, providerRegistry, epochReports: domain.verifyingContract };
  const directory = new ChainDirectory(
    {
      publicClient,
      logger: logger.child({ service: "chain" }),
      ...(given.publicClient === undefined ? { health } : {}),
    },
    { addresses: contracts },
  );
  return {
    chain: { publicClient, directory, contracts },
    walletClient: given.walletClient ?? operatorWallet(config, txKeyOf(config), { transport, publicClient }),
    genesis: await readGenesis(publicClient, contracts.epochReports, logger),
  };
}

/**
 * The wallet of the node's transaction key (txPrivateKey / txKeyFile): a local account that signs here, its
 * sends in one queue so that every duty's transaction gets its own nonce (chain/accountSendQueue.ts).
 */
export function operatorWallet(
  config: Pick<CheckerConfig, "chainId" | "rpcUrl">,
  txKey: Hex | undefined,
  rpc: { transport: Transport; publicClient: PublicClient },
): SubmitterWallet | undefined {
  if (txKey === undefined) return undefined;
  const wallet = leanWalletClient({
    account: privateKeyToAccount(txKey),
    chain: defineChain({
      id: Number(config.chainId),
      name: "checkernet",
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [config.rpcUrl] } },
    }),
    transport: rpc.transport,
  });
  return queuedWallet(wallet, rpc.publicClient);
}

/** The contracts' clock wins over the config; an unreachable RPC at start keeps the config's. */
async function readGenesis(publicClient: PublicClient, address: `0x${string}`, logger: Logger) {
  try {
    const reports = { address, abi: epochReportsAbi } as const;
    const [g, len] = await Promise.all([
      publicClient.readContract({ ...reports, functionName: "genesisTime" }),
      publicClient.readContract({ ...reports, functionName: "epochSeconds" }),
    ]);
    return { genesisMs: Number(g) * 1000, epochSeconds: Number(len) };
  } catch (e) {
    logger.warn(
      { err: (e as Error).message },
      "cannot read the epoch clock from the chain; using the config's",
    );
    return undefined;
  }
}
