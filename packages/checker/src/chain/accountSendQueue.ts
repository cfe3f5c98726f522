import { AsyncLocalStorage } from "node:async_hooks";
import type { Account, Address, Chain, Hash, PublicClient, Transport, WalletClient } from "viem";
import { getTransaction } from "viem/actions";
import { ChainActionError, ChainActionErrorCode } from "./actions/errors.ts";
import { CHAIN_RPC_LIMITS } from "./transport.ts";

type Wallet = WalletClient<Transport, Chain | undefined, Account>;

/** The end of the send turn the current async context runs in: a send accepted there ends its own turn only. */
const turnOf = new AsyncLocalStorage<() => void>();

/**
 * The JSON-RPC calls one send makes: the nonce read, viem's fee read(s) and gas estimate, the broadcast. Each
 * ends within 2 × timeoutMs + retryDelayMs (transport.ts), so one send holds the queue for this many of those
 * at worst: 5 × 10.25 s = 51.25 s with CHAIN_RPC_LIMITS; a hung RPC fails each call in timeoutMs (25 s).
 */
const CALLS_PER_SEND = 5;

/** The longest a send waits for the account's earlier sends: one send's worst case (CALLS_PER_SEND). */
function sendQueueWaitMs(limits: { timeoutMs: number; retryDelayMs: number } = CHAIN_RPC_LIMITS): number {
  return CALLS_PER_SEND * (2 * limits.timeoutMs + limits.retryDelayMs);
}

/**
 * One send queue per account (docs/operator.md, "One wallet, many duties"). The aggregator's report, the seed
 * reveal, fraud proofs, equivocation evidence, the re-check and every slash keeper action are sent from the
 * node's one transaction key by duties that run on their own timers. viem reads the `pending` nonce for each
 * send, so two sends prepared at once took the same nonce and one of them was refused ("nonce too low") or
 * replaced the other.
 *
 * Here one send at a time picks its nonce and broadcasts; the next starts once the RPC accepted it (not once
 * it is mined: receipts are waited for outside the queue). The nonce is the lowest the account can use:
 * - the chain's pending count when the chain counts every transaction this queue broadcast (always after a
 *   restart: nothing is kept on disk, the chain is the record);
 * - else the lowest nonce below this queue's next that no live transaction of ours holds: one whose send
 *   failed before the RPC accepted it (a revert in gas estimation, a refused connection), or one the RPC no
 *   longer knows (dropped from its mempool). A hole left there would hold every later transaction back;
 * - else one past the last one this queue broadcast (the RPC's pending count may lag: a load-balanced
 *   backend that has not seen the last broadcast yet).
 * A failed send advances nothing: its nonce is the next send's. A send that waited sendQueueWaitMs for the
 * sends before it fails (CHAIN_ACTION_ERROR_RPC) as a call to a hung RPC does: the caller's retry decides.
 */
class AccountSendQueue {
  readonly address: Address;
  private readonly publicClient: PublicClient;
  private readonly maxWaitMs: number;
  private tail: Promise<void> = Promise.resolve();
  /** One past the highest nonce this queue broadcast; undefined before the first broadcast. */
  private next: number | undefined;
  /** The transactions this queue broadcast that the chain may not count yet, by nonce. */
  private readonly broadcast = new Map<number, Hash>();

  constructor(publicClient: PublicClient, address: Address, options: { maxWaitMs?: number } = {}) {
    this.publicClient = publicClient;
    this.address = address;
    this.maxWaitMs = options.maxWaitMs ?? sendQueueWaitMs();
  }

