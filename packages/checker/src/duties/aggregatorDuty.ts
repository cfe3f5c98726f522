import { checkerRegistryAbi, epochReportsAbi } from "@checkernet/contracts/generated/index";
import type { BlsBackend } from "@checkernet/protocol/bls/backend";
import { g1FromEip2537, g2ToEip2537 } from "@checkernet/protocol/bls/index";
import { attestationSigningRoot, signedAttestationCodec } from "@checkernet/protocol/encoding/attestation";
import { reportSigningRoot } from "@checkernet/protocol/encoding/report";
import { type ReportInputs, reportInputsOf } from "@checkernet/protocol/explain";
import { buildResultsTree, resultProof } from "@checkernet/protocol/merkle/trees";
import type { ProtocolParams } from "@checkernet/protocol/params";
import {
  buildReport,
  checkReport,
  type EpochReport,
  licenseParticipation,
  type ProviderEpochInput,
} from "@checkernet/protocol/scoring/report";
import type { WeightedAttestation } from "@checkernet/protocol/scoring/verdict";
import {
  aggregatorTicket,
  committeeSeats,
  MAX_AGGREGATOR_LICENSES,
  providerTicket,
  rankAggregators,
  verifySortitionProof,
  vrfOutput,
} from "@checkernet/protocol/sortition";
import {
  type NetworkDomain,
  type ReportHeader,
  type SignedAttestation,
  Verdict,
} from "@checkernet/protocol/types";
import { type Logger, sleep } from "@checkernet/runtime";
import type { PeerId } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import {
  type Account,
  type Address,
  bytesToHex,
  type Chain,
  getAddress,
  type Hex,
  hexToBytes,
  type PublicClient,
  type Transport,
  type WalletClient,
  zeroAddress,
} from "viem";
import { ChainActionError, ChainActionErrorCode } from "../chain/actions/errors.ts";
import { getEpochInputs } from "../chain/actions/getEpochInputs.ts";
import { getOperatorPeerId } from "../chain/actions/getOperatorPeerId.ts";
import { getReport } from "../chain/actions/getReport.ts";
import { getReportCommittee } from "../chain/actions/getReportCommittee.ts";
import { openSlash } from "../chain/actions/openSlash.ts";
import { submitReport } from "../chain/actions/submitReport.ts";
import type { EpochClock } from "../chain/clock.ts";
import type { CheckerDb } from "../db/checkerDb.ts";
import type { CosignRequest } from "../network/reqresp/cosign.ts";
import {
  type ReportRecord,
  ReportRole,
  ReportStatus,
  readReportRecord,
  writeReportRecord,
} from "../reports/aggregatorRecords.ts";
import type { KeyDirectory } from "../validation/keyDirectory.ts";
import type { ProviderDirectory } from "../validation/providerDirectory.ts";
import type { EpochContext } from "../validation/sortition.ts";

export type SubmitterWallet = WalletClient<Transport, Chain | undefined, Account>;

export interface AggregatorAddresses {
  epochReports: Address;
  checkerRegistry: Address;
  providerRegistry: Address;
  /** When set, the submitter opens the pending slashes of its report's FAIL leaves (Slashing.openSlash). */
  slashing?: Address;
}

export interface AggregatorComponents {
  clock: EpochClock;
  epochs: EpochContext;
  keys: KeyDirectory;
  providers: ProviderDirectory;
  db: CheckerDb;
  bls: BlsBackend;
  logger: Logger;
  publicClient: PublicClient;
  /** Pays for submitReport; without it the node co-signs but never aggregates. */
  walletClient?: SubmitterWallet;
  /**
   * Asks a committee member for its co-signature (the cosign protocol's
   * client); `timeoutMs` is the backup step, so one silent member cannot
   * hold the leader past the moment its first backup steps in.
   */
  requestCosign(peer: PeerId, request: CosignRequest, timeoutMs: number): Promise<Uint8Array>;
}

export interface AggregatorInit {
  operator: Address;
  secretKey: Uint8Array;
  domain: NetworkDomain;
  params: ProtocolParams;
  addresses: AggregatorAddresses;
  /**
   * Gossip grace after the publish phase opens before the leader builds:
   * attestations published at publishStart need a moment to reach everyone.
   * Default: a fifth of the publish phase.
   */
  collectDelayMs?: number;
  /** Each backup waits this much longer than the one before it. Default: a fifth of the publish phase. */
  backupTimeoutMs?: number;
  /** Submission attempts on RPC errors (default 5), backing off from retryBaseMs (default 500 ms) doubling. */
  submitAttempts?: number;
  retryBaseMs?: number;
  /** Longest wait before resending a report the chain found too early (default: one epoch). */
  earlyRetryMaxMs?: number;
}

