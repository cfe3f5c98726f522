import { signedAttestationCodec } from "@checkernet/protocol/encoding/attestation";
import type { SignedAttestation } from "@checkernet/protocol/types";
import type { Logger } from "@checkernet/runtime";
import { bytesToHex } from "viem";
import type { EpochClock } from "../chain/clock.ts";
import type { CheckerDb } from "../db/checkerDb.ts";
import {
  ATTESTATION_SYNC_LIMITS,
  AttestationIds,
  AttestationSyncError,
  AttestationSyncErrorCode,
  type AttestationSyncRequest,
  type AttestationSyncErrorCode as Code,
} from "../network/reqresp/attestations.ts";
import { type AttestationValidationContext, validateGossipAttestation } from "../validation/attestation.ts";
import { AttestationError } from "../validation/errors/attestationError.ts";
import { GossipAction } from "../validation/errors/gossipValidation.ts";

/**
 * Attestation sync (docs/protocol/attestation-sync.md, issue 14 "Restarts"): gossip does not replay
 * what a node missed, so a node that restarted mid-epoch, or whose mesh is re-forming after a
 * partition, holds a partial view of the epoch's attestations. Before it ranks and leads a round
 * (AggregatorDuty.runEpoch), before it judges a co-sign request that names attestations it lacks
 * (cosigner.ts), and at start for the current and previous epoch, it asks a few connected peers
 * over `/checkernet/attestations/1.0.0` for those it lacks. Every attestation of an answer goes
 * through validateGossipAttestation with the gossip topic's own context (rules, seen cache,
 * conflict sink): a peer cannot get anything stored that gossip would refuse, and a conflicting
 * copy becomes equivocation evidence as on gossip. A peer whose answer breaks the framing or the
 * size cap, holds an attestation of another epoch, or one the rules REJECT is dropped (not asked)
 * for `dropMs`, with the reason logged; the rest of its answer is discarded unverified.
 */
interface AttestationSyncComponents {
  db: CheckerDb;
  logger: Logger;
  clock: EpochClock;
  /** The attestation topic's validation context (services/gossip.ts): the same rules, seen cache and conflict sink. */
  validation: AttestationValidationContext;
  /** Connected peers that may be asked, best first: the first is always asked, the others at random. */
  peers(): readonly string[];
  /** One request (network/reqresp/attestations.ts requestAttestations). */
  fetch(peer: string, request: AttestationSyncRequest, timeoutMs: number): Promise<SignedAttestation[]>;
}

interface AttestationSyncInit {
  /** Peers asked at once per sync (default 3). */
  fanout?: number;
  /** The default deadline of one sync, requests and validation included (default 2 s). */
  deadlineMs?: number;
  /** How long a dropped peer is not asked (default 4 epochs). */
  dropMs?: number;
  /** Requests to one peer per sync, each with the grown `have` list (default 4 = 4,096 attestations). */
  maxPages?: number;
  /**
   * Attestations of one answer validated at once (default 32): the BLS checks are batched, and a
   * forged answer costs at most this many before its peer is dropped.
   */
  chunk?: number;
  /**
   * Start-up sync: retried after `startRetryMs` (default 1 s), doubling up to 30 s, until a peer
   * answered, for at most half an epoch (peers connect after start; old peers lack the protocol).
   */
  startRetryMs?: number;
}

interface AttestationSyncOutcome {
  epoch: bigint;
  /** Peers asked, and those that answered. */
  asked: number;
  answered: number;
  /** Attestations received, and stored (new and valid). */
  received: number;
  stored: number;
  /** Peers dropped during this sync. */
  dropped: string[];
  ms: number;
}

interface Dropped {
  untilMs: number;
  code: Code;
  reason: string;
}

export class AttestationSync {
  private readonly c: AttestationSyncComponents;
  private readonly fanout: number;
  private readonly deadlineMs: number;
  private readonly dropMs: number;
  private readonly maxPages: number;
  private readonly chunk: number;
  private readonly startRetryMs: number;
  private readonly inFlight = new Map<bigint, Promise<AttestationSyncOutcome>>();
  private readonly droppedPeers = new Map<string, Dropped>();
  private readonly ids: AttestationIds;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;
  /** Totals since start, for status and tests. */
  readonly totals = { syncs: 0, stored: 0, dropped: 0, lastMs: 0 };

