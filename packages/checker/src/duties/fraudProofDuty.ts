import { fraudProofsAbi } from "@checkernet/contracts/generated/index";
import { decodeMatmulFraudProof, type MatmulFraudProof } from "@checkernet/protocol/fraud/matmulFraud";
import type { Logger } from "@checkernet/runtime";
import type { Address, PublicClient } from "viem";
import { ChainActionError, toChainActionError } from "../chain/actions/errors.ts";
import { submitFraudProof } from "../chain/actions/submitFraudProof.ts";
import type { CheckerDb, FraudProofRecord, FraudProofStatus } from "../db/checkerDb.ts";
import type { Metrics } from "../metrics/index.ts";
import type { SubmitterWallet } from "./aggregatorDuty.ts";

export interface FraudProofDutyComponents {
  db: CheckerDb;
  logger: Logger;
  publicClient: PublicClient;
  /** Pays for submitMatmulFraudProof; without it proofs stay stored (pending). */
  walletClient?: SubmitterWallet;
  metrics?: Metrics;
  /**
   * The node's epoch clock (genesis + epoch length): the prune reads the chain's epoch once per epoch of it,
   * not on every poll (issue 15: 10 `currentEpoch` calls an epoch). Without it, every poll reads.
   */
  clock?: { currentEpoch(): bigint };
}

export interface FraudProofDutyInit {
  /** The FraudProofs contract. */
  fraudProofs: Address;
  /** How often stored proofs are looked at (default 2 s). */
  pollMs?: number;
  /** First wait after an RPC error (default 1 s); it doubles per attempt up to maxRetryMs. */
  retryBaseMs?: number;
  maxRetryMs?: number;
}

/**
 * What a revert means for a stored proof (FraudProofs custom errors): the
 * provider already fraud-slashed for that epoch, or already slashed for it by
 * an executed committee slash, is done (whoever's proof it was); an epoch out of the window is expired; every other refusal (no
 * answer key, bad signature, bad path, honest entry, sizes) means the proof
 * is not one, and it is never sent again. Anything that is not a revert is an
 * RPC fault, retried.
 */
export function fraudRevertStatus(revert: string): FraudProofStatus {
  // One punishment per (provider, epoch): the committee's slash of that epoch was executed first.
  if (revert === "FraudProofsAlreadySlashed" || revert === "FraudProofsAlreadyPunished")
    return "already-slashed";
  if (revert === "FraudProofsEpochOutOfWindow") return "expired";
  return "rejected";
}

/** Counts of /status and `checker status`. */
export interface FraudProofCounts {
  /** Proofs this node built and stored. */
  built: number;
  /** Of those, still waiting to land. */
  pending: number;
  /** Landed by this node (the provider was slashed). */
  landed: number;
  /** The provider was already slashed for the epoch by another proof. */
  alreadySlashed: number;
  rejected: number;
  expired: number;
}

/** The stored fraud proofs by status (whether or not this node submits them). */
export async function fraudProofCounts(db: CheckerDb): Promise<FraudProofCounts> {
  const all = await db.listFraudProofs();
  const count = (s: FraudProofStatus) => all.filter((r) => r.status === s).length;
  return {
    built: all.length,
    pending: count("pending"),
    landed: count("landed"),
    alreadySlashed: count("already-slashed"),
    rejected: count("rejected"),
    expired: count("expired"),
  };
}

/**
 * Submits the matmul fraud proofs the checking duty stored (one per provider
 * and epoch, db `fraud-proofs`) to FraudProofs, once each: a proof stays
 * pending through RPC errors (retried with backoff) and ends landed,
 * already-slashed, rejected or expired (fraudRevertStatus). Without a wallet
 * it only keeps them. Proofs are read from the database, so a restart
 * resumes where it stopped.
 */
export class FraudProofDuty {
  private readonly components: FraudProofDutyComponents;
  private readonly init: FraudProofDutyInit;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly nextTryMs = new Map<string, number>();
  private warnedNoWallet = false;
  private windowEpochs: bigint | undefined;
  private prunedBefore = -1n;
  /**
   * The chain's epoch at the last read, the one its answer is valid for: nothing to prune again while the
   * node's clock is in that epoch. Not the clock's epoch before the read: the chain's clock follows blocks
   * (its answer is often the epoch before), and the clock may tick during the read.
   */
  private answeredEpoch: bigint | undefined;

  constructor(components: FraudProofDutyComponents, init: FraudProofDutyInit) {
    this.components = components;
    this.init = init;
  }