/** This node's place in an epoch's aggregator ranking. */
export interface AggregatorRole {
  epoch: string;
  /** 0 = leader, 1.. = backups, null = not ranked (no attestation of ours seen, or outranked). */
  rank: number | null;
  leader: Address | null;
  candidates: number;
}

export interface AggregationOutcome {
  epoch: bigint;
  role: AggregatorRole;
  record?: ReportRecord;
}

/** Why the duty or the co-signer refused. */
export const AggregatorErrorCode = {
  NOT_ON_COMMITTEE: "AGGREGATOR_ERROR_NOT_ON_COMMITTEE",
  INVALID_ATTESTATION: "AGGREGATOR_ERROR_INVALID_ATTESTATION",
  CONFLICTING_ATTESTATION: "AGGREGATOR_ERROR_CONFLICTING_ATTESTATION",
  UNKNOWN_SEED: "AGGREGATOR_ERROR_UNKNOWN_SEED",
  QUORUM_NOT_REACHED: "AGGREGATOR_ERROR_QUORUM_NOT_REACHED",
} as const;
export type AggregatorErrorCode = (typeof AggregatorErrorCode)[keyof typeof AggregatorErrorCode];

export class AggregatorError extends Error {
  override name = "AggregatorError";
  readonly code: AggregatorErrorCode;
  constructor(code: AggregatorErrorCode, message: string) {
    super(`${message} [${code}]`);
    this.code = code;
  }
}

/** Resends of a report the contract found too early (EpochReportsTooEarly), beyond the RPC retries. */
const MAX_EARLY_RETRIES = 10;

/**
 * How long to wait after EpochReportsTooEarly(epoch, timestamp, acceptedFrom): until the chain's time
 * reaches acceptedFrom, plus a block's worth of margin, within [0.5 s, one epoch].
 */
export function tooEarlyWaitMs(args: unknown, epochSeconds: number): number {
  const [, timestamp, acceptedFrom] = Array.isArray(args) ? args : [];
  const gap =
    typeof timestamp === "bigint" && typeof acceptedFrom === "bigint" ? Number(acceptedFrom - timestamp) : 0;
  return Math.min(Math.max(500, gap * 1_000 + 1_000), epochSeconds * 1_000);
}

