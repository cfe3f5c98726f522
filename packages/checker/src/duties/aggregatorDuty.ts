import { checkerRegistryAbi, epochReportsAbi } from "@checkernet/contracts/generated/index";
import { g1FromEip2537 } from "@checkernet/protocol/bls/index";
import { type ReportInputs, reportInputsOf } from "@checkernet/protocol/explain";
import {
  buildReport,
  type EpochReport,
  licenseParticipation,
  type ProviderEpochInput,
} from "@checkernet/protocol/scoring/report";
import type { WeightedAttestation } from "@checkernet/protocol/scoring/verdict";
import { attestationSeats, vrfOutput } from "@checkernet/protocol/sortition";
import type { ReportHeader, SignedAttestation } from "@checkernet/protocol/types";
import { sleep } from "@checkernet/runtime";
import type { PeerId } from "@libp2p/interface";
import { type Address, getAddress, type Hex, hexToBytes } from "viem";
import { getEpochInputs } from "../chain/actions/getEpochInputs.ts";
import { getReport } from "../chain/actions/getReport.ts";
import type { CosignRequest } from "../network/reqresp/cosign.ts";
import {
  LANDED_STATUSES,
  type ReportRecord,
  ReportRole,
  ReportStatus,
  readReportRecord,
  writeReportRecord,
} from "../reports/aggregatorRecords.ts";
import { aggregatorPlugin } from "./aggregatorPlugin.ts";
import { type AggregatorRole, rankEpochAggregators, rankedCheckers } from "./aggregatorRanking.ts";
import type { AggregatorComponents, AggregatorInit } from "./aggregatorTypes.ts";
import { AggregatorError, AggregatorErrorCode, cosignReport, withoutEquivocators } from "./cosigner.ts";
import { lead } from "./leader/engine.ts";
import { snapshotPublicKey } from "./leader/members.ts";
import { defaultBackupStepMs, turnDelayMs } from "./leader/timing.ts";

export type { AggregatorRole } from "./aggregatorRanking.ts";
export type { SubmitterWallet } from "./leader/submitOnce.ts";

export interface AggregationOutcome {
  epoch: bigint;
  role: AggregatorRole;
  record?: ReportRecord;
}

export { tooEarlyWaitMs } from "./aggregatorPlugin.ts";

/**
 * Past epochs one epoch's late-report pass retries at most, oldest first
 * (docs/protocol/sortition-and-aggregation.md, "Late reports"): each costs a
 * chain read, and for a ranked node a co-sign round and one transaction. The
 * contract's window (reportLatenessEpochs, 2 by default) holds no more.
 */
export const MAX_LATE_EPOCHS_PER_EPOCH = 2;

interface RunOptions {
  signal?: AbortSignal;
  waitForTurn?: boolean;
  /** A past epoch's round run late (reportLate): its record says so and `lastRole` keeps the current epoch's. */
  late?: boolean;
  /** This round follows one that missed quorum while the node's view was growing (at most one such retry). */
  viewRetry?: boolean;
}

/**
 * The aggregation half of an epoch (docs/protocol/cosign.md):
 *
 * 1. After the publish phase opens (+ collectDelayMs), rank the checkers whose
 *    VRF proofs we hold — every SignedAttestation carries its checker's
 *    vrfProof — by aggregatorTicket(vrfOutput, licenses); the lowest leads and
 *    params.aggregatorBackups more follow, backup i stepping in
 *    i × backupTimeoutMs later if no report has landed.
 * 2. Build the report with buildReport from the stored attestations, the
 *    stakes and the license ids read from the chain.
 * 3. Ask every operator of the contract's reportCommittee(epoch) for a
 *    co-signature over `/checkernet/cosign/1.0.0`; verify each answer.
 * 4. With a quorum of seats, aggregate by seat and submit with viem — once:
 *    a db record per epoch, an on-chain reportOf check before every send, and
 *    one nonce for every resend. Log the gas used.
 */
export class AggregatorDuty {
  readonly components: AggregatorComponents;
  readonly init: AggregatorInit;
  private timer: NodeJS.Timeout | undefined;
  private abort = new AbortController();
  private running: Promise<unknown> = Promise.resolve();
  /** The last epoch's ranking, for status. */
  lastRole: AggregatorRole | undefined;
  /** EpochReports.reportDelaySeconds and reportLatenessEpochs, read once. */
  private reportDelaySeconds: bigint | undefined;
  private latenessEpochs: bigint | undefined;

