import type { BlsBackend } from "@checkernet/protocol/bls/backend";
import {
  EquivocationError,
  type EquivocationEvidence,
  equivocationCodec,
  equivocationId,
  verifyEquivocation,
} from "@checkernet/protocol/equivocation";
import type { NetworkDomain, SignedAttestation } from "@checkernet/protocol/types";
import type { Logger } from "@checkernet/runtime";
import { bytesToHex, getAddress } from "viem";
import type { EpochClock } from "../chain/clock.ts";
import type { CheckerDb, EquivocationRecord } from "../db/checkerDb.ts";
import type { Metrics } from "../metrics/index.ts";
import { GossipAction, GossipActionError } from "./errors/gossipValidation.ts";
import type { KeyDirectory } from "./keyDirectory.ts";
import { ValidationBudget } from "./validationBudget.ts";

/** Bounds of the evidence this node keeps and accepts. */
export const EVIDENCE_LIMITS = {
  /**
   * Evidence older than this many epochs is IGNOREd on gossip and not loaded at start: it no longer
   * changes any aggregation (attestations are accepted two epochs back) and the equivocation duty
   * has had its chance to submit it. Stored evidence is pruned with the epoch history (CheckerDb.prune).
   */
  pastEpochs: 64n,
  /** One epoch outside the window is IGNOREd (an honest relay at a boundary); further out is spam, REJECTed (issue 14). */
  farEpochTolerance: 1n,
  /**
   * Evidence one peer (and one IP) may have verified per epoch (two pairings each) before the rest
   * is IGNOREd unverified. Honest evidence is one pair per equivocating checker and epoch, and an
   * equivocation costs its checker a day of jail and the epoch's rewards: 32 per epoch is far above
   * any honest rate and bounds what forged evidence from fresh peer ids can cost.
   */
  budgetPerEpoch: 32,
} as const;

/** Why evidence from the evidence topic was refused. */
const EvidenceErrorCode = {
  /** Larger than the EquivocationEvidence codec's limit, or not its canonical encoding. */
  INVALID_ENCODING: "EVIDENCE_ERROR_INVALID_ENCODING",
  /** Epoch beyond the current one, or older than EVIDENCE_LIMITS.pastEpochs (REJECTed beyond farEpochTolerance). */
  OUT_OF_WINDOW: "EVIDENCE_ERROR_OUT_OF_WINDOW",
  /** The sending peer or its IP is over its validation budget: IGNOREd before any BLS check. */
  OVER_BUDGET: "EVIDENCE_ERROR_OVER_BUDGET",
  /** The epoch's license snapshot could not be read (chain unreachable). */
  UNKNOWN_EPOCH_SNAPSHOT: "EVIDENCE_ERROR_UNKNOWN_EPOCH_SNAPSHOT",
  /** The checker holds no key in the epoch's snapshot. */
  UNKNOWN_CHECKER: "EVIDENCE_ERROR_UNKNOWN_CHECKER",
  /** verifyEquivocation refused the pair (its code is in `reason`). */
  INVALID: "EVIDENCE_ERROR_INVALID",
} as const;
type EvidenceErrorCode = (typeof EvidenceErrorCode)[keyof typeof EvidenceErrorCode];

class EvidenceError extends GossipActionError<{ code: EvidenceErrorCode; reason?: string }> {
  override name = "EvidenceError";
}

/** How a node came to hold evidence (metrics label). */
type EvidenceSource = "gossip-conflict" | "cosign-conflict" | "evidence-topic";

export interface EquivocationBookComponents {
  db: CheckerDb;
  keys: KeyDirectory;
  bls: BlsBackend;
  domain: NetworkDomain;
  clock: EpochClock;
  logger: Logger;
  metrics?: Metrics;
}

/**
 * Every node's book of equivocations (docs/protocol/equivocation.md): two valid attestations by one
 * checker for one (epoch, provider). It stores the pair (CheckerDb `equivocations`, one per (epoch,
 * checker)), publishes it on the evidence topic, and answers which checkers equivocated in an epoch:
 * the aggregator and the co-signer leave all of their attestations of that epoch out.
 */
