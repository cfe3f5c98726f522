import { epochReportsAbi } from "@checkernet/contracts/generated/index";
import type { BlsBackend } from "@checkernet/protocol/bls/backend";
import { g1ToEip2537, g2ToEip2537 } from "@checkernet/protocol/bls/index";
import { domainSeparator } from "@checkernet/protocol/encoding/domain";
import { seedRevealMessage } from "@checkernet/protocol/epoch";
import type { NetworkDomain } from "@checkernet/protocol/types";
import { type Logger, sleep } from "@checkernet/runtime";
import { type Address, bytesToHex, getAddress, hexToBytes, type PublicClient, zeroAddress } from "viem";
import { ChainActionError, toChainActionError } from "../chain/actions/errors.ts";
import { revealSeed } from "../chain/actions/revealSeed.ts";
import type { EpochClock } from "../chain/clock.ts";
import type { Metrics } from "../metrics/index.ts";
import type { SubmitterWallet } from "./aggregatorDuty.ts";

export interface SeedDutyComponents {
  clock: EpochClock;
  bls: BlsBackend;
  logger: Logger;
  publicClient: PublicClient;
  /** Pays for revealSeed; without it the node can only say that it would have revealed. */
  walletClient?: SubmitterWallet;
  metrics?: Metrics;
}

export interface SeedDutyInit {
  operator: Address;
  secretKey: Uint8Array;
  domain: NetworkDomain;
  epochReports: Address;
  /** First wait between attempts (default 500 ms); it doubles up to maxRetryMs. */
  retryBaseMs?: number;
  /** Longest wait between attempts (default: a tenth of the epoch, at least 1 s). */
  maxRetryMs?: number;
  /** How often the loop looks at the clock for a new epoch (default 250 ms). */
  tickMs?: number;
}

/** What came of one epoch, for logs, the metric and /status. */
export const SeedOutcome = {
  /** This node's reveal landed. */
  REVEALED: "revealed",
  /** The seed was revealed already (by this node before a restart, or anyone who had the signature). */
  ALREADY_REVEALED: "already_revealed",
  /** This node is not the epoch's seed proposer. */
  NOT_PROPOSER: "not_proposer",
  /** The epoch's snapshot is empty: nobody proposes, the next seed is the fallback. */
  NO_PROPOSER: "no_proposer",
  /** This node is the proposer but has no transaction key. */
  NO_WALLET: "no_wallet",
  /** The epoch ended (or the node stopped) before a reveal landed: the next seed is the fallback. */
  MISSED: "missed",
  /** The contract refused the reveal for a reason retrying cannot fix (e.g. another key registered). */
  FAILED: "failed",
} as const;
export type SeedOutcome = (typeof SeedOutcome)[keyof typeof SeedOutcome];

export interface SeedEpochResult {
  /** The proposer's epoch; the seed revealed is that of `epoch + 1`. */
  epoch: bigint;
  outcome: SeedOutcome;
  attempts: number;
  txHash?: string;
  error?: string;
}

/** The chain's latest block is still in the epoch before: look again shortly (no backoff). */
const RETRY = Symbol("retry");
/** How often a node ahead of the chain's clock looks again (the chain mines about a block a second). */
const CHAIN_BEHIND_POLL_MS = 250;

/**
 * The seed proposer's duty (docs/protocol/contracts.md, "Seeds"). In every
 * epoch c the contract names one seed proposer, `EpochReports.seedProposer(c)`,
 * drawn from c's snapshot with c's seed. If it is this operator and the seed
 * of c + 1 is not revealed yet, the node signs
 * `seedRevealMessage(domainSeparator, c + 1, seedOf(c))` with its BLS operator
 * key (computed here, never taken from the RPC: the key signs only tagged
 * messages it built itself) and sends `revealSeed(c + 1, signature)`, early in
 * the epoch, retrying with backoff until it lands or the epoch ends (the
 * contract accepts it only during c). `EpochReportsSeedAlreadyRevealed` counts
 * as success. Without a reveal the seed of c + 1 is the fallback, which only
 * the proposer could have chosen to cause (one bit).
 */
export class SeedDuty {
  private readonly components: SeedDutyComponents;
  private readonly init: SeedDutyInit;
  private readonly ownKey: string;
  private timer: NodeJS.Timeout | undefined;
  private abort = new AbortController();
  private readonly running = new Set<Promise<unknown>>();
  private lastEpoch = 0n;
  private warnedNoWallet = false;
  /** No read is made at a block below this one (pinnedBlock). */
  private readFloor = 0n;
  /** Reveals this node landed or found landed as proposer, since start. */
  revealed = 0;
  /** The last epoch this node was the proposer of. */
  lastResult: SeedEpochResult | undefined;