  constructor(components: AggregatorComponents, init: AggregatorInit) {
    this.components = components;
    this.init = init;
  }

  private collectDelayMs(): number {
    return this.init.collectDelayMs ?? defaultBackupStepMs(this.components.clock);
  }
  backupTimeoutMs(): number {
    return this.init.backupTimeoutMs ?? defaultBackupStepMs(this.components.clock);
  }

  /** Runs `runEpoch(e)` for every epoch e, collectDelayMs after its publish phase opens. */
  start(): void {
    if (this.timer !== undefined) return;
    this.abort = new AbortController();
    const { clock } = this.components;
    let last = 0n;
    const schedule = () => {
      const now = clock.nowMs();
      // Each epoch once; an epoch whose aggregation start passed more than a second ago is skipped.
      let epoch = clock.currentEpoch();
      if (epoch <= last) epoch = last + 1n;
      if (epoch < 1n) epoch = 1n;
      if (this.aggregationStartMs(epoch) < now - 1_000) epoch += 1n;
      const at = this.aggregationStartMs(epoch);
      last = epoch;
      this.timer = setTimeout(
        () => {
          const signal = this.abort.signal;
          const warn = (what: string) => (e: unknown) =>
            this.components.logger.warn({ epoch: String(epoch), err: (e as Error).message }, what);
          // One round at a time (one wallet, one nonce sequence): the epoch's own, then the late ones.
          const run = this.runEpoch(epoch, { signal })
            .catch(warn("aggregation failed"))
            .then(() => this.reportLate(epoch, { signal }))
            .catch(warn("late reports failed"));
          this.running = Promise.all([this.running, run]);
          if (this.timer !== undefined) schedule();
        },
        Math.max(0, at - now),
      );
    };
    schedule();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await this.running;
  }

  private aggregationStartMs(epoch: bigint): number {
    const b = this.components.clock.bounds(epoch);
    return b.publishStartMs + this.collectDelayMs();
  }

  /**
   * Ranks the checkers whose VRF proofs for `epoch` appear in `attestations`, by their weight in the epoch's
   * snapshot (load it first with `keys.ensureEpoch`, as runEpoch does), known equivocators left out
   * (aggregatorRanking.ts).
   */
  rank(
    epoch: bigint,
    attestations: readonly SignedAttestation[],
    count = 1 + this.init.params.aggregatorBackups,
  ): AggregatorRole {
    const inputs = this.rankingInputs(epoch, this.components.epochs.seed(epoch), count);
    return rankEpochAggregators(epoch, attestations, { ...inputs, operator: this.init.operator });
  }

  /** The epoch's leader and backups as `attestations` rank them (a co-signer past its roots cap: cosigner.ts). */
  async rankedAggregators(epoch: bigint, attestations: readonly SignedAttestation[]): Promise<Address[]> {
    await this.components.keys.ensureEpoch?.(epoch);
    const seed = await this.seedOf(epoch);
    const count = 1 + this.init.params.aggregatorBackups;
    return rankedCheckers(epoch, attestations, this.rankingInputs(epoch, seed, count));
  }

  private rankingInputs(epoch: bigint, seed: Hex | undefined, count: number) {
    const { keys, bls, equivocations } = this.components;
    return {
      keys,
      bls,
      domain: this.init.domain,
      seed,
      count,
      barred: equivocations?.barredFromLeading?.(epoch) ?? new Set<string>(),
    };
  }

  /**
   * This node's place in the epoch's whole ranking, past the backups (null: no attestation of ours held): the
   * slash keeper's turn order (slashKeeperTurn.ts).
   */
  async keeperRank(epoch: bigint): Promise<number | null> {
    await this.components.keys.ensureEpoch?.(epoch);
    const attestations = await this.components.db.attestationsOfEpoch(epoch);
    return this.rank(epoch, attestations, Math.max(1, attestations.length)).rank;
  }