export class EquivocationBook {
  private readonly c: EquivocationBookComponents;
  private readonly byEpoch = new Map<bigint, Set<string>>();
  private publisher: ((data: Uint8Array) => Promise<unknown>) | undefined;
  /** Per-peer and per-IP budget of evidence verified from the evidence topic (validationBudget.ts). */
  private readonly budget: ValidationBudget;

  constructor(components: EquivocationBookComponents) {
    this.c = components;
    this.budget = new ValidationBudget({
      perEpoch: () => EVIDENCE_LIMITS.budgetPerEpoch,
      epochSeconds: components.clock.epochSeconds,
    });
  }

  /** Where new evidence is published (the evidence topic, set by EvidenceGossip.start). */
  setPublisher(publish: ((data: Uint8Array) => Promise<unknown>) | undefined): void {
    this.publisher = publish;
  }

  /** Loads the equivocators of the recent epochs from the db (at start). */
  async load(): Promise<void> {
    const current = this.c.clock.currentEpoch();
    const from = current > EVIDENCE_LIMITS.pastEpochs ? current - EVIDENCE_LIMITS.pastEpochs : 0n;
    for (const r of await this.c.db.listEquivocations(from)) this.mark(r.epoch, r.checker);
  }

  /** Checkers this node holds evidence against for `epoch` (lower-case addresses). */
  equivocators(epoch: bigint): ReadonlySet<string> {
    return this.byEpoch.get(epoch) ?? new Set();
  }

  /**
   * Checkers barred from leading `epoch`'s report (the aggregator ranking skips them,
   * duties/aggregatorRanking.ts): those with evidence for `epoch` or any of the
   * EVIDENCE_LIMITS.pastEpochs (64) epochs before it. A key that signed two attestations is stolen or run
   * twice; it leads nothing until the chain's jail (equivocationJailEpochs, 96, from the registry's
   * next effective epoch once slashEquivocation lands) takes its seats, which happens well inside the bar.
   */
  barredFromLeading(epoch: bigint): ReadonlySet<string> {
    const out = new Set<string>();
    for (const [e, checkers] of this.byEpoch)
      if (e <= epoch && e + EVIDENCE_LIMITS.pastEpochs >= epoch) for (const c of checkers) out.add(c);
    return out;
  }

  /** Checkers with evidence, over the epochs held in memory. */
  count(): number {
    let n = 0;
    for (const s of this.byEpoch.values()) n += s.size;
    return n;
  }