  start(): void {
    if (this.timer !== undefined) return;
    const tick = () => {
      this.running ??= this.poll()
        .then(() => undefined)
        .catch((e: unknown) => this.components.logger.warn({ err: e }, "fraud-proof poll failed"))
        .finally(() => {
          this.running = undefined;
        });
      this.timer = setTimeout(tick, this.init.pollMs ?? 2_000);
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /**
   * Deletes the proofs (and VRAM proofs) of epochs that left FraudProofs' window (`currentEpoch −
   * fraudProofWindowEpochs`, both read from the contract): none of them can land any more, and a landed one
   * is done. Stored proofs are thus bounded by the window's epochs × the providers this node checks. Once per
   * epoch of the node's clock: the chain still says which epoch it is (its time may lag the clock; pruning
   * late is safe, early is not), so while it answers an epoch behind the clock it is read on every poll;
   * a read that fails is tried on the next poll. Returns the first epoch kept, undefined when not run.
   */
  async prune(): Promise<bigint | undefined> {
    const { db, publicClient, logger, metrics, clock } = this.components;
    if (clock !== undefined && clock.currentEpoch() === this.answeredEpoch) return undefined;
    const read = (functionName: "currentEpoch" | "fraudProofWindowEpochs") =>
      publicClient.readContract({ address: this.init.fraudProofs, abi: fraudProofsAbi, functionName });
    let minEpoch: bigint;
    try {
      this.windowEpochs ??= await read("fraudProofWindowEpochs");
      const chainEpoch = await read("currentEpoch");
      this.answeredEpoch = chainEpoch;
      minEpoch = chainEpoch - this.windowEpochs;
    } catch (e) {
      logger.warn({ err: (e as Error).message }, "fraud-proof window not read; pruning later");
      return undefined;
    }
    if (minEpoch <= this.prunedBefore) return undefined;
    const { matmul, vram } = await db.pruneFraudProofs(minEpoch);
    this.prunedBefore = minEpoch;
    const expired = matmul.filter((r) => r.status === "pending").length;
    if (expired > 0) metrics?.fraudProofs.inc({ result: "expired" }, expired);
    if (matmul.length + vram > 0) {
      logger.info(
        { before: String(minEpoch), proofs: matmul.length, expiredPending: expired, vramProofs: vram },
        "fraud proofs of epochs past the window pruned",
      );
    }
    return minEpoch;
  }

  /** Sends every pending proof whose retry time has come; returns the records it changed. */
  async poll(): Promise<FraudProofRecord[]> {
    const { db, walletClient, logger } = this.components;
    await this.prune();
    const pending = (await db.listFraudProofs()).filter((r) => r.status === "pending");
    if (pending.length === 0) return [];
    if (walletClient === undefined) {
      if (!this.warnedNoWallet)
        logger.warn({ pending: pending.length }, "fraud proofs stored but not submitted: no transaction key");
      this.warnedNoWallet = true;
      return [];
    }
    const changed: FraudProofRecord[] = [];
    for (const record of pending) {
      const key = `${record.provider}/${record.epoch}`;
      if ((this.nextTryMs.get(key) ?? 0) > Date.now()) continue;
      const next = await this.submit(record, walletClient);
      if (next === undefined) continue;
      await db.updateFraudProof(next);
      changed.push(next);
    }
    return changed;
  }

  private async submit(
    record: FraudProofRecord,
    wallet: SubmitterWallet,
  ): Promise<FraudProofRecord | undefined> {
    const { publicClient, logger, metrics } = this.components;
    const key = `${record.provider}/${record.epoch}`;
    const log = { provider: record.provider, epoch: String(record.epoch) };
    let proof: MatmulFraudProof;
    try {
      proof = decodeMatmulFraudProof(record.proof);
    } catch (e) {
      return { ...record, status: "rejected", error: (e as Error).message };
    }
    const attempts = record.attempts + 1;
    try {
      const sent = await submitFraudProof(publicClient, wallet, {
        fraudProofs: this.init.fraudProofs,
        proof,
      });
      metrics?.fraudProofs.inc({ result: "landed" });
      logger.info(
        { ...log, tx: sent.hash, gasUsed: String(sent.gasUsed) },
        "fraud proof landed: provider slashed",
      );
      return { ...record, status: "landed", attempts, tx: sent.hash, error: null };
    } catch (e) {
      const err = e instanceof ChainActionError ? e : toChainActionError(e, "submitMatmulFraudProof");
      const revert = err.details.revert;
      if (typeof revert === "string") {
        const status = fraudRevertStatus(revert);
        metrics?.fraudProofs.inc({ result: status });
        (status === "rejected" ? logger.error : logger.info).call(
          logger,
          { ...log, revert },
          "fraud proof refused",
        );
        return { ...record, status, attempts, error: err.message };
      }
      // RPC fault or a mined failure: pending, next try after a backoff.
      const base = this.init.retryBaseMs ?? 1_000;
      const wait = Math.min(base * 2 ** Math.min(attempts - 1, 10), this.init.maxRetryMs ?? 30_000);
      this.nextTryMs.set(key, Date.now() + wait);
      metrics?.fraudProofs.inc({ result: "retry" });
      logger.warn({ ...log, err: err.message, retryInMs: wait }, "fraud proof not sent; retrying");
      return { ...record, attempts, error: err.message };
    }
  }
}
