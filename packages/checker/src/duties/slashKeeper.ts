import { epochReportsAbi, slashingAbi } from "@checkernet/contracts/generated/index";
import type { ResultLeaf } from "@checkernet/protocol/merkle/leaves";
import { buildResultsTree, resultProof } from "@checkernet/protocol/merkle/trees";
import { Verdict } from "@checkernet/protocol/types";
import type { Logger } from "@checkernet/runtime";
import type { Address, PublicClient } from "viem";
import { toChainActionError } from "../chain/actions/errors.ts";
import { openSlash } from "../chain/actions/openSlash.ts";
import type { CheckerDb } from "../db/checkerDb.ts";
import type { Metrics } from "../metrics/index.ts";
import { type ReportRecord, readReportRecord } from "../reports/aggregatorRecords.ts";
import type { SubmitterWallet } from "./leader/submitOnce.ts";
import { turnPollMs } from "./leader/timing.ts";
import { encodeKeeperCursor, loadKeeperCursor, saveKeeperCursor } from "./slashKeeperCursor.ts";
import { penalizePages, penaltyWork } from "./slashKeeperPenalties.ts";
import { openingEnded, readLandedReport } from "./slashKeeperReads.ts";
import { defaultKeeperStepMs, keeperTurnDelayMs } from "./slashKeeperTurn.ts";
import {
  NOT_DUE_YET_REVERTS,
  SETTLED_BY_OTHER_REVERTS,
  type SlashSettlement,
  sendSlashSettlement,
} from "./slashKeeperTx.ts";

export interface SlashKeeperComponents {
  db: CheckerDb;
  logger: Logger;
  publicClient: PublicClient;
  walletClient: SubmitterWallet;
  clock: { currentEpoch(): bigint; readonly epochSeconds: number };
  metrics?: Metrics;
  /** This node's place in the epoch's whole aggregator ranking (0 first), null when unranked. */
  rankOf(epoch: bigint): Promise<number | null>;
  /**
   * The landed report's leaves when this node's record holds another root's (ReportSync.ensure: a report it
   * co-signed, else a peer's copy checked against the chain); undefined when they cannot be had.
   */
  landedLeaves?(epoch: bigint): Promise<ReportRecord | undefined>;
}

export interface SlashKeeperInit {
  slashing: Address;
  epochReports: Address;
  /** Turn step between ranks (default 1/32 of an epoch, slashKeeperTurn.ts). */
  stepMs?: number;
  /** How often the keeper looks (default a quarter step, at least 2 s). */
  pollMs?: number;
}

/** Slash ids read per tick while catching up with the contract's slashCount (a restart goes on from its cursor). */
const SCAN_PER_TICK = 64;
/** Epoch ranks kept (oldest dropped first): more than the epochs whose slashes can be due at once. */
const MAX_CACHED_RANKS = 64;
const PENDING = 1;
const CONTESTED = 2;
const CANCELLED = 4;

interface WatchedSlash {
  epoch: bigint;
  status: number;
  contestDeadline: bigint;
  resolveDeadline: bigint;
}

/**
 * The slash keeper (docs/protocol/recheck.md, "Who opens and executes"): a FAIL verdict costs the provider
 * only once somebody opens the slash and, after the contest deadline, executes it; anyone may, so every node
 * with a wallet does, whoever submitted the report.
 *
 * 1. Opening: for every landed report of the last epochs whose leaves this node holds (it built, co-signed or
 *    fetched the same results root), each slashable FAIL leaf still unopened is opened until landed +
 *    contestWindowEpochs; a failed call is tried again on the next tick.
 * 2. Settling: every slash the contract holds (slashCount, read upward) still Pending after its contest
 *    deadline is executed; one still Contested after its re-check deadline is expired.
 *
 * Nodes take turns in the epoch's aggregator ranking (slashKeeperTurn.ts), so one transaction usually
 * suffices; the others read that it was done. Errors are logged and counted, never thrown into the node.
 */
