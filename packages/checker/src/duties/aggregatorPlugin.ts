import { reportSigningRoot } from "@checkernet/protocol/encoding/report";
import type { ReportInputs } from "@checkernet/protocol/explain";
import type { EpochReport } from "@checkernet/protocol/scoring/report";
import type { SignedAttestation } from "@checkernet/protocol/types";
import type { Address, Hex } from "viem";
import { getReport } from "../chain/actions/getReport.ts";
import { getReportCommittee } from "../chain/actions/getReportCommittee.ts";
import { receiptTimeoutMs } from "../chain/actions/receipt.ts";
import { submitReport } from "../chain/actions/submitReport.ts";
import type { CosignRequest } from "../network/reqresp/cosign.ts";
import { type ReportRecord, ReportStatus, writeReportRecord } from "../reports/aggregatorRecords.ts";
import type { AggregatorComponents, AggregatorInit } from "./aggregatorTypes.ts";
import type { LeaderPlugin, Proposal } from "./leader/engine.ts";
import { committeeOperators, operatorPeer } from "./leader/members.ts";
import { RevertClass, type SubmitterWallet } from "./leader/submitOnce.ts";

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

/**
 * Whether a record holds a committee's aggregate for its header, to send again rather than collect anew:
 * one being submitted, or one whose submission never reached the chain (the RPC was down).
 */
function signedBefore(
  r: ReportRecord | undefined,
): r is ReportRecord & { signerBitfield: bigint; aggregateSignature: Hex } {
  if (r?.signerBitfield === undefined || r.aggregateSignature === undefined) return false;
  return r.status === ReportStatus.SUBMITTING || r.status === ReportStatus.UNREPORTED;
}

/** What the plugin uses of the aggregator duty (AggregatorDuty), so that imports run from the duty to its plugin only. */
export interface AggregatorPluginHost {
  readonly components: AggregatorComponents;
  readonly init: AggregatorInit;
  backupTimeoutMs(): number;
  buildFromView(
    epoch: bigint,
    attestations: readonly SignedAttestation[],
  ): Promise<EpochReport & { inputs: ReportInputs }>;
  publicKeyOf(operator: Address, epoch: bigint): Promise<Uint8Array | undefined>;
  /** The epoch's attestations a report is built from (equivocators' left out). */
  viewOf(epoch: bigint): Promise<SignedAttestation[]>;
  waitForReportTime(epoch: bigint, signal?: AbortSignal): Promise<void>;
}

/**
 * The aggregator's hooks over the leader engine: the report rebuilt from the
 * latest view, the epoch's report committee, one db record per epoch
 * (pending → submitting → submitted | reported-by-other | failed | unreported), and
 * submitReport with the contract's reverts classified.
 */
