import type { BlsBackend } from "@checkernet/protocol/bls/backend";
import type { Logger } from "@checkernet/runtime";
import type { Address, Hex, PublicClient } from "viem";
import {
  aggregateSignature,
  type CosignRound,
  collectCosignatures,
  reachesQuorum,
  type SeatSignatures,
} from "./cosignatures.ts";
import {
  type SubmitHooks,
  type SubmitOutcome,
  type SubmitRecord,
  type SubmitterWallet,
  submitOnce,
} from "./submitOnce.ts";

/** A committee's aggregate over the signed seats, ready to submit. */
interface SignedSubmission {
  bitfield: bigint;
  signature: Hex;
  signers: number;
}

/**
 * What a leader proposes in one round: what the committee signs and its
 * quorum, with the duty's own data; or a round signed before (resumed after a
 * restart), whose collection is skipped.
 */
export type Proposal<P> = FreshProposal<P> | { payload: P; signed: SignedSubmission };
type FreshProposal<P> = { payload: P; round: CosignRound; quorum: number; signed?: undefined };

/**
 * A duty's hooks over the leader engine, after Chainlink OCR3's reporting
 * plugin: the engine owns the sequence, the plugin says what it means for its
 * report.
 */
export interface LeaderPlugin<P, R extends SubmitRecord> {
  /** Log fields naming the round ({ epoch } or { slashId }). */
  logFields: Record<string, unknown>;
  /** Whether another leader's result already landed, read before anything is built: then stand down. */
  standDown(): Promise<boolean>;
  /** What to sign this round. */
  propose(): Promise<Proposal<P>>;
  /** How to ask a member for its co-signature of the proposal, and how to know its key. */
  askMember(operator: Address, payload: P): Promise<Uint8Array>;
  publicKeyOf(operator: Address, payload: P): Promise<Uint8Array | undefined> | Uint8Array | undefined;
  /** The log line for a member that did not co-sign. */
  missingCosignatureMessage: string;
  /** Called with the collected seats (the duty logs them). */
  onCollected(signed: SeatSignatures, proposal: FreshProposal<P>): void;
  /** Called when the seats fall short of quorum. */
  onNoQuorum(proposal: Proposal<P>): Promise<void>;
  /** The record the submission starts from (written by the plugin), once the round is signed. */
  beforeSubmit(proposal: Proposal<P>, signed: SignedSubmission): Promise<R>;
  /** How to submit the signed proposal and recognise that it landed. */
  submitHooks(proposal: Proposal<P>, signed: SignedSubmission): SubmitHooks<R>;
}

export interface LeaderComponents {
  bls: BlsBackend;
  logger: Logger;
  publicClient: PublicClient;
  wallet: SubmitterWallet;
  self: { operator: Address; secretKey: Uint8Array };
}

export type LeadOutcome<R> =
  | { kind: "stood-down" }
  | { kind: "no-quorum" }
  | { kind: "submitted"; record: R; outcome: SubmitOutcome };

/**
 * One leader round: stand down if a result landed, propose, collect the
 * committee's co-signatures until every member answered or timed out, and with
 * a quorum of seats submit once (submitOnce).
 */
export async function lead<P, R extends SubmitRecord>(
  components: LeaderComponents,
  plugin: LeaderPlugin<P, R>,
  options: { attempts?: number; retryBaseMs?: number; signal?: AbortSignal } = {},
): Promise<LeadOutcome<R>> {
  if (await plugin.standDown()) return { kind: "stood-down" };
  const proposal = await plugin.propose();
  const signed = proposal.signed ?? (await collect(components, plugin, proposal));
  if (signed === undefined) return { kind: "no-quorum" };
  const record = await plugin.beforeSubmit(proposal, signed);
  const result = await submitOnce(record, plugin.submitHooks(proposal, signed), {
    publicClient: components.publicClient,
    wallet: components.wallet,
    logger: components.logger,
    ...options,
  });
  return { kind: "submitted", ...result };
}

/** The committee's co-signatures of a fresh proposal, aggregated; undefined below quorum. */
async function collect<P, R extends SubmitRecord>(
  components: LeaderComponents,
  plugin: LeaderPlugin<P, R>,
  proposal: FreshProposal<P>,
): Promise<SignedSubmission | undefined> {
  const { bls, logger } = components;
  const seats = await collectCosignatures(bls, logger, proposal.round, {
    self: components.self,
    askMember: (operator) => plugin.askMember(operator, proposal.payload),
    publicKeyOf: (operator) => plugin.publicKeyOf(operator, proposal.payload),
    logFields: plugin.logFields,
    missingMessage: plugin.missingCosignatureMessage,
  });
  plugin.onCollected(seats, proposal);
  if (!reachesQuorum(seats, proposal.quorum)) {
    await plugin.onNoQuorum(proposal);
    return undefined;
  }
  return {
    bitfield: seats.bitfield,
    signature: aggregateSignature(bls, seats),
    signers: seats.signatures.length,
  };
}