const key = (a: SignedAttestation["attestation"]) => `${a.provider.toLowerCase()}:${a.checker.toLowerCase()}`;

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
  private readonly components: AggregatorComponents;
  private readonly init: AggregatorInit;
  private timer: NodeJS.Timeout | undefined;
  private abort = new AbortController();
  private running: Promise<unknown> = Promise.resolve();
  /** The last epoch's ranking, for status. */
  lastRole: AggregatorRole | undefined;
  /** EpochReports.reportDelaySeconds, read once. */
  private reportDelaySeconds: bigint | undefined;

  constructor(components: AggregatorComponents, init: AggregatorInit) {
    this.components = components;
    this.init = init;
  }

  private publishPhaseMs(): number {
    const b = this.components.clock.bounds(1n);
    return b.endMs - b.publishStartMs;
  }
  private collectDelayMs(): number {
    return this.init.collectDelayMs ?? Math.floor(this.publishPhaseMs() / 5);
  }
  private backupTimeoutMs(): number {
    return this.init.backupTimeoutMs ?? Math.floor(this.publishPhaseMs() / 5);
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
          const run = this.runEpoch(epoch, { signal: this.abort.signal }).catch((e: unknown) =>
            this.components.logger.warn(
              { epoch: String(epoch), err: (e as Error).message },
              "aggregation failed",
            ),
          );
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
   * snapshot (load it first with `keys.ensureEpoch`, as runEpoch does).
   */
  rank(epoch: bigint, attestations: readonly SignedAttestation[]): AggregatorRole {
    const { keys, bls, epochs } = this.components;
    const seed = epochs.seed(epoch);
    const proofs = new Map<Address, Hex>();
    for (const s of attestations) proofs.set(getAddress(s.attestation.checker), s.vrfProof);
    const candidates: { checker: Address; ticket: bigint }[] = [];
    for (const [checker, proof] of proofs) {
      const rec = keys.getChecker(checker, epoch);
      if (rec === undefined || rec.licenses <= 0 || seed === undefined) continue;
      // Gossip validation checked these already; a stored one from elsewhere is checked again.
      if (!verifySortitionProof(bls, rec.publicKey, epoch, seed, this.init.domain, proof)) continue;
      const ticket = aggregatorTicket(vrfOutput(proof), Math.min(rec.licenses, MAX_AGGREGATOR_LICENSES));
      candidates.push({ checker, ticket });
    }
    const ranked = rankAggregators(candidates, 1 + this.init.params.aggregatorBackups);
    const me = ranked.findIndex((c) => c.checker === getAddress(this.init.operator));
    return {
      epoch: String(epoch),
      rank: me < 0 ? null : me,
      leader: ranked[0]?.checker ?? null,
      candidates: candidates.length,
    };
  }

  /**
   * One epoch's aggregation. Returns what this node did; safe to call again
   * (a submitted epoch is never sent twice).
   */
  async runEpoch(
    epoch: bigint,
    options: { signal?: AbortSignal; waitForTurn?: boolean } = {},
  ): Promise<AggregationOutcome> {
    const { db, logger, publicClient, walletClient } = this.components;
    const existing = await readReportRecord(db, epoch);
    await this.components.keys.ensureEpoch?.(epoch);
    const role = this.rank(epoch, await db.attestationsOfEpoch(epoch));
    this.lastRole = role;
    if (
      existing !== undefined &&
      (existing.status === ReportStatus.SUBMITTED || existing.status === ReportStatus.REPORTED_BY_OTHER)
    ) {
      return { epoch, role, record: existing };
    }
    if (role.rank === null || walletClient === undefined) {
      logger.debug({ epoch: String(epoch), leader: role.leader }, "not an aggregator this epoch");
      return { epoch, role };
    }
    logger.info({ epoch: String(epoch), rank: role.rank, leader: role.leader }, "aggregator role");
    if (options.waitForTurn ?? true) await sleep(role.rank * this.backupTimeoutMs(), options.signal);
    if (options.signal?.aborted === true) return { epoch, role };

    const roleName = role.rank === 0 ? ReportRole.AGGREGATOR : ReportRole.BACKUP;
    if ((await getReport(publicClient, { epochReports: this.init.addresses.epochReports, epoch })) !== null) {
      logger.info({ epoch: String(epoch) }, "epoch already reported; standing down");
      return { epoch, role, record: await this.markReportedByOther(epoch, roleName, existing) };
    }
    // Attestations may have arrived during the wait: build from the latest view.
    const attestations = await db.attestationsOfEpoch(epoch);
    const report = await this.buildFromView(epoch, attestations);
    let record: ReportRecord = existing ?? {
      epoch,
      role: roleName,
      status: ReportStatus.PENDING,
      header: report.header,
      results: report.results,
      rewards: report.rewards,
      inputs: report.inputs,
      updatedMs: Date.now(),
    };
    if (record.status !== ReportStatus.SUBMITTING) {
      record = {
        ...record,
        role: roleName,
        status: ReportStatus.PENDING,
        header: report.header,
        results: report.results,
        rewards: report.rewards,
        inputs: report.inputs,
      };
      await writeReportRecord(db, record);
      const signed = await this.gatherSignatures(epoch, report.header, attestations);
      if (signed === undefined) {
        record = { ...record, status: ReportStatus.FAILED, error: "quorum not reached" };
        await writeReportRecord(db, record);
        return { epoch, role, record };
      }
      record = {
        ...record,
        status: ReportStatus.SUBMITTING,
        signerBitfield: signed.bitfield,
        signers: signed.signers,
        aggregateSignature: signed.signature,
      };
      await writeReportRecord(db, record);
    }
    record = await this.submit(record, options.signal);
    return { epoch, role, record };
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
   * checker's seats, every registered provider (INCONCLUSIVE when nobody
   * attested), stakes and license ids from the chain. Aggregator and
   * co-signers run this same function.
   */
  async buildFromView(
    epoch: bigint,
    attestations: readonly SignedAttestation[],
  ): Promise<EpochReport & { inputs: ReportInputs }> {
    const { keys, epochs, providers, publicClient } = this.components;
    const { params } = this.init;
    const seed = epochs.seed(epoch) ?? (await this.readSeed(epoch));
    // Seats are weighed with the epoch's own snapshot, which never changes once the epoch has begun.
    await keys.ensureEpoch?.(epoch);
    const perProvider = new Map<Address, ProviderEpochInput & { attestations: WeightedAttestation[] }>();
    for (const p of providers.providers()) {
      perProvider.set(getAddress(p.address), { attestations: [], stake: 0n });
    }
    for (const s of attestations) {
      const a = s.attestation;
      const rec = keys.getChecker(a.checker, epoch);
      if (rec === undefined || rec.licenses <= 0) continue;
      const seats = committeeSeats(
        providerTicket(vrfOutput(s.vrfProof), a.provider),
        rec.licenses,
        Math.max(keys.totalLicenses(epoch), rec.licenses),
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
  private async publicKeyOf(operator: Address, epoch: bigint): Promise<Uint8Array | undefined> {
    const { keys, publicClient } = this.components;
    const known = keys.getChecker(operator, epoch)?.publicKey ?? keys.getChecker(operator)?.publicKey;
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

  private async readSeed(epoch: bigint): Promise<Hex> {
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

  /** Co-signatures of the report committee; undefined below quorum. */
  private async gatherSignatures(
    epoch: bigint,
    header: ReportHeader,
    attestations: readonly SignedAttestation[],
  ): Promise<{ bitfield: bigint; signature: Hex; signers: number } | undefined> {
    const { bls, logger, publicClient } = this.components;
    const { seats, quorum } = await getReportCommittee(publicClient, {
      epochReports: this.init.addresses.epochReports,
      epoch,
    });
    const root = reportSigningRoot(header, this.init.domain);
    const me = getAddress(this.init.operator);
    const request: CosignRequest = { header, attestations: [...attestations] };
    // A zero address is a seat left empty (its draws kept landing on jailed operators): nobody signs it.
    const operators = [...new Set(seats)].filter((o) => o !== zeroAddress);
    const answers = await Promise.all(
      operators.map(async (operator): Promise<[Address, Uint8Array | undefined]> => {
        if (operator === me) return [operator, bls.sign(this.init.secretKey, root)];
        try {
          const peerId = await getOperatorPeerId(publicClient, {
            checkerRegistry: this.init.addresses.checkerRegistry,
            operator,
          });
          if (peerId === null) throw new Error("no usable peer id registered");
          const signature = await this.components.requestCosign(
            peerIdFromString(peerId),
            request,
            Math.max(2_000, this.backupTimeoutMs()),
          );
          const pk = await this.publicKeyOf(operator, epoch);
          if (pk === undefined || !bls.verify(pk, root, signature)) {
            throw new Error("co-signature does not verify against the registered key");
          }
          return [operator, signature];
        } catch (e) {
          logger.warn({ epoch: String(epoch), operator, err: (e as Error).message }, "no co-signature");
          return [operator, undefined];
        }
      }),
    );
    const byOperator = new Map(answers);
    const signatures: Uint8Array[] = [];
    let bitfield = 0n;
    seats.forEach((operator, seat) => {
      const s = operator === zeroAddress ? undefined : byOperator.get(operator);
      if (s === undefined) return;
      signatures.push(s);
      bitfield |= 1n << BigInt(seat);
    });
    logger.info(
      { epoch: String(epoch), signed: signatures.length, seats: seats.length, quorum },
      "co-signatures",
    );
    if (signatures.length < quorum || signatures.length === 0) return undefined;
    const aggregate = g2ToEip2537(bls.aggregateSignatures(signatures));
    return { bitfield, signature: bytesToHex(aggregate), signers: signatures.length };
  }

  /** Sends the report, never twice: reportOf before every attempt, one nonce for all of them. */
  private async submit(record: ReportRecord, signal?: AbortSignal): Promise<ReportRecord> {
    const { db, logger, publicClient } = this.components;
    const wallet = this.components.walletClient;
    if (wallet === undefined) return record;
    const epochReports = this.init.addresses.epochReports;
    const attempts = this.init.submitAttempts ?? 5;
    let delay = this.init.retryBaseMs ?? 500;
    let r = record;
    const signature = record.aggregateSignature;
    const bitfield = record.signerBitfield;
    if (signature === undefined || bitfield === undefined) return r;
    await this.waitForReportTime(r.epoch, signal);
    // EpochReportsTooEarly: the chain's clock trails ours. The committee and the signatures stay valid,
    // so the same report is sent again once the chain has caught up (bounded: a clock far off is a fault).
    let early = 0;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const landed = await getReport(publicClient, { epochReports, epoch: r.epoch });
        if (landed !== null) {
          if (r.txHash !== undefined) {
            const receipt = await publicClient
              .getTransactionReceipt({ hash: r.txHash })
              .catch(() => undefined);
            if (receipt?.status === "success") {
              r = { ...r, status: ReportStatus.SUBMITTED, gasUsed: receipt.gasUsed };
              await writeReportRecord(db, r);
              return r;
            }
          }
          r = { ...r, status: ReportStatus.REPORTED_BY_OTHER };
          await writeReportRecord(db, r);
          logger.info({ epoch: String(r.epoch) }, "another aggregator's report landed first");
          return r;
        }
        if (r.nonce === undefined) {
          r = {
            ...r,
            nonce: await publicClient.getTransactionCount({
              address: wallet.account.address,
              blockTag: "pending",
            }),
          };
          await writeReportRecord(db, r);
        }
        const result = await submitReport(publicClient, wallet, {
          epochReports,
          header: r.header,
          signerBitfield: bitfield,
          aggregateSignature: signature,
          nonce: r.nonce,
          onSent: async (hash) => {
            r = { ...r, txHash: hash };
            await writeReportRecord(db, r);
          },
        });
        r = { ...r, status: ReportStatus.SUBMITTED, txHash: result.hash, gasUsed: result.gasUsed };
        await writeReportRecord(db, r);
        logger.info(
          { epoch: String(r.epoch), tx: result.hash, gasUsed: String(result.gasUsed), signers: r.signers },
          "report submitted",
        );
        await this.openSlashes(r);
        return r;
      } catch (e) {
        const err = e as Error;
        if (
          e instanceof ChainActionError &&
          e.details.revert === "EpochReportsTooEarly" &&
          early < MAX_EARLY_RETRIES &&
          signal?.aborted !== true
        ) {
          early++;
          attempt--;
          const waitMs = Math.min(
            tooEarlyWaitMs(e.details.args, this.components.clock.epochSeconds),
            this.init.earlyRetryMaxMs ?? Number.POSITIVE_INFINITY,
          );
          logger.info(
            { epoch: String(r.epoch), waitMs, retry: early },
            "report refused as too early by the chain's clock; sending it again",
          );
          r = { ...r, error: err.message };
          await sleep(waitMs, signal);
          continue;
        }
        if (e instanceof ChainActionError && e.code === ChainActionErrorCode.REVERTED) {
          const already = e.details.revert === "EpochReportsAlreadyReported";
          r = {
            ...r,
            status: already ? ReportStatus.REPORTED_BY_OTHER : ReportStatus.FAILED,
            error: err.message,
          };
          await writeReportRecord(db, r);
          // A backup racing the aggregator (or the other way round) is the protocol working, not a fault.
          if (already) logger.info({ epoch: String(r.epoch) }, "another aggregator's report landed first");
          else logger.warn({ epoch: String(r.epoch), err: err.message }, "report refused by the contract");
          return r;
        }
        logger.warn({ epoch: String(r.epoch), attempt, err: err.message }, "submitReport failed; retrying");
        r = { ...r, error: err.message };
        if (attempt < attempts) await sleep(delay, signal);
        delay *= 2;
        if (signal?.aborted === true) break;
      }
    }
    await writeReportRecord(db, r);
    return r;
  }

  /**
   * Waits until the report of `epoch` is accepted (its start + `reportDelaySeconds`, the end of the
   * checking phase by default) by both this node's clock and the chain's latest block, whichever says so
   * first: the contract checks the block's time, and a chain that is ahead (tests) need not be waited for.
   * An RPC error skips the wait (an early report is refused, and that is retried).
   */
  private async waitForReportTime(epoch: bigint, signal?: AbortSignal): Promise<void> {
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

  /**
   * A FAIL verdict becomes a pending slash only through Slashing.openSlash,
   * which anyone may call: the submitter does it at once for every slashable
   * leaf of its landed report, so the contest window starts with the report.
   * A failure is logged, never thrown: the report itself has landed.
   */
  private async openSlashes(record: ReportRecord): Promise<void> {
    const { logger, publicClient, walletClient } = this.components;
    const slashing = this.init.addresses.slashing;
    if (slashing === undefined || /^0x0{40}$/i.test(slashing) || walletClient === undefined) return;
    const slashable = record.results.filter((l) => l.verdict === Verdict.FAIL && l.slashAmount > 0n);
    if (slashable.length === 0) return;
    const tree = buildResultsTree(record.results);
    for (const leaf of slashable) {
      try {
        const opened = await openSlash(publicClient, walletClient, {
          slashing,
          epoch: record.epoch,
          leaf,
          proof: resultProof(tree, leaf.provider),
        });
        logger.info(
          {
            epoch: String(record.epoch),
            provider: leaf.provider,
            slashId: opened.slashId === null ? null : String(opened.slashId),
            amount: String(leaf.slashAmount),
            gasUsed: String(opened.gasUsed),
          },
          opened.slashId === null ? "slash already open" : "pending slash opened",
        );
      } catch (e) {
        logger.warn(
          { epoch: String(record.epoch), provider: leaf.provider, err: (e as Error).message },
          "could not open the slash",
        );
      }
    }
  }

  /**
   * The co-signer's side: refuse unless this operator sits on the epoch's
   * report committee and the header equals the report rebuilt from its own
   * view (stored attestations plus the request's, each re-verified).
   */
  async cosign(request: CosignRequest): Promise<Uint8Array> {
    const { db, publicClient, bls, keys, epochs } = this.components;
    const { header } = request;
    const epoch = header.epoch;
    const me = getAddress(this.init.operator);
    const { seats } = await getReportCommittee(publicClient, {
      epochReports: this.init.addresses.epochReports,
      epoch,
    });
    if (!seats.includes(me)) {
      throw new AggregatorError(
        AggregatorErrorCode.NOT_ON_COMMITTEE,
        `not on the report committee of epoch ${epoch}`,
      );
    }
    const seed = epochs.seed(epoch) ?? (await this.readSeed(epoch));
    await keys.ensureEpoch?.(epoch);
    const own = await db.attestationsOfEpoch(epoch);
    const view = new Map<string, SignedAttestation>();
    for (const s of own) view.set(key(s.attestation), s);
    const accepted: SignedAttestation[] = [];
    for (const s of request.attestations) {
      const a = s.attestation;
      const k = key(a);
      const mine = view.get(k);
      const bytes = bytesToHex(signedAttestationCodec.encode(s));
      if (mine !== undefined) {
        if (bytesToHex(signedAttestationCodec.encode(mine)) === bytes) continue;
        throw new AggregatorError(
          AggregatorErrorCode.CONFLICTING_ATTESTATION,
          `the request's attestation by ${a.checker} on ${a.provider} differs from the one this node holds`,
        );
      }
      const rec = keys.getChecker(a.checker, epoch);
      const valid =
        a.epoch === epoch &&
        rec !== undefined &&
        rec.licenses > 0 &&
        keys.hasProvider(a.provider) &&
        committeeSeats(
          providerTicket(vrfOutput(s.vrfProof), a.provider),
          rec.licenses,
          Math.max(keys.totalLicenses(epoch), rec.licenses),
          this.init.params.committeeSize,
        ) > 0 &&
        verifySortitionProof(bls, rec.publicKey, epoch, seed, this.init.domain, s.vrfProof) &&
        bls.verify(rec.publicKey, attestationSigningRoot(a, this.init.domain), hexToBytes(s.signature));
      if (!valid) {
        throw new AggregatorError(
          AggregatorErrorCode.INVALID_ATTESTATION,
          `the request holds an invalid attestation by ${a.checker} on ${a.provider}`,
        );
      }
      view.set(k, s);
      accepted.push(s);
    }
    const local = await this.buildFromView(epoch, [...view.values()]);
    checkReport(header, local);
    // Keep what we verified and the leaves we co-signed: they serve evidence and reward proofs.
    if (accepted.length > 0) await db.putAttestations(accepted);
    const existing = await readReportRecord(db, epoch);
    if (existing === undefined) {
      await writeReportRecord(db, {
        epoch,
        role: ReportRole.COSIGNER,
        status: ReportStatus.COSIGNED,
        header: local.header,
        results: local.results,
        rewards: local.rewards,
        inputs: local.inputs,
        updatedMs: Date.now(),
      });
    }
    return bls.sign(this.init.secretKey, reportSigningRoot(header, this.init.domain));
  }
}