  /**
   * Runs `send` once every earlier send of the account was accepted by the RPC or failed, with `nextNonce`
   * to read the nonce it should use. The turn ends at `accepted` (the transaction's hash is known) or when
   * `send` returns or throws, whichever is first, so a send that waits for its receipt holds nobody back.
   */
  async inTurn<T>(send: (nextNonce: () => Promise<number>) => Promise<T>): Promise<T> {
    const before = this.tail;
    let end!: () => void;
    const ended = new Promise<void>((resolve) => {
      end = resolve;
    });
    this.tail = before.then(() => ended);
    let timer: NodeJS.Timeout | undefined;
    const waited = await Promise.race([
      before.then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), this.maxWaitMs);
      }),
    ]);
    clearTimeout(timer);
    if (!waited) {
      end();
      throw new ChainActionError(
        ChainActionErrorCode.RPC,
        `send queue of ${this.address}: the sends before this one did not end within ${Math.round(this.maxWaitMs / 1000)} s`,
        { maxWaitMs: this.maxWaitMs },
      );
    }
    try {
      return await turnOf.run(end, () => send(() => this.nextNonce()));
    } finally {
      end();
    }
  }

  /**
   * The RPC accepted the transaction with `nonce`: later sends take the nonces after it, and the turn it was
   * sent in (if any: the async context it runs in) ends.
   */
  accepted(nonce: number, hash: Hash): void {
    this.broadcast.set(nonce, hash);
    this.next = Math.max(this.next ?? 0, nonce + 1);
    turnOf.getStore()?.();
  }

  /** The nonce the next transaction should carry (see the class comment). */
  private async nextNonce(): Promise<number> {
    const pending = await this.publicClient.getTransactionCount({
      address: this.address,
      blockTag: "pending",
    });
    for (const n of this.broadcast.keys()) if (n < pending) this.broadcast.delete(n);
    if (this.next === undefined || pending >= this.next) return pending;
    const lowest = this.broadcast.get(pending);
    if (lowest === undefined || !(await this.rpcKnows(lowest))) return pending;
    for (let n = pending + 1; n < this.next; n++) if (!this.broadcast.has(n)) return n;
    return this.next;
  }

  /** Whether the RPC still has the transaction (mined or in its mempool); an RPC fault counts as yes. */
  private async rpcKnows(hash: Hash): Promise<boolean> {
    try {
      await getTransaction(this.publicClient, { hash });
      return true;
    } catch (e) {
      return (e as Error).name !== "TransactionNotFoundError";
    }
  }
}

const queues = new WeakMap<object, AccountSendQueue>();

/**
 * `wallet` with its writeContract sent through one AccountSendQueue: every duty's transaction gets its own
 * nonce. A call that names its nonce (the aggregator's and the re-check's resend-safe submissions,
 * leader/submitOnce.ts) holds its turn already (sendInTurn) and is sent as it is; its acceptance is recorded.
 */
export function queuedWallet<W extends Wallet>(
  wallet: W,
  publicClient: PublicClient,
  options: { maxWaitMs?: number } = {},
): W {
  const queue = new AccountSendQueue(publicClient, wallet.account.address, options);
  const write = wallet.writeContract.bind(wallet) as (args: { nonce?: number }) => Promise<Hash>;
  const writeContract = async (args: { nonce?: number }): Promise<Hash> => {
    const send = async (nonce: number) => {
      const hash = await write({ ...args, nonce });
      queue.accepted(nonce, hash);
      return hash;
    };
    if (args.nonce !== undefined) return send(args.nonce);
    return queue.inTurn(async (nextNonce) => send(await nextNonce()));
  };
  const queued = { ...wallet, writeContract } as unknown as W;
  queues.set(queued, queue);
  return queued;
}

/**
 * Runs `send` in the turn of `wallet`'s account (queuedWallet), with `nextNonce` to read the nonce it should
 * use, so that a send that fixes its nonce before it broadcasts (and keeps it for its resends) never takes
 * one another duty is about to use. A wallet without a queue (a test's) reads the chain's pending count.
 */
export function sendInTurn<T>(
  wallet: Wallet,
  publicClient: PublicClient,
  send: (nextNonce: () => Promise<number>) => Promise<T>,
): Promise<T> {
  const queue = queues.get(wallet);
  if (queue !== undefined) return queue.inTurn(send);
  return send(() =>
    publicClient.getTransactionCount({ address: wallet.account.address, blockTag: "pending" }),
  );
}