  constructor(components: AttestationSyncComponents, init: AttestationSyncInit = {}) {
    this.c = components;
    this.fanout = init.fanout ?? 3;
    this.deadlineMs = init.deadlineMs ?? 2_000;
    this.dropMs = init.dropMs ?? 4 * components.clock.epochSeconds * 1_000;
    this.maxPages = init.maxPages ?? 4;
    this.chunk = init.chunk ?? 32;
    this.startRetryMs = init.startRetryMs ?? 1_000;
    this.ids = new AttestationIds(components.validation.domain);
  }

  /** Peers dropped and not yet forgiven, with why (lower-case codes of AttestationSyncErrorCode). */
  dropped(): ReadonlyMap<string, { code: Code; reason: string }> {
    const now = Date.now();
    for (const [p, d] of this.droppedPeers) if (d.untilMs <= now) this.droppedPeers.delete(p);
    return this.droppedPeers;
  }

  /** Start-up sync of the current and the previous epoch, in the background, until a peer answered each. */
  start(): void {
    this.stopped = false;
    const current = this.c.clock.currentEpoch();
    const pending = new Set([current - 1n, current].filter((e) => e >= 1n));
    const until = Date.now() + (this.c.clock.epochSeconds * 1_000) / 2;
    const attempt = async () => {
      for (const epoch of [...pending]) {
        const r = await this.syncEpoch(epoch);
        if (r.answered > 0) pending.delete(epoch);
        if (r.stored > 0) {
          this.c.logger.info(
            { epoch: String(epoch), stored: r.stored, ms: r.ms },
            "start-up attestation sync",
          );
        }
      }
    };
    let retryMs = this.startRetryMs;
    const tick = () => {
      this.running = attempt()
        .catch((e: unknown) => this.c.logger.debug({ err: (e as Error).message }, "start-up sync failed"))
        .finally(() => {
          if (!this.stopped && pending.size > 0 && Date.now() < until) {
            this.timer = setTimeout(tick, retryMs);
            retryMs = Math.min(30_000, retryMs * 2);
          }
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await Promise.allSettled(this.inFlight.values());
  }

  /**
   * Asks up to `fanout` connected peers, not dropped, for the attestations of `epoch` this node
   * lacks, and stores every one that passes the gossip rules. Never throws; bounded by `deadlineMs`.
   * Concurrent calls for one epoch share one sync.
   */
  syncEpoch(epoch: bigint, options: { deadlineMs?: number } = {}): Promise<AttestationSyncOutcome> {
    const running = this.inFlight.get(epoch);
    if (running !== undefined) return running;
    const p = this.syncOnce(epoch, Date.now() + (options.deadlineMs ?? this.deadlineMs)).finally(() =>
      this.inFlight.delete(epoch),
    );
    this.inFlight.set(epoch, p);
    return p;
  }

  private async syncOnce(epoch: bigint, deadline: number): Promise<AttestationSyncOutcome> {
    const t0 = Date.now();
    const out: AttestationSyncOutcome = {
      epoch,
      asked: 0,
      answered: 0,
      received: 0,
      stored: 0,
      dropped: [],
      ms: 0,
    };
    const dropped = this.dropped();
    let connected: readonly string[] = [];
    try {
      connected = this.c.peers();
    } catch (e) {
      this.c.logger.debug({ err: (e as Error).message }, "no peers to sync from");
    }
    const [first, ...rest] = connected.filter((p) => !dropped.has(p));
    const peers = first === undefined ? [] : [first, ...shuffle(rest)].slice(0, this.fanout);
    out.asked = peers.length;
    // Answers arrive in parallel and are validated one at a time, so a second copy of an attestation
    // is ALREADY_KNOWN (no BLS check) once the first is accepted.
    let queue: Promise<unknown> = Promise.resolve();
    const absorbInTurn = (peer: string, list: SignedAttestation[]) => {
      const next = queue.then(() => this.absorb(peer, epoch, list, deadline, out));
      queue = next.catch(() => undefined);
      return next;
    };
    const work = Promise.all(
      peers.map(async (peer) => {
        for (let page = 0; page < this.maxPages; page++) {
          const left = deadline - Date.now();
          if (left <= 0 || this.stopped) return;
          let list: SignedAttestation[];
          try {
            const have = this.ids.haveList(await this.c.db.attestationsOfEpoch(epoch));
            list = await this.c.fetch(peer, { epoch, have }, left);
          } catch (e) {
            if (e instanceof AttestationSyncError && e.code === AttestationSyncErrorCode.INVALID) {
              this.drop(peer, e.code, e.message, out);
            } else {
              this.c.logger.debug(
                { epoch: String(epoch), peer, err: (e as Error).message },
                "no sync answer",
              );
            }
            return;
          }
          if (page === 0) out.answered++;
          out.received += list.length;
          if (!(await absorbInTurn(peer, list))) return;
          if (list.length < ATTESTATION_SYNC_LIMITS.maxAttestations) return;
        }
      }),
    ).then(() => queue);
    // The deadline bounds the wait, also when a validation hangs on a chain read: what is still
    // running goes on in the background (bounded by the answers it holds) and stores what passes.
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        work,
        new Promise((r) => (timer = setTimeout(r, Math.max(0, deadline - Date.now()) + 50))),
      ]);
    } catch (e) {
      this.c.logger.warn({ epoch: String(epoch), err: (e as Error).message }, "attestation sync failed");
    } finally {
      clearTimeout(timer);
    }
    work.catch(() => undefined);
    out.ms = Date.now() - t0;
    this.totals.syncs++;
    this.totals.lastMs = out.ms;
    if (out.stored > 0 || out.dropped.length > 0) {
      this.c.logger.info(
        { epoch: String(epoch), asked: out.asked, stored: out.stored, dropped: out.dropped, ms: out.ms },
        "attestation sync",
      );
    }
    return out;
  }