  constructor(components: SeedDutyComponents, init: SeedDutyInit) {
    this.components = components;
    this.init = init;
    this.ownKey = bytesToHex(g1ToEip2537(components.bls.publicKey(init.secretKey))).toLowerCase();
  }

  /** Runs every epoch from the current one on (from epoch 1: nobody proposes in epoch 0), until stop(). */
  start(): void {
    if (this.timer !== undefined) return;
    this.abort = new AbortController();
    const tick = () => {
      const epoch = this.components.clock.currentEpoch();
      if (epoch > this.lastEpoch && epoch >= 1n) {
        this.lastEpoch = epoch;
        const run: Promise<unknown> = this.runEpoch(epoch, { signal: this.abort.signal })
          .catch((e: unknown) =>
            this.components.logger.warn(
              { epoch: String(epoch), err: (e as Error).message },
              "seed duty failed",
            ),
          )
          .finally(() => this.running.delete(run));
        this.running.add(run);
      }
      if (this.timer !== undefined) this.timer = setTimeout(tick, this.init.tickMs ?? 250);
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await Promise.allSettled([...this.running]);
  }

  /** The chain's head, or the highest block this duty read at or saw its reveal in when the head read is older. */
  private async pinnedBlock(): Promise<bigint> {
    const head = await this.components.publicClient.getBlockNumber({ cacheTime: 0 });
    if (head > this.readFloor) this.readFloor = head;
    return this.readFloor;
  }

  private epochEndMs(epoch: bigint): number {
    return this.components.clock.bounds(epoch).endMs;
  }

  /**
   * One epoch of the duty: attempts until an outcome is final, the epoch ends by this node's clock, or
   * `signal` aborts. Safe to call again (an epoch revealed already is found so).
   */
  async runEpoch(epoch: bigint, options: { signal?: AbortSignal } = {}): Promise<SeedEpochResult> {
    const { clock, logger } = this.components;
    const endMs = this.epochEndMs(epoch);
    const maxRetryMs = this.init.maxRetryMs ?? Math.max(1_000, Math.floor((clock.epochSeconds * 1_000) / 10));
    let delay = this.init.retryBaseMs ?? 500;
    let attempts = 0;
    const known = { proposer: false };
    let lastError: string | undefined;
    for (;;) {
      attempts++;
      let behind = false;
      try {
        const step = await this.attempt(epoch, known);
        if (step !== RETRY) return this.finish({ epoch, attempts, ...step });
        behind = true;
      } catch (e) {
        lastError = (e as Error).message;
        logger.warn(
          { epoch: String(epoch), attempt: attempts, err: lastError },
          "seed proposer check failed; retrying",
        );
      }
      const left = endMs - clock.nowMs();
      if (left <= 0 || options.signal?.aborted === true) {
        if (!known.proposer) {
          if (lastError !== undefined) {
            logger.warn(
              { epoch: String(epoch), err: lastError },
              "could not tell whether this node proposes the seed",
            );
          }
          return { epoch, outcome: SeedOutcome.NOT_PROPOSER, attempts };
        }
        return this.finish({
          epoch,
          attempts,
          outcome: SeedOutcome.MISSED,
          ...(lastError === undefined ? {} : { error: lastError }),
        });
      }
      if (behind) {
        await sleep(Math.min(CHAIN_BEHIND_POLL_MS, left), options.signal);
        continue;
      }
      await sleep(Math.min(delay, left), options.signal);
      delay = Math.min(delay * 2, maxRetryMs);
    }
  }

  private finish(result: SeedEpochResult): SeedEpochResult {
    const { logger, metrics } = this.components;
    if (result.outcome === SeedOutcome.NOT_PROPOSER || result.outcome === SeedOutcome.NO_PROPOSER) {
      logger.debug({ epoch: String(result.epoch), outcome: result.outcome }, "seed duty");
      return result;
    }
    this.lastResult = result;
    metrics?.seedReveals.inc({ result: result.outcome });
    const fields = {
      epoch: String(result.epoch),
      seedEpoch: String(result.epoch + 1n),
      outcome: result.outcome,
      attempts: result.attempts,
      ...(result.txHash === undefined ? {} : { tx: result.txHash }),
      ...(result.error === undefined ? {} : { err: result.error }),
    };
    if (result.outcome === SeedOutcome.REVEALED || result.outcome === SeedOutcome.ALREADY_REVEALED) {
      this.revealed++;
      logger.info(fields, "seed revealed as the epoch's seed proposer");
    } else {
      logger.warn(fields, "seed proposer did not reveal: the next epoch's seed is the fallback");
    }
    return result;
  }

  /** One attempt: a final outcome, or RETRY (chain behind, RPC error thrown). */
  private async attempt(
    epoch: bigint,
    known: { proposer: boolean },
  ): Promise<Pick<SeedEpochResult, "outcome" | "txHash" | "error"> | typeof RETRY> {
    const { publicClient, bls, clock, logger } = this.components;
    const reports = { address: this.init.epochReports, abi: epochReportsAbi } as const;
    let chainEpoch: bigint;
    let operator: Address;
    let key: string;
    // Every read of the attempt at one block, never below one this duty read at before: behind a
    // load-balanced RPC whose backends differ by a block or two, currentEpoch from one backend and
    // seedProposer, isSeedRevealed or seedOf from another still in the epoch before made the node skip its
    // reveal (another proposer; the fallback seed signed, refused as a bad signature) or send it twice
    // (not revealed yet). A backend that lacks the block fails the read ("header not found"): retried.
    let at: { blockNumber: bigint };
    try {
      at = { blockNumber: await this.pinnedBlock() };
      chainEpoch = await publicClient.readContract({ ...reports, functionName: "currentEpoch", ...at });
      // The chain's clock (its latest block) may trail ours by a block: seedOf(epoch), hence the proposer,
      // is final only once the chain is in `epoch` too.
      if (chainEpoch < epoch) return RETRY;
      const [who, publicKey] = await publicClient.readContract({
        ...reports,
        functionName: "seedProposer",
        args: [epoch],
        ...at,
      });
      operator = getAddress(who);
      key = publicKey.toLowerCase();
    } catch (e) {
      throw toChainActionError(e, "seed proposer");
    }
    if (operator === zeroAddress) return { outcome: SeedOutcome.NO_PROPOSER };
    if (operator !== getAddress(this.init.operator)) return { outcome: SeedOutcome.NOT_PROPOSER };
    known.proposer = true;
    if (chainEpoch > epoch) {
      return { outcome: SeedOutcome.MISSED, error: `the chain is in epoch ${chainEpoch} already` };
    }
    if (key !== this.ownKey) {
      return {
        outcome: SeedOutcome.FAILED,
        error: "the key registered for this operator is not this node's key: its reveal cannot verify",
      };
    }
    const next = epoch + 1n;
    let seed: `0x${string}`;
    try {
      if (
        await publicClient.readContract({ ...reports, functionName: "isSeedRevealed", args: [next], ...at })
      ) {
        return { outcome: SeedOutcome.ALREADY_REVEALED };
      }
      seed = await publicClient.readContract({ ...reports, functionName: "seedOf", args: [epoch], ...at });
    } catch (e) {
      throw toChainActionError(e, "seed state");
    }
    const wallet = this.components.walletClient;
    if (wallet === undefined) {
      if (!this.warnedNoWallet) {
        this.warnedNoWallet = true;
        logger.warn(
          { epoch: String(epoch) },
          "this node is the seed proposer but has no transaction key (txPrivateKey / CHECKER_TX_KEY) to reveal with",
        );
      }
      return { outcome: SeedOutcome.NO_WALLET };
    }
    const message = seedRevealMessage(domainSeparator(this.init.domain), next, seed);
    const signature = bytesToHex(g2ToEip2537(bls.sign(this.init.secretKey, hexToBytes(message))));
    try {
      const sent = await revealSeed(publicClient, wallet, {
        epochReports: this.init.epochReports,
        epoch: next,
        signature,
      });
      if (sent.blockNumber > this.readFloor) this.readFloor = sent.blockNumber;
      logger.info(
        { epoch: String(epoch), seedEpoch: String(next), tx: sent.hash, gasUsed: String(sent.gasUsed) },
        "revealSeed landed",
      );
      return { outcome: SeedOutcome.REVEALED, txHash: sent.hash };
    } catch (e) {
      const err = e instanceof ChainActionError ? e : toChainActionError(e, "revealSeed");
      const revert = err.details.revert;
      if (revert === "EpochReportsSeedAlreadyRevealed") return { outcome: SeedOutcome.ALREADY_REVEALED };
      if (revert === "EpochReportsRevealWindow") {
        // The window is the proposer's epoch by the chain's clock: while ours is still in it, the chain's
        // next block may be too (another try); after it, the chance is gone.
        if (clock.nowMs() < this.epochEndMs(epoch)) throw err;
        return { outcome: SeedOutcome.MISSED, error: err.message };
      }
      if (revert !== undefined) return { outcome: SeedOutcome.FAILED, error: err.message };
      throw err;
    }
  }
}
