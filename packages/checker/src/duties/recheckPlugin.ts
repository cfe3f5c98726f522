import { SlashStatus } from "@checkernet/contracts";
import { type RecheckHeader, recheckSigningRoot } from "@checkernet/contracts/recheck";
import type { SignedRecheckResult } from "@checkernet/protocol/recheck";
import { type Address, getAddress } from "viem";
import type { RecheckState } from "../chain/actions/getRecheckState.ts";
import { submitRecheck } from "../chain/actions/submitRecheck.ts";
import type { RecheckRecord } from "../db/recheckRecords.ts";
import type { RecheckCosignRequest } from "../network/reqresp/recheck.ts";
import type { LeaderPlugin } from "./leader/engine.ts";
import { committeeOperators, operatorPeer, snapshotPublicKey } from "./leader/members.ts";
import { isFinalRevert, RevertClass, type SubmitterWallet } from "./leader/submitOnce.ts";
import type { RecheckComponents, RecheckInit } from "./recheckTypes.ts";

/** What the plugin uses of the re-check duty (RecheckDuty), so that imports run from the duty to its plugin only. */
export interface RecheckPluginHost {
  readonly components: RecheckComponents;
  readonly init: RecheckInit;
  backupTimeoutMs(): number;
  state(slashId: bigint): Promise<RecheckState>;
  readRecord(slashId: bigint): Promise<RecheckRecord | undefined>;
  writeRecord(record: RecheckRecord): Promise<void>;
  ownResult(state: RecheckState): Promise<SignedRecheckResult>;
  verifyResults(state: RecheckState, results: readonly SignedRecheckResult[]): void;
  headerOf(state: RecheckState, results: readonly SignedRecheckResult[]): RecheckHeader;
}

/**
 * The re-check's hooks over the leader engine: the members' signed results
 * collected first and the header built from them by the rules, co-signed by
 * the members whose results it counts, and submitRecheck with the contract's
 * reverts classified.
 */
export function recheckPlugin(
  duty: RecheckPluginHost,
  state: RecheckState,
  wallet: SubmitterWallet,
): LeaderPlugin<RecheckCosignRequest, RecheckRecord> {
  const { logger, publicClient } = duty.components;
  const { slashing, checkerRegistry } = duty.init.addresses;
  const logFields = { slashId: String(state.slashId) };
  const timeoutMs = Math.max(3_000, duty.backupTimeoutMs());
  return {
    logFields,
    missingCosignatureMessage: "no re-check co-signature",
    standDown: async () => false,
    propose: async () => {
      const operators = committeeOperators(state.committee);
      await duty.components.keys.ensureEpoch?.(state.recheckEpoch);
      const results = await collectResults(duty, state, operators, timeoutMs);
      const header = duty.headerOf(state, results);
      const root = recheckSigningRoot(header, state.domainSeparator, slashing);
      const resultOf = new Set(results.map((s) => getAddress(s.result.checker)));
      return {
        payload: { header, results },
        round: { seats: state.committee, members: operators.filter((o) => resultOf.has(o)), root },
        quorum: state.quorum,
      };
    },
    askMember: async (operator, request) =>
      duty.components.requestCosign(
        await operatorPeer(publicClient, checkerRegistry, operator),
        request,
        timeoutMs,
      ),
    publicKeyOf: (operator) => snapshotPublicKey(duty.components.keys, operator, state.recheckEpoch),
    onCollected: (signed, { payload, round, quorum }) => {
      logger.info(
        {
          ...logFields,
          verdict: payload.header.verdict,
          results: payload.results.length,
          failures: payload.header.failures,
          signed: signed.signatures.length,
          seats: round.seats.length,
          quorum,
        },
        "re-check co-signatures",
      );
    },
    onNoQuorum: async () => {},
    beforeSubmit: async (proposal) => {
      const base = (await duty.readRecord(state.slashId)) ?? {
        slashId: String(state.slashId),
        status: "member",
      };
      const record: RecheckRecord = {
        ...base,
        status: "submitting",
        verdict: proposal.payload.header.verdict,
      };
      await duty.writeRecord(record);
      return record;
    },
    submitHooks: (proposal, signed) => ({
      logFields,
      action: "submitRecheck",
      write: (record) => duty.writeRecord(record),
      landed: async () => (await duty.state(state.slashId)).status !== SlashStatus.Contested,
      send: (nonce, onSent) =>
        submitRecheck(publicClient, wallet, {
          slashing,
          header: proposal.payload.header,
          signerBitfield: signed.bitfield,
          aggregateSignature: signed.signature,
          nonce,
          onSent,
        }),
      // Resolved by another leader between our read and our send, or past the deadline: nothing left to
      // do. Anything else (a signature or quorum the contract refused) fails this round only: the next
      // round gathers the fixed committee's results and signatures again, until the deadline.
      classify: (revert) =>
        revert === "SlashingRecheckNotStarted"
          ? RevertClass.TOO_EARLY
          : revert === "SlashingInvalidStatus"
            ? RevertClass.ALREADY_SUBMITTED
            : revert === "SlashingRecheckDeadlinePassed"
              ? RevertClass.TOO_LATE
              : revert === "SlashingRecheckMismatch"
                ? RevertClass.INVALID
                : RevertClass.REFUSED,
      tooEarlyWaitMs: () => Math.max(1_000, duty.backupTimeoutMs() / 2),
      onLanded: (r, ownReceipt) => ({
        ...r,
        status: ownReceipt !== undefined ? "submitted" : "resolved-by-other",
      }),
      onSent: (r, sent) => {
        logger.info(
          {
            ...logFields,
            verdict: proposal.payload.header.verdict,
            tx: sent.hash,
            gasUsed: String(sent.gasUsed),
          },
          "re-check submitted",
        );
        return { ...r, status: "submitted", txHash: sent.hash, gasUsed: String(sent.gasUsed) };
      },
      onTooEarly: (r, _err, retry) => {
        // The chain's clock trails ours: the committee and its signatures stay valid, send them again.
        logger.info(
          { ...logFields, retry },
          "re-check refused as early by the chain's clock; sending it again",
        );
        return r;
      },
      onRefused: (r, err, revert) => {
        const final = isFinalRevert(revert);
        logger.warn({ ...logFields, err: err.message, final }, "re-check refused by the contract");
        const other = revert === RevertClass.ALREADY_SUBMITTED;
        return { ...r, status: other ? "resolved-by-other" : "failed", error: err.message };
      },
    }),
  };
}

/** The members' signed results, each checked; a member that does not answer is logged and left out. */
async function collectResults(
  duty: RecheckPluginHost,
  state: RecheckState,
  operators: readonly Address[],
  timeoutMs: number,
): Promise<SignedRecheckResult[]> {
  const { publicClient, logger } = duty.components;
  const me = getAddress(duty.init.operator);
  const collected = await Promise.all(
    operators.map(async (operator): Promise<SignedRecheckResult | undefined> => {
      try {
        const s =
          operator === me
            ? await duty.ownResult(state)
            : await duty.components.requestResult(
                await operatorPeer(publicClient, duty.init.addresses.checkerRegistry, operator),
                state.slashId,
                timeoutMs,
              );
        duty.verifyResults(state, [s]);
        if (getAddress(s.result.checker) !== operator)
          throw new Error("answered with another member's result");
        return s;
      } catch (e) {
        logger.warn(
          { slashId: String(state.slashId), operator, err: (e as Error).message },
          "no re-check result",
        );
        return undefined;
      }
    }),
  );
  return collected.filter((s): s is SignedRecheckResult => s !== undefined);
}