  /** Validates and stores one answer; false when its peer was dropped (the rest is discarded). */
  private async absorb(
    peer: string,
    epoch: bigint,
    list: readonly SignedAttestation[],
    deadline: number,
    out: AttestationSyncOutcome,
  ): Promise<boolean> {
    const wrong = list.find((s) => s.attestation.epoch !== epoch);
    if (wrong !== undefined) {
      this.drop(
        peer,
        AttestationSyncErrorCode.WRONG_EPOCH,
        `asked for epoch ${epoch}, the answer holds one of epoch ${wrong.attestation.epoch}`,
        out,
      );
      return false;
    }
    for (let i = 0; i < list.length; i += this.chunk) {
      if (Date.now() > deadline || this.stopped) return true;
      const results = await Promise.all(list.slice(i, i + this.chunk).map((s) => this.absorbOne(s)));
      const stored = results.filter((r) => r === undefined).length;
      out.stored += stored;
      this.totals.stored += stored;
      // Valid ones of the chunk are kept: what passes the rules is as good from any peer.
      const rejected = results.find((r): r is string => typeof r === "string");
      if (rejected !== undefined) {
        this.drop(peer, AttestationSyncErrorCode.REJECTED, rejected, out);
        return false;
      }
    }
    return true;
  }

  /**
   * One attestation through the gossip rules: undefined when stored, null when refused as gossip
   * IGNOREs it (already known, a conflict recorded as evidence, an unknown seed), else the REJECT reason.
   */
  private async absorbOne(s: SignedAttestation): Promise<string | null | undefined> {
    const { validation, db } = this.c;
    let signed: SignedAttestation;
    try {
      ({ signed } = await validateGossipAttestation(validation, signedAttestationCodec.encode(s)));
    } catch (e) {
      if (!(e instanceof AttestationError)) throw e;
      if (e.action === GossipAction.REJECT) {
        const a = s.attestation;
        return `attestation by ${a.checker} on ${a.provider} refused by the gossip rules (${e.type.code})`;
      }
      return null;
    }
    // After a restart the seen cache is empty: the db may hold another copy for the slot (a conflict).
    const a = signed.attestation;
    const held = await db.getAttestation(a.epoch, a.provider, a.checker);
    if (held !== undefined) {
      const same =
        bytesToHex(signedAttestationCodec.encode(held)) === bytesToHex(signedAttestationCodec.encode(signed));
      if (!same) validation.onConflict?.(signed);
      return null;
    }
    await db.putAttestation(signed);
    return undefined;
  }

  private drop(peer: string, code: Code, reason: string, out: AttestationSyncOutcome): void {
    this.droppedPeers.set(peer, { untilMs: Date.now() + this.dropMs, code, reason });
    out.dropped.push(peer);
    this.totals.dropped++;
    this.c.logger.warn({ peer, code, reason }, "attestation sync: peer dropped");
  }
}

function shuffle<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