  /**
   * One epoch's aggregation. Returns what this node did; safe to call again
   * (a submitted epoch is never sent twice).
   */
  async runEpoch(epoch: bigint, options: RunOptions = {}): Promise<AggregationOutcome> {
    const { db, logger, walletClient } = this.components;
    const existing = await readReportRecord(db, epoch);
    const landed = existing !== undefined && LANDED_STATUSES.includes(existing.status);
    // A restarted or healed node's view is partial and gossip does not replay what it missed: a node
    // that may lead first fetches what its peers hold, through the gossip rules (attestation-sync.md).
    if (!landed && walletClient !== undefined && options.signal?.aborted !== true) {
      await this.components.attestationSync?.syncEpoch(epoch);
    }
    await this.components.keys.ensureEpoch?.(epoch);
    const role = this.rank(epoch, await db.attestationsOfEpoch(epoch));
    if (options.late !== true) this.lastRole = role;
    if (landed) return { epoch, role, record: existing };
    if (role.rank === null || walletClient === undefined) {
      logger.debug({ epoch: String(epoch), leader: role.leader }, "not an aggregator this epoch");
      return { epoch, role };
    }
    logger.info(
      { epoch: String(epoch), rank: role.rank, leader: role.leader, late: options.late === true },
      "aggregator role",
    );
    if (options.waitForTurn ?? true)
      await sleep(turnDelayMs(role.rank, this.backupTimeoutMs()), options.signal);
    if (options.signal?.aborted === true) return { epoch, role };

    const roleName = role.rank === 0 ? ReportRole.AGGREGATOR : ReportRole.BACKUP;
    const state: { record: ReportRecord | undefined; proposedFrom?: number } = { record: existing };
    const late = options.late === true;
    let led: Awaited<ReturnType<typeof lead<CosignRequest, ReportRecord>>>;
    try {
      led = await lead(
        {
          bls: this.components.bls,
          logger,
          publicClient: this.components.publicClient,
          wallet: walletClient,
          self: { operator: getAddress(this.init.operator), secretKey: this.init.secretKey },
        },
        aggregatorPlugin(this, {
          epoch,
          roleName,
          state,
          late,
          wallet: walletClient,
          signal: options.signal,
        }),
        { attempts: this.init.submitAttempts, retryBaseMs: this.init.retryBaseMs, signal: options.signal },
      );
    } catch (e) {
      // The chain (or the db) failed mid-round: the epoch stays unreported, retried late (reportLate).
      await this.markUnreported(epoch, roleName, state.record, (e as Error).message, late).catch(
        () => undefined,
      );
      throw e;
    }
    if (led.kind === "stood-down") {
      return { epoch, role, record: await this.markReportedByOther(epoch, roleName, existing) };
    }
    if (led.kind === "no-quorum" && options.viewRetry !== true && (await this.viewGrew(epoch, state))) {
      // Members refused a report built from a view gossip had not yet filled (a busy machine, a node that
      // just started): with what arrived meanwhile this node ranks again (it may no longer lead) and, if
      // it still holds a seat in the ranking, proposes once more from the fuller view.
      logger.info({ epoch: String(epoch) }, "no quorum while attestations were arriving; ranking again");
      return this.runEpoch(epoch, { ...options, viewRetry: true });
    }
    // The FAIL leaves are opened by the slash keeper of every node that holds them (slashKeeper.ts).
    if (led.kind === "submitted" && led.outcome.kind === "gave-up") {
      const record = await this.markUnreported(epoch, roleName, led.record, led.record.error, late);
      return { epoch, role, record };
    }
    return { epoch, role, record: led.kind === "submitted" ? led.record : state.record };
  }

  /**
   * The epoch's attestations a report is built from: every stored one, except an equivocator's, which
   * count for nobody in the epoch (docs/protocol/equivocation.md).
   */
  async viewOf(epoch: bigint): Promise<SignedAttestation[]> {
    return withoutEquivocators(
      await this.components.db.attestationsOfEpoch(epoch),
      this.components.equivocations?.equivocators(epoch) ?? new Set(),
    );
  }

  /** Whether the node now holds more of the epoch's attestations than its last proposal was built from. */
  private async viewGrew(epoch: bigint, state: { proposedFrom?: number }): Promise<boolean> {
    if (state.proposedFrom === undefined) return false;
    return (await this.viewOf(epoch)).length > state.proposedFrom;
  }

