import {
  type Account,
  type Chain,
  createWalletClient,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { chainTransport } from "../chain/transport.ts";
import { type CheckerConfig, txKeyOf } from "../config.ts";

/**
 * The owner's EVM wallet for `claim` and `license delegate/undelegate`: the
 * txPrivateKey of the config (CHECKER_TX_KEY or txKeyFile), on the chain the
 * RPC reports.
 *
 * @throws Error when no key is configured or the RPC is unreachable
 */
export async function ownerWallet(
  cfg: CheckerConfig,
  client: PublicClient,
  what: string,
): Promise<WalletClient<Transport, Chain, Account>> {
  const txKey = txKeyOf(cfg);
  if (txKey === undefined) throw new Error(`no EVM key to ${what} with: set CHECKER_TX_KEY or txKeyFile`);
  const chainId = await client.getChainId().catch((e: unknown) => {
    throw new Error(
      `cannot reach the RPC at ${cfg.rpcUrl}: ${(e as { shortMessage?: string }).shortMessage ?? (e as Error).message}`,
    );
  });
  return createWalletClient({
    account: privateKeyToAccount(txKey),
    chain: {
      id: chainId,
      name: "checkernet",
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [cfg.rpcUrl] } },
    },
    // The node's deadlines (CHAIN_RPC_LIMITS): a dead RPC fails the command instead of hanging it.
    transport: chainTransport(cfg.rpcUrl, { fallbacks: cfg.rpcFallbackUrls }),
  });
}