export class SlashKeeper {
  private readonly components: SlashKeeperComponents;
  private readonly init: SlashKeeperInit;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private windows: { contest: bigint; lateness: bigint } | undefined;
  /** When this node first saw each action due (key: "open/e/provider", "settle/id"): its turn counts from then. */
  private readonly dueSinceMs = new Map<string, number>();
  /** Leaves opened (by anyone) or past their window: nothing left to do. */
  private readonly openDone = new Set<string>();
  private readonly warnedUnopened = new Set<string>();
  private nextSlashId = 1n;
  /** The scan cursor as last stored in the db (slashKeeperCursor.ts); undefined until the first look loaded it. */
  private storedCursor: string | undefined;
  private unopenedLeaves: readonly { epoch: bigint; provider: Address }[] = [];
  private unavailableEpochs: readonly bigint[] = [];
  private readonly ranks = new Map<bigint, number | null>();
  private readonly watched = new Map<bigint, WatchedSlash>();
  /** Cancelled slashes whose re-check may have overturned them: their long accuser lists may need paging. */
  private readonly maybeOverturned = new Set<bigint>();

  constructor(components: SlashKeeperComponents, init: SlashKeeperInit) {
    this.components = components;
    this.init = init;
  }

  private stepMs(): number {
    return this.init.stepMs ?? defaultKeeperStepMs(this.components.clock.epochSeconds);
  }

  start(): void {
    if (this.timer !== undefined) return;
    const pollMs = this.init.pollMs ?? turnPollMs(this.stepMs(), 2_000);
    const tick = () => {
      this.running ??= this.tick()
        .catch((e: unknown) =>
          this.components.logger.warn({ err: (e as Error).message }, "slash keeper tick failed"),
        )
        .finally(() => {
          this.running = undefined;
        });
      this.timer = setTimeout(tick, pollMs);
    };
    this.timer = setTimeout(tick, 0);
  }

  /** The slashable leaves still unopened an epoch after landing, at the last look (SLASH_UNOPENED). */
  unopened(): readonly { epoch: bigint; provider: Address }[] {
    return this.unopenedLeaves;
  }