  /**
   * Late reports (docs/protocol/sortition-and-aggregation.md, "Late reports"): in epoch `now`, each past
   * epoch the contract still accepts (now ≤ p + reportLatenessEpochs) whose report has not landed is run
   * again from the stored attestations, oldest first and at most MAX_LATE_EPOCHS_PER_EPOCH: the epoch's
   * own ranking says who leads, members co-sign the report they rebuild, and a report that landed
   * meanwhile ends the round. An RPC still down ends the pass (the next epoch tries again).
   */
  async reportLate(now: bigint, options: Omit<RunOptions, "late"> = {}): Promise<AggregationOutcome[]> {
    const { db, publicClient, logger, walletClient } = this.components;
    // A node that only co-signs has nothing to retry: it co-signs late reports when asked.
    if (walletClient === undefined) return [];
    const epochReports = this.init.addresses.epochReports;
    this.latenessEpochs ??= await publicClient.readContract({
      address: epochReports,
      abi: epochReportsAbi,
      functionName: "reportLatenessEpochs",
    });
    const out: AggregationOutcome[] = [];
    const first = now - this.latenessEpochs > 1n ? now - this.latenessEpochs : 1n;
    let tried = 0;
    for (let p = first; p < now && tried < MAX_LATE_EPOCHS_PER_EPOCH; p++) {
      if (options.signal?.aborted === true) break;
      const existing = await readReportRecord(db, p);
      if (existing !== undefined && LANDED_STATUSES.includes(existing.status)) continue;
      if ((await db.attestationsOfEpoch(p)).length === 0) continue;
      if ((await getReport(publicClient, { epochReports, epoch: p })) !== null) continue;
      tried++;
      logger.info({ epoch: String(p), now: String(now) }, "epoch unreported; reporting it late");
      out.push(await this.runEpoch(p, { ...options, late: true }));
    }
    return out;
  }

  private async markUnreported(
    epoch: bigint,
    role: ReportRecord["role"],
    record: ReportRecord | undefined,
    error: string | undefined,
    late: boolean,
  ): Promise<ReportRecord> {
    const next: ReportRecord = {
      ...(record ?? { epoch, role, header: {} as ReportHeader, results: [], rewards: [], updatedMs: 0 }),
      status: ReportStatus.UNREPORTED,
      ...(error === undefined ? {} : { error }),
      ...(late ? { late } : {}),
    };
    await writeReportRecord(this.components.db, next);
    return next;
  }

  private async markReportedByOther(
    epoch: bigint,
    role: ReportRecord["role"],
    existing: ReportRecord | undefined,
  ): Promise<ReportRecord> {
    const record: ReportRecord = {
      ...(existing ?? { epoch, header: {} as ReportHeader, results: [], rewards: [], updatedMs: 0 }),
      epoch,
      role: existing?.role ?? role,
      status: ReportStatus.REPORTED_BY_OTHER,
    };
    // Keep leaves we built or co-signed: they still serve reward proofs.
    await writeReportRecord(this.components.db, record);
    return record;
  }

  /**
   * The report as this node sees the epoch: each attestation weighted by its
   * checker's seats, every provider of the epoch's checking set (INCONCLUSIVE when nobody
   * attested), stakes and license ids from the chain. Aggregator and
   * co-signers run this same function.
   */
  async buildFromView(
    epoch: bigint,
    attestations: readonly SignedAttestation[],
  ): Promise<EpochReport & { inputs: ReportInputs }> {
    const { keys, providers, publicClient } = this.components;
    const { params } = this.init;
    const seed = await this.seedOf(epoch);
    // Seats are weighed with the epoch's own snapshot, which never changes once the epoch has begun; the
    // report waits (this build throws) while the snapshot or checking set cannot be read.
    if (keys.ensureEpoch !== undefined && !(await keys.ensureEpoch(epoch)))
      throw new Error(`epoch ${epoch}'s license snapshot or checking set is not held (RPC down?)`);
    const perProvider = new Map<Address, ProviderEpochInput & { attestations: WeightedAttestation[] }>();
    // The epoch's checking set, final once the epoch began: every member builds with the same providers.
    for (const p of providers.providers(epoch)) {
      perProvider.set(getAddress(p.address), { attestations: [], stake: 0n });
    }
    for (const s of attestations) {
      const a = s.attestation;
      const rec = keys.getChecker(a.checker, epoch);
      if (rec === undefined || rec.licenses <= 0) continue;
      const seats = attestationSeats(
        vrfOutput(s.vrfProof),
        a.provider,
        { licenses: rec.licenses, totalLicenses: keys.totalLicenses(epoch) },
        params.committeeSize,
      );
      if (seats <= 0) continue;
      const p = getAddress(a.provider);
      const entry = perProvider.get(p) ?? { attestations: [], stake: 0n };
      entry.attestations.push({ attestation: a, seats });
      perProvider.set(p, entry);
    }
    const inputs = await getEpochInputs(publicClient, {
      checkerRegistry: this.init.addresses.checkerRegistry,
      providerRegistry: this.init.addresses.providerRegistry,
      epoch,
      providers: [...perProvider.keys()],
      ...(this.components.snapshots === undefined ? {} : { snapshots: this.components.snapshots }),
    });
    for (const [p, entry] of perProvider) entry.stake = inputs.stakes.get(p) ?? 0n;
    const report = buildReport({
      epoch,
      seed,
      perProvider,
      licenseParticipation: licenseParticipation(perProvider, inputs.licensesByChecker),
      params,
    });
    // Published with the leaves so anyone can recompute every number (protocol/src/explain.ts).
    return { ...report, inputs: reportInputsOf(perProvider, inputs.licensesByChecker, params) };
  }