export function aggregatorPlugin(
  duty: AggregatorPluginHost,
  round: {
    epoch: bigint;
    roleName: ReportRecord["role"];
    /** The epoch's record, and how many attestations the last proposal was built from (AggregatorDuty's view retry). */
    state: { record: ReportRecord | undefined; proposedFrom?: number };
    /** A past epoch's round run late (AggregatorDuty.reportLate): the records it writes say so. */
    late: boolean;
    wallet: SubmitterWallet;
    signal: AbortSignal | undefined;
  },
): LeaderPlugin<CosignRequest, ReportRecord> {
  const { epoch, roleName, state, late, wallet, signal } = round;
  const { db, logger, publicClient, clock } = duty.components;
  const { epochReports, checkerRegistry } = duty.init.addresses;
  const logFields = { epoch: String(epoch) };
  const save = async (record: ReportRecord) => {
    state.record = record;
    await writeReportRecord(db, record);
  };
  const nonceSpent = async (nonce: number) =>
    (await getReport(publicClient, { epochReports, epoch })) === null &&
    (await publicClient.getTransactionCount({ address: wallet.account.address, blockTag: "latest" })) > nonce;
  return {
    logFields,
    missingCosignatureMessage: "no co-signature",
    standDown: async () => {
      if ((await getReport(publicClient, { epochReports, epoch })) === null) return false;
      logger.info(logFields, "epoch already reported; standing down");
      return true;
    },
    propose: async (): Promise<Proposal<CosignRequest>> => {
      // Attestations may have arrived during the wait: build from the latest view.
      const attestations = await duty.viewOf(epoch);
      const report = await duty.buildFromView(epoch, attestations);
      state.proposedFrom = attestations.length;
      const built = {
        role: roleName,
        header: report.header,
        results: report.results,
        rewards: report.rewards,
        inputs: report.inputs,
        ...(late ? { late } : {}),
      };
      const existing = state.record;
      const request: CosignRequest = { header: report.header, attestations: [...attestations] };
      if (signedBefore(existing)) {
        const signed = {
          bitfield: existing.signerBitfield,
          signature: existing.aggregateSignature,
          signers: existing.signers ?? 0,
        };
        if (late && existing.late !== true) await save({ ...existing, late });
        return { payload: request, signed };
      }
      await save({
        ...(existing ?? { epoch, updatedMs: Date.now() }),
        ...built,
        status: ReportStatus.PENDING,
      } as ReportRecord);
      const { seats, quorum } = await getReportCommittee(publicClient, { epochReports, epoch });
      const root = reportSigningRoot(report.header, duty.init.domain);
      return { payload: request, round: { seats, members: committeeOperators(seats), root }, quorum };
    },
    askMember: async (operator, request) =>
      duty.components.requestCosign(
        await operatorPeer(publicClient, checkerRegistry, operator),
        request,
        Math.max(2_000, duty.backupTimeoutMs()),
      ),
    publicKeyOf: (operator) => duty.publicKeyOf(operator, epoch),
    onCollected: (signed, { round, quorum }) => {
      logger.info(
        { ...logFields, signed: signed.signatures.length, seats: round.seats.length, quorum },
        "co-signatures",
      );
    },
    onNoQuorum: async () => {
      await save({
        ...(state.record as ReportRecord),
        status: ReportStatus.FAILED,
        error: "quorum not reached",
      });
    },
    beforeSubmit: async (_proposal, signed) => {
      let record = state.record as ReportRecord;
      if (record.nonce !== undefined && (await nonceSpent(record.nonce))) {
        // An earlier round fixed a nonce that another transaction has used since (the RPC died between
        // fixing it and sending): no transaction of ours carries the report, so a fresh nonce serves.
        const { nonce: _spent, txHash: _unsent, ...rest } = record;
        record = rest;
        await save(record);
      }
      if (record.status !== ReportStatus.SUBMITTING) {
        record = {
          ...record,
          status: ReportStatus.SUBMITTING,
          signerBitfield: signed.bitfield,
          signers: signed.signers,
          aggregateSignature: signed.signature,
        };
        await save(record);
      }
      await duty.waitForReportTime(epoch, signal);
      return record;
    },
    submitHooks: (_proposal, signed) => ({
      logFields,
      action: "submitReport",
      write: save,
      landed: async () => (await getReport(publicClient, { epochReports, epoch })) !== null,
      send: (nonce, onSent) =>
        submitReport(publicClient, wallet, {
          epochReports,
          header: (state.record as ReportRecord).header,
          signerBitfield: signed.bitfield,
          aggregateSignature: signed.signature,
          nonce,
          onSent,
          receiptTimeoutMs: receiptTimeoutMs(clock.epochSeconds),
        }),
      classify: (revert) =>
        revert === "EpochReportsTooEarly"
          ? RevertClass.TOO_EARLY
          : revert === "EpochReportsAlreadyReported"
            ? RevertClass.ALREADY_SUBMITTED
            : revert === "EpochReportsTooLate"
              ? RevertClass.TOO_LATE
              : RevertClass.REFUSED,
      tooEarlyWaitMs: (e) =>
        Math.min(
          tooEarlyWaitMs(e.details.args, clock.epochSeconds),
          duty.init.earlyRetryMaxMs ?? Number.POSITIVE_INFINITY,
        ),
      onLanded: (r, ownReceipt) => {
        if (ownReceipt !== undefined)
          return { ...r, status: ReportStatus.SUBMITTED, gasUsed: ownReceipt.gasUsed };
        logger.info(logFields, "another aggregator's report landed first");
        return { ...r, status: ReportStatus.REPORTED_BY_OTHER };
      },
      onSent: (r, sent) => {
        logger.info(
          { ...logFields, tx: sent.hash, gasUsed: String(sent.gasUsed), signers: r.signers },
          "report submitted",
        );
        return { ...r, status: ReportStatus.SUBMITTED, txHash: sent.hash, gasUsed: sent.gasUsed };
      },
      onTooEarly: (r, err, retry, waitMs) => {
        logger.info(
          { ...logFields, waitMs, retry },
          "report refused as too early by the chain's clock; sending it again",
        );
        return { ...r, error: err.message };
      },
      onRefused: (r, err, revert) => {
        const already = revert === RevertClass.ALREADY_SUBMITTED;
        // A backup racing the aggregator (or the other way round) is the protocol working, not a fault.
        if (already) logger.info(logFields, "another aggregator's report landed first");
        else logger.warn({ ...logFields, err: err.message }, "report refused by the contract");
        return {
          ...r,
          status: already ? ReportStatus.REPORTED_BY_OTHER : ReportStatus.FAILED,
          error: err.message,
        };
      },
    }),
  };
}