  /**
   * Gossip validation found a valid attestation that conflicts with the one accepted first for its
   * (epoch, provider, checker): the first is read from the db (stored as it was accepted).
   */
  async onGossipConflict(other: SignedAttestation): Promise<void> {
    const a = other.attestation;
    if (this.equivocators(a.epoch).has(a.checker.toLowerCase())) return;
    // The accepted one is written right after its validation: give a racing write a moment.
    for (let i = 0; i < 20; i++) {
      const held = await this.c.db.getAttestation(a.epoch, a.provider, a.checker);
      if (held !== undefined) {
        await this.record({ first: held, second: other }, "gossip-conflict");
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    this.c.logger.warn(
      { epoch: String(a.epoch), checker: a.checker },
      "conflict without a stored first half",
    );
  }

  /** A co-sign request carried a valid attestation that conflicts with the one this node holds. */
  async onConflict(held: SignedAttestation, other: SignedAttestation): Promise<void> {
    await this.record({ first: held, second: other }, "cosign-conflict");
  }

  /**
   * Gossip validation of the evidence topic: canonical encoding, epoch window, then
   * verifyEquivocation under the checker's key of the epoch's snapshot. Invalid evidence is REJECTed
   * (the sender's peer score pays); accepted evidence is stored and forwarded by gossipsub.
   */
  async accept(data: Uint8Array, sender?: { peer: string; ip?: string }): Promise<EquivocationEvidence> {
    if (data.length > equivocationCodec.maxBytes) {
      throw new EvidenceError(GossipAction.REJECT, {
        code: EvidenceErrorCode.INVALID_ENCODING,
        reason: "oversized",
      });
    }
    let evidence: EquivocationEvidence;
    try {
      evidence = equivocationCodec.decode(data);
    } catch (e) {
      throw new EvidenceError(GossipAction.REJECT, {
        code: EvidenceErrorCode.INVALID_ENCODING,
        reason: (e as { code?: string }).code ?? "DECODE_ERROR",
      });
    }
    const a = evidence.first.attestation;
    const current = this.c.clock.currentEpoch(500);
    const outside = a.epoch > current ? a.epoch - current : current - a.epoch - EVIDENCE_LIMITS.pastEpochs;
    if (outside > 0n) {
      const action = outside > EVIDENCE_LIMITS.farEpochTolerance ? GossipAction.REJECT : GossipAction.IGNORE;
      throw new EvidenceError(action, { code: EvidenceErrorCode.OUT_OF_WINDOW });
    }
    if (sender !== undefined && !this.budget.tryTake(sender.peer, sender.ip)) {
      throw new EvidenceError(GossipAction.IGNORE, { code: EvidenceErrorCode.OVER_BUDGET });
    }
    await this.verify(evidence, GossipAction.REJECT);
    // Accepted (and forwarded) even when this node holds evidence against the checker already:
    // message ids are content hashes, so gossipsub drops copies of one pair before they get here,
    // and a node that found the pair itself while this copy was in flight had its own publish
    // refused as a duplicate of it; only forwarding this copy carries the pair on. Another valid
    // pair against the same checker needs its key: it costs the thief, not the network.
    await this.store(evidence, "evidence-topic");
    return evidence;
  }

  private async verify(evidence: EquivocationEvidence, onInvalid: GossipAction): Promise<void> {
    const a = evidence.first.attestation;
    if (this.c.keys.ensureEpoch !== undefined && !(await this.c.keys.ensureEpoch(a.epoch))) {
      throw new EvidenceError(GossipAction.IGNORE, { code: EvidenceErrorCode.UNKNOWN_EPOCH_SNAPSHOT });
    }
    const checker = this.c.keys.getChecker(a.checker, a.epoch);
    if (checker === undefined) {
      throw new EvidenceError(onInvalid, { code: EvidenceErrorCode.UNKNOWN_CHECKER });
    }
    try {
      verifyEquivocation(evidence, this.c.domain, checker.publicKey, this.c.bls);
    } catch (e) {
      if (!(e instanceof EquivocationError)) throw e;
      throw new EvidenceError(onInvalid, { code: EvidenceErrorCode.INVALID, reason: e.code });
    }
  }

  /** Verifies a pair found by this node, stores it and publishes it when new. */
  private async record(evidence: EquivocationEvidence, source: EvidenceSource): Promise<void> {
    try {
      await this.verify(evidence, GossipAction.IGNORE);
    } catch (e) {
      this.c.logger.warn({ err: (e as Error).message, source }, "conflicting pair is not evidence");
      return;
    }
    if (!(await this.store(evidence, source))) return;
    try {
      await this.publisher?.(equivocationCodec.encode(evidence));
    } catch (e) {
      // No peer on the topic yet: the others find the conflict themselves or in a co-sign request.
      this.c.logger.debug({ err: (e as Error).message }, "equivocation evidence not published");
    }
  }

  /** Stores verified evidence; false when evidence against the checker for the epoch was held already. */
  private async store(evidence: EquivocationEvidence, source: EvidenceSource): Promise<boolean> {
    const a = evidence.first.attestation;
    const record: EquivocationRecord = {
      epoch: a.epoch,
      checker: getAddress(a.checker),
      id: equivocationId(evidence),
      evidence: bytesToHex(equivocationCodec.encode(evidence)),
      status: "pending",
      attempts: 0,
      tx: null,
      error: null,
    };
    const fresh = await this.c.db.putEquivocation(record);
    this.mark(a.epoch, a.checker);
    if (fresh) {
      this.c.metrics?.equivocations.inc({ source });
      this.c.logger.warn(
        { epoch: String(a.epoch), checker: record.checker, provider: a.provider, id: record.id, source },
        "equivocation: a checker signed two attestations for one provider; its attestations of the epoch are left out",
      );
    }
    return fresh;
  }

  private mark(epoch: bigint, checker: string): void {
    let set = this.byEpoch.get(epoch);
    if (set === undefined) {
      set = new Set();
      this.byEpoch.set(epoch, set);
      // Bounded with the epoch history: drop epochs no aggregation will read again.
      for (const e of this.byEpoch.keys()) if (e + EVIDENCE_LIMITS.pastEpochs < epoch) this.byEpoch.delete(e);
    }
    set.add(checker.toLowerCase());
  }
}