  /**
   * Epochs with FAIL leaves in this node's view whose landed report has other leaves that neither this node
   * nor any peer holds, at the last look (REPORT_LEAVES_UNAVAILABLE): their slashes cannot be opened from here.
   */
  leavesUnavailable(): readonly bigint[] {
    return this.unavailableEpochs;
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One look: opens what is due, then settles what is due. Each half fails alone. */
  async tick(): Promise<void> {
    const { logger } = this.components;
    await this.openDue().catch((e: unknown) =>
      logger.warn({ err: (e as Error).message }, "slash keeper: opening pass failed"),
    );
    await this.settleDue().catch((e: unknown) =>
      logger.warn({ err: (e as Error).message }, "slash keeper: settling pass failed"),
    );
  }

  private async readWindows(): Promise<{ contest: bigint; lateness: bigint }> {
    const { publicClient } = this.components;
    this.windows ??= {
      contest: await publicClient.readContract({
        address: this.init.slashing,
        abi: slashingAbi,
        functionName: "contestWindowEpochs",
      }),
      lateness: await publicClient.readContract({
        address: this.init.epochReports,
        abi: epochReportsAbi,
        functionName: "reportLatenessEpochs",
      }),
    };
    return this.windows;
  }

  /** Whether rank-ordered turn of the action `key` has come (its due time is remembered on first sight). */
  private async turnCame(key: string, epoch: bigint): Promise<boolean> {
    const now = Date.now();
    const since = this.dueSinceMs.get(key) ?? now;
    this.dueSinceMs.set(key, since);
    return now >= since + keeperTurnDelayMs(await this.rankOf(epoch), this.stepMs());
  }

  /**
   * The node's rank in the epoch, computed once: ranking checks every candidate's VRF proof (a BLS pairing
   * each), too much to repeat on every look; the attestations of an epoch whose report landed are final.
   */
  private async rankOf(epoch: bigint): Promise<number | null> {
    const known = this.ranks.get(epoch);
    if (known !== undefined) return known;
    const rank = await this.components.rankOf(epoch).catch(() => null);
    if (this.ranks.size >= MAX_CACHED_RANKS) this.ranks.delete(this.ranks.keys().next().value as bigint);
    this.ranks.set(epoch, rank);
    return rank;
  }

  private count(action: string, outcome: string): void {
    this.components.metrics?.slashKeeperActions.inc({ action, outcome });
  }

  /** Opens the unopened slashable leaves of the landed reports this node holds the leaves of. */
  async openDue(): Promise<void> {
    const { db, publicClient, logger, clock } = this.components;
    const windows = await this.readWindows();
    const now = clock.currentEpoch();
    const horizon = windows.lateness + windows.contest + 1n;
    const unopened: { epoch: bigint; provider: Address }[] = [];
    /** The pass's one block: whether, which root and when a report landed are read at it (review5 M3). */
    let at: bigint | undefined;
    const unavailable: bigint[] = [];
    const slashableOf = (epoch: bigint, r: ReportRecord | undefined) =>
      (r?.results ?? []).filter(
        (l) =>
          l.verdict === Verdict.FAIL && l.slashAmount > 0n && !this.openDone.has(`${epoch}/${l.provider}`),
      );
    for (let epoch = now > horizon ? now - horizon : 1n; epoch <= now; epoch++) {
      let record = await readReportRecord(db, epoch).catch(() => undefined);
      let slashable = slashableOf(epoch, record);
      if (record === undefined || slashable.length === 0) continue;
      at ??= await publicClient.getBlockNumber({ cacheTime: 0 });
      const landed = await readLandedReport(publicClient, this.init.epochReports, epoch, at);
      if (landed === null) continue;
      // Our leaves open a slash only under the root that landed: another root's are asked for (review5 H1).
      if (landed.resultsRoot !== record.header.resultsRoot) {
        record = await this.components.landedLeaves?.(epoch).catch(() => undefined);
        if (record?.header.resultsRoot !== landed.resultsRoot) {
          unavailable.push(epoch);
          this.warnUnavailable(epoch, landed.resultsRoot);
          continue;
        }
        slashable = slashableOf(epoch, record);
      }
      const { landedEpoch } = landed;
      const tree = buildResultsTree(record.results);
      for (const leaf of slashable) {
        const key = `${epoch}/${leaf.provider}`;
        // The clock says the window closed: only the chain's word (openSlash's estimate) ends the leaf.
        const ended = () =>
          openingEnded(publicClient, this.components.walletClient.account, this.init.slashing, {
            epoch,
            leaf,
            proof: resultProof(tree, leaf.provider),
          });
        if (now > landedEpoch + windows.contest && (await ended())) {
          this.openDone.add(key);
          continue;
        }
        const opened = (await this.turnCame(`open/${key}`, epoch))
          ? await this.open(epoch, leaf, tree)
          : now > landedEpoch && (await this.isOpen(epoch, leaf.provider));
        if (opened || now <= landedEpoch) continue;
        unopened.push({ epoch, provider: leaf.provider });
        if (!this.warnedUnopened.has(key)) {
          this.warnedUnopened.add(key);
          logger.error(
            { epoch: String(epoch), provider: leaf.provider, landedEpoch: String(landedEpoch) },
            "a slashable FAIL leaf is still unopened an epoch after its report landed",
          );
        }
      }
    }
    this.components.metrics?.slashesUnopened.set(unopened.length);
    this.unopenedLeaves = unopened;
    this.unavailableEpochs = unavailable;
    this.forgetBefore(now > horizon ? now - horizon : 1n);
  }

  private warnUnavailable(epoch: bigint, landedRoot: string): void {
    if (this.warnedUnopened.has(`${epoch}/leaves`)) return;
    this.warnedUnopened.add(`${epoch}/leaves`);
    this.components.logger.error(
      { epoch: String(epoch), landedRoot },
      "the landed report's leaves are held by no peer: its FAIL verdicts cannot be opened from this node",
    );
  }

  /** Whether the slash of (epoch, provider) is open on chain (read while waiting for this node's turn). */
  private async isOpen(epoch: bigint, provider: Address): Promise<boolean> {
    const slashId = await this.components.publicClient
      .readContract({
        address: this.init.slashing,
        abi: slashingAbi,
        functionName: "slashIdOf",
        args: [epoch, provider],
      })
      .catch(() => 0n);
    if (slashId !== 0n) this.openDone.add(`${epoch}/${provider}`);
    return slashId !== 0n;
  }

  /** Drops what the opening pass remembers of epochs before `first`: none of them is looked at again. */
  private forgetBefore(first: bigint): void {
    const old = (key: string) => BigInt(key.replace(/^open\//, "").split("/")[0] ?? "0") < first;
    for (const key of this.openDone) if (old(key)) this.openDone.delete(key);
    for (const key of this.warnedUnopened) if (old(key)) this.warnedUnopened.delete(key);
    for (const key of this.dueSinceMs.keys())
      if (key.startsWith("open/") && old(key)) this.dueSinceMs.delete(key);
  }

  /** One openSlash try; true once the slash is open (by this node or another). */
  private async open(
    epoch: bigint,
    leaf: ResultLeaf,
    tree: ReturnType<typeof buildResultsTree>,
  ): Promise<boolean> {
    const { publicClient, walletClient, logger } = this.components;
    const log = { epoch: String(epoch), provider: leaf.provider };
    try {
      const opened = await openSlash(publicClient, walletClient, {
        slashing: this.init.slashing,
        epoch,
        leaf,
        proof: resultProof(tree, leaf.provider),
      });
      this.openDone.add(`${epoch}/${leaf.provider}`);
      this.count("open", opened.slashId === null ? "done-by-other" : "sent");
      if (opened.slashId !== null) {
        logger.info(
          { ...log, slashId: String(opened.slashId), gasUsed: String(opened.gasUsed) },
          "pending slash opened",
        );
      }
      return true;
    } catch (e) {
      this.count("open", "failed");
      logger.warn({ ...log, err: (e as Error).message }, "could not open the slash; retrying");
      return false;
    }
  }

  /** Reads new slash ids, then executes or expires the watched ones whose deadline has passed. */
  async settleDue(): Promise<void> {
    const { publicClient, clock } = this.components;
    const read = (slashId: bigint) =>
      publicClient.readContract({
        address: this.init.slashing,
        abi: slashingAbi,
        functionName: "slashOf",
        args: [slashId],
      });
    const count = await publicClient.readContract({
      address: this.init.slashing,
      abi: slashingAbi,
      functionName: "slashCount",
    });
    const scanned = (slashId: bigint, s: Awaited<ReturnType<typeof read>>) => {
      if (s.status === PENDING || s.status === CONTESTED) this.watched.set(slashId, this.watchOf(s));
      else if (s.status === CANCELLED) this.maybeOverturned.add(slashId);
    };
    // The first look after a start goes on from the stored cursor: the ids that needed work are read again.
    if (this.storedCursor === undefined) {
      const cursor = await loadKeeperCursor(this.components.db, this.init.slashing);
      if (cursor !== undefined && cursor.next <= count + 1n) {
        for (const slashId of cursor.open) scanned(slashId, await read(slashId));
        this.nextSlashId = cursor.next;
      }
      this.storedCursor = "";
    }
    for (let n = 0; n < SCAN_PER_TICK && this.nextSlashId <= count; n++, this.nextSlashId++)
      scanned(this.nextSlashId, await read(this.nextSlashId));
    const now = clock.currentEpoch();
    for (const [slashId, known] of [...this.watched]) {
      // A contested slash is read on every look: an overturn's long accuser list is penalized at once.
      if (known.status === PENDING && now <= known.contestDeadline) continue;
      const fresh = this.watchOf(await read(slashId));
      if (fresh.status !== PENDING && fresh.status !== CONTESTED) {
        this.forgetSlash(slashId);
        if (fresh.status === CANCELLED) this.maybeOverturned.add(slashId);
        continue;
      }
      if (fresh.status === CONTESTED && now <= fresh.resolveDeadline) {
        this.watched.set(slashId, fresh);
        continue;
      }
      this.watched.set(slashId, fresh);
      // Contested meanwhile: its re-check deadline is the one to wait for now.
      if (fresh.status !== known.status) continue;
      if (!(await this.turnCame(`settle/${slashId}`, fresh.epoch))) continue;
      await this.settle(slashId, fresh.status === PENDING ? "executeSlash" : "expireContest");
    }
    for (const slashId of [...this.maybeOverturned]) await this.penalize(slashId);
    await this.storeCursor();
  }

  /** Stores the scan cursor when it moved: the next id to read and the ids still watched. */
  private async storeCursor(): Promise<void> {
    const open = [...new Set([...this.watched.keys(), ...this.maybeOverturned])].sort((a, b) =>
      a < b ? -1 : 1,
    );
    const cursor = encodeKeeperCursor(this.init.slashing, { next: this.nextSlashId, open });
    if (cursor === this.storedCursor) return;
    await saveKeeperCursor(this.components.db, cursor);
    this.storedCursor = cursor;
  }

  /** Pages penalizeAccusers through an overturned slash's long accuser list (slashKeeperPenalties.ts). */
  private async penalize(slashId: bigint): Promise<void> {
    const { logger, db, publicClient, walletClient } = this.components;
    const ctx = { db, publicClient, walletClient, slashing: this.init.slashing };
    try {
      const work = await penaltyWork(ctx, slashId);
      if (work.kind === "none") {
        this.maybeOverturned.delete(slashId);
        return;
      }
      if (!(await this.turnCame(`penalize/${slashId}`, work.epoch))) return;
      const sent = await penalizePages(ctx, slashId, work);
      this.maybeOverturned.delete(slashId);
      this.dueSinceMs.delete(`penalize/${slashId}`);
      this.count("penalizeAccusers", sent.pages === 0 ? "done-by-other" : "sent");
      if (sent.pages > 0)
        logger.info(
          { slashId: String(slashId), pages: sent.pages, gasUsed: String(sent.gasUsed) },
          "accusers of an overturned slash penalized",
        );
    } catch (e) {
      this.count("penalizeAccusers", "failed");
      logger.warn(
        { slashId: String(slashId), err: (e as Error).message },
        "could not penalize the accusers; retrying",
      );
    }
  }

  private forgetSlash(slashId: bigint): void {
    this.watched.delete(slashId);
    this.dueSinceMs.delete(`settle/${slashId}`);
  }

  private watchOf(s: {
    epoch: bigint;
    status: number;
    contestDeadline: bigint;
    resolveDeadline: bigint;
  }): WatchedSlash {
    return {
      epoch: s.epoch,
      status: s.status,
      contestDeadline: s.contestDeadline,
      resolveDeadline: s.resolveDeadline,
    };
  }

  private async settle(slashId: bigint, action: SlashSettlement): Promise<void> {
    const { publicClient, walletClient, logger } = this.components;
    const log = { slashId: String(slashId), action };
    try {
      const sent = await sendSlashSettlement(publicClient, walletClient, this.init.slashing, action, slashId);
      this.forgetSlash(slashId);
      this.count(action, "sent");
      logger.info({ ...log, tx: sent.hash, gasUsed: String(sent.gasUsed) }, "slash settled");
    } catch (e) {
      const revert = toChainActionError(e, action).details.revert;
      if (typeof revert === "string" && SETTLED_BY_OTHER_REVERTS.includes(revert)) {
        // Not in the status this node read: closed by another, or (read from a backend a block behind)
        // contested meanwhile. Kept: the next look reads it again and forgets it only once it is closed.
        this.count(action, "done-by-other");
      } else if (typeof revert === "string" && NOT_DUE_YET_REVERTS.includes(revert)) {
        // The chain's block time has not reached the deadline the node's clock has: the next tick tries.
        this.count(action, "not-due");
      } else {
        this.count(action, "failed");
        logger.warn({ ...log, err: (e as Error).message }, "could not settle the slash; retrying");
      }
    }
  }
}
