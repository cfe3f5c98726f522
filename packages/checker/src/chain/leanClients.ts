import {
  type Account,
  type Chain,
  type Client,
  createClient,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import {
  call,
  estimateContractGas,
  estimateFeesPerGas,
  estimateGas,
  getBlock,
  getBlockNumber,
  getChainId,
  getContractEvents,
  getLogs,
  getTransactionCount,
  getTransactionReceipt,
  multicall,
  readContract,
  sendRawTransaction,
  simulateContract,
  waitForTransactionReceipt,
  writeContract,
} from "viem/actions";

/**
 * The node's chain clients with only the actions it calls.
 *
 * viem's `createPublicClient` and `createWalletClient` attach every action viem has (their decorators
 * import ENS, filters, watchers, signing, …), so building one loads nearly all of viem even where the
 * importers' other names are cut to their own files (@checkernet/runtime's viemSlim.js). These clients are viem's own
 * `createClient` extended with viem's own actions, the ones the node's code calls as methods
 * (`leanClients.test.ts` fails when the sources call another): the same functions, the same requests.
 * An action one of these calls internally (writeContract's sendTransaction, say) is viem's import,
 * used where the client lacks the method, as in any viem client.
 */

type Action = (client: Client, ...args: never[]) => unknown;

/** Methods of the public client: each action called with the client first. */
const PUBLIC_ACTIONS = {
  call,
  estimateContractGas,
  estimateFeesPerGas,
  estimateGas,
  getBlock,
  getBlockNumber,
  getChainId,
  getContractEvents,
  getLogs,
  getTransactionCount,
  getTransactionReceipt,
  multicall,
  readContract,
  sendRawTransaction,
  simulateContract,
  waitForTransactionReceipt,
} as unknown as Record<string, Action>;

/** Methods of the wallet that submits (reports, fraud proofs, rechecks, claims). */
const WALLET_ACTIONS = {
  getChainId,
  sendRawTransaction,
  writeContract,
} as unknown as Record<string, Action>;

/** The method names each client has, for the test that checks them against the sources. */
export const LEAN_CLIENT_METHODS = {
  public: Object.keys(PUBLIC_ACTIONS),
  wallet: Object.keys(WALLET_ACTIONS),
} as const;

function bound(actions: Record<string, Action>) {
  return (client: Client) =>
    Object.fromEntries(
      Object.entries(actions).map(([name, action]) => [name, (...args: never[]) => action(client, ...args)]),
    );
}

/** A public client (reads, logs, receipts, simulation) on `transport`. */
export function leanPublicClient(options: { transport: Transport; chain?: Chain }): PublicClient {
  const base = createClient({ ...options, key: "public", name: "Public Client", type: "publicClient" });
  return base.extend(bound(PUBLIC_ACTIONS)) as unknown as PublicClient;
}

/** A wallet client that signs with `account` (a local key) and sends on `transport`. */
export function leanWalletClient(options: {
  account: Account;
  chain: Chain;
  transport: Transport;
}): WalletClient<Transport, Chain, Account> {
  const base = createClient({ ...options, key: "wallet", name: "Wallet Client", type: "walletClient" });
  return base.extend(bound(WALLET_ACTIONS)) as unknown as WalletClient<Transport, Chain, Account>;
}