  /**
   * The registered key of a committee member: from the epoch's snapshot, else the latest one (a member of a
   * period's committee may hold no license in a later epoch of the period), else the registry.
   */
  async publicKeyOf(operator: Address, epoch: bigint): Promise<Uint8Array | undefined> {
    const { keys, publicClient } = this.components;
    const known = snapshotPublicKey(keys, operator, epoch);
    if (known !== undefined) return known;
    try {
      const raw = await publicClient.readContract({
        address: this.init.addresses.checkerRegistry,
        abi: checkerRegistryAbi,
        functionName: "publicKeyOf",
        args: [operator],
      });
      return raw === "0x" ? undefined : g1FromEip2537(hexToBytes(raw));
    } catch {
      return undefined;
    }
  }

  /** The epoch's seed: the one this node holds, else the chain's seedOf. */
  async seedOf(epoch: bigint): Promise<Hex> {
    const known = this.components.epochs.seed(epoch);
    if (known !== undefined) return known;
    try {
      return await this.components.publicClient.readContract({
        address: this.init.addresses.epochReports,
        abi: epochReportsAbi,
        functionName: "seedOf",
        args: [epoch],
      });
    } catch (e) {
      throw new AggregatorError(
        AggregatorErrorCode.UNKNOWN_SEED,
        `no seed for epoch ${epoch}: ${(e as Error).message}`,
      );
    }
  }

  /**
   * Waits until the report of `epoch` is accepted (its start + `reportDelaySeconds`, the end of the
   * checking phase by default) by both this node's clock and the chain's latest block, whichever says so
   * first: the contract checks the block's time, and a chain that is ahead (tests) need not be waited for.
   * An RPC error skips the wait (an early report is refused, and that is retried).
   */
  async waitForReportTime(epoch: bigint, signal?: AbortSignal): Promise<void> {
    const { clock, publicClient } = this.components;
    try {
      this.reportDelaySeconds ??= await publicClient.readContract({
        address: this.init.addresses.epochReports,
        abi: epochReportsAbi,
        functionName: "reportDelaySeconds",
      });
      const acceptedFromMs =
        clock.genesisMs +
        Number(epoch - 1n) * clock.epochSeconds * 1_000 +
        Number(this.reportDelaySeconds) * 1_000;
      const localWait = acceptedFromMs - clock.nowMs();
      if (localWait <= 0) return;
      const latest = await publicClient.getBlock();
      // A block is mined about every second on a live chain: the next one carries a later time.
      const chainWait = acceptedFromMs - Number(latest.timestamp) * 1_000 - 1_000;
      const wait = Math.min(localWait, chainWait);
      if (wait > 0) await sleep(wait, signal);
    } catch {
      // The send itself says whether it was early.
    }
  }

  /** The co-signer's side: cosigner.ts. `from`: the peer that asks (unknown: never a ranked aggregator). */
  cosign(request: CosignRequest, from?: PeerId): Promise<Uint8Array> {
    return cosignReport(this, request, from);
  }
}
