import { attestationSigningRoot, signedAttestationCodec } from "@checkernet/protocol/encoding/attestation";
import { DecodeError } from "@checkernet/protocol/errors";
import { attestationSeats, sortitionMessage, vrfOutput } from "@checkernet/protocol/sortition";
import type { NetworkDomain, SignedAttestation } from "@checkernet/protocol/types";
import { bytesToHex, type Hex, hexToBytes } from "viem";
import type { EpochClock } from "../chain/clock.ts";
import type { SignatureVerifier } from "./bls/batchVerifier.ts";
import { AttestationError, AttestationErrorCode } from "./errors/attestationError.ts";
import { GossipAction } from "./errors/gossipValidation.ts";
import type { KeyDirectory } from "./keyDirectory.ts";
import type { SeenAttestations } from "./seenCache.ts";
import type { EpochContext } from "./sortition.ts";

/** Acceptance window, in the manner of Lodestar's ATTESTATION_PROPAGATION_SLOT_RANGE. */
const ATTESTATION_LIMITS = {
  /** Attestations are published at the end of the checking phase and aggregated in the next epoch: two epochs back cover a slow aggregator. */
  pastEpochs: 2n,
  /** MAXIMUM_GOSSIP_CLOCK_DISPARITY of the Ethereum p2p spec (500 ms). */
  clockDisparityMs: 500,
  /**
   * How far outside the window an epoch may be and still be only IGNOREd. An honest peer forwards
   * only what it accepted under its own clock (within clockDisparityMs of ours), and gossipsub's
   * message cache holds a message for a few heartbeats (seconds, far less than an epoch): an honest
   * relay is at most one epoch outside our window, at an epoch boundary. Anything further is spam
   * and REJECTed, so it costs the sender invalid-delivery score (network/gossip/scoring.ts) and a
   * far-epoch flood graylists its peer after a bounded number (issue 14: 1,650-1,760 IGNOREd
   * far-epoch messages per identity were validated before).
   */
  farEpochTolerance: 1n,
} as const;

/** What the attestation rules read: the epoch's snapshot and seed, and a signature verifier. */
export interface AttestationRulesContext {
  domain: NetworkDomain;
  keys: KeyDirectory;
  verifier: SignatureVerifier;
  /** Expected committee size k (ProtocolParams.committeeSize). */
  committeeSize: number;
  epochs: EpochContext;
  /** VRF proofs already verified, by `${epoch}:${checker}:${proof}`: one BLS check per checker per epoch. */
  verifiedVrf?: Set<string>;
}

/** Gossip adds the clock (the acceptance window) and the seen cache (duplicates, conflicts). */
export interface AttestationValidationContext extends AttestationRulesContext {
  clock: EpochClock;
  seen: SeenAttestations;
  /**
   * A valid attestation that conflicts with the one accepted first for its (epoch, provider,
   * checker): equivocation evidence, handed to the equivocation book (validation/equivocations.ts).
   */
  onConflict?: (signed: SignedAttestation) => void;
}

export interface ValidatedAttestation {
  signed: SignedAttestation;
  signingRoot: Hex;
  seats: number;
}

/** IGNORE an epoch `outside` epochs beyond the window at most farEpochTolerance (an honest relay at a boundary), REJECT beyond. */
function farEpochAction(outside: bigint): GossipAction {
  return outside > ATTESTATION_LIMITS.farEpochTolerance ? GossipAction.REJECT : GossipAction.IGNORE;
}

/**
 * Gossip validation of one SignedAttestation, cheapest checks first and the
 * two BLS checks (VRF proof, attestation signature) batched at the end. `admit`
 * (the sender's validation budget) is asked once the cheap checks pass, before any BLS work.
 */
export async function validateGossipAttestation(
  ctx: AttestationValidationContext,
  data: Uint8Array,
  admit?: () => boolean,
): Promise<ValidatedAttestation> {
  // [REJECT] The message is no larger than the SignedAttestation codec's limit.
  if (data.length > signedAttestationCodec.maxBytes) {
    throw new AttestationError(GossipAction.REJECT, {
      code: AttestationErrorCode.OVERSIZED,
      size: data.length,
      maxBytes: signedAttestationCodec.maxBytes,
    });
  }

  // [REJECT] The message is the canonical encoding of a SignedAttestation.
  let signed: SignedAttestation;
  try {
    signed = signedAttestationCodec.decode(data);
  } catch (e) {
    const reason = e instanceof DecodeError ? e.code : "DECODE_ERROR";
    throw new AttestationError(GossipAction.REJECT, { code: AttestationErrorCode.INVALID_ENCODING, reason });
  }
  const att = signed.attestation;

  // [IGNORE] attestation.epoch <= current epoch (with MAXIMUM_GOSSIP_CLOCK_DISPARITY).
  const latest = ctx.clock.currentEpoch(ATTESTATION_LIMITS.clockDisparityMs);
  // [REJECT] attestation.epoch <= current epoch + farEpochTolerance (an honest relay is never further ahead).
  if (att.epoch > latest) {
    throw new AttestationError(farEpochAction(att.epoch - latest), {
      code: AttestationErrorCode.FUTURE_EPOCH,
      epoch: att.epoch,
      currentEpoch: ctx.clock.currentEpoch(),
    });
  }
  // [IGNORE] attestation.epoch + ATTESTATION_LIMITS.pastEpochs >= current epoch.
  const current = ctx.clock.currentEpoch(-ATTESTATION_LIMITS.clockDisparityMs);
  // [REJECT] attestation.epoch + pastEpochs + farEpochTolerance >= current epoch.
  if (att.epoch + ATTESTATION_LIMITS.pastEpochs < current) {
    throw new AttestationError(farEpochAction(current - att.epoch - ATTESTATION_LIMITS.pastEpochs), {
      code: AttestationErrorCode.STALE_EPOCH,
      epoch: att.epoch,
      currentEpoch: current,
    });
  }

  const signingRoot = bytesToHex(attestationSigningRoot(att, ctx.domain));

  // [IGNORE] The same attestation (same signing root) has not been seen before.
  const seenRoot = ctx.seen.get(att.epoch, att.provider, att.checker);
  if (seenRoot === signingRoot) {
    throw new AttestationError(GossipAction.IGNORE, {
      code: AttestationErrorCode.ALREADY_KNOWN,
      epoch: att.epoch,
      provider: att.provider,
      checker: att.checker,
    });
  }

  // [IGNORE] The sending peer and its IP are within their validation budget (validation/validationBudget.ts):
  // checked before the chain reads and the BLS checks, and free of score (an honest relay may burst).
  if (admit !== undefined && !admit()) {
    throw new AttestationError(GossipAction.IGNORE, {
      code: AttestationErrorCode.OVER_BUDGET,
      epoch: att.epoch,
    });
  }

  const { seats } = await validateAttestation(ctx, signed, { signingRoot });

  // [IGNORE] No other valid attestation by this checker for (epoch, provider) was
  // accepted first (re-checked after the awaits: another message may have won).
  // A conflicting pair is slashable evidence: handed to onConflict (stored and gossiped on the
  // evidence topic), the second attestation itself not forwarded.
  const nowSeen = ctx.seen.get(att.epoch, att.provider, att.checker);
  if (nowSeen !== undefined) {
    if (nowSeen !== signingRoot) ctx.onConflict?.(signed);
    throw new AttestationError(GossipAction.IGNORE, {
      code: nowSeen === signingRoot ? AttestationErrorCode.ALREADY_KNOWN : AttestationErrorCode.CONFLICTING,
      epoch: att.epoch,
      provider: att.provider,
      checker: att.checker,
    });
  }
  ctx.seen.add(att.epoch, att.provider, att.checker, signingRoot);
  return { signed, signingRoot, seats };
}

/**
 * The rules every attestation must pass wherever it comes from — gossip, or a
 * leader's co-sign request: the epoch's snapshot and seed are known, the
 * checker holds licenses and a seat on the provider's committee, and both its
 * VRF proof and its signature verify. Each failed rule throws its own
 * AttestationError, so a refusal names the rule. `expectedEpoch` (co-signing a
 * report of one epoch) refuses an attestation of any other epoch first.
 */
export async function validateAttestation(
  ctx: AttestationRulesContext,
  signed: SignedAttestation,
  options: { signingRoot?: Hex; expectedEpoch?: bigint } = {},
): Promise<{ signingRoot: Hex; seats: number }> {
  const att = signed.attestation;
  // [REJECT] The attestation is of the epoch being reported (co-signing only).
  if (options.expectedEpoch !== undefined && att.epoch !== options.expectedEpoch) {
    throw new AttestationError(GossipAction.REJECT, {
      code: AttestationErrorCode.WRONG_EPOCH,
      epoch: att.epoch,
      expectedEpoch: options.expectedEpoch,
    });
  }
  const signingRoot = options.signingRoot ?? bytesToHex(attestationSigningRoot(att, ctx.domain));

  // [IGNORE] The epoch's license snapshot is known (read from the chain on first use).
  if (ctx.keys.ensureEpoch !== undefined && !(await ctx.keys.ensureEpoch(att.epoch))) {
    throw new AttestationError(GossipAction.IGNORE, {
      code: AttestationErrorCode.UNKNOWN_EPOCH_SNAPSHOT,
      epoch: att.epoch,
    });
  }

  // [REJECT] attestation.checker holds licenses in the epoch's snapshot, with a registered BLS key.
  const checker = ctx.keys.getChecker(att.checker, att.epoch);
  if (checker === undefined) {
    throw new AttestationError(GossipAction.REJECT, {
      code: AttestationErrorCode.UNKNOWN_CHECKER,
      checker: att.checker,
    });
  }
  // [REJECT] The checker holds at least one delegated license (its sortition weight).
  if (checker.licenses <= 0) {
    throw new AttestationError(GossipAction.REJECT, {
      code: AttestationErrorCode.NO_LICENSES,
      checker: att.checker,
    });
  }
  // [REJECT] attestation.provider is in the epoch's checking set (registered and staked as of its start).
  if (!ctx.keys.hasProvider(att.provider, att.epoch)) {
    throw new AttestationError(GossipAction.REJECT, {
      code: AttestationErrorCode.UNKNOWN_PROVIDER,
      provider: att.provider,
    });
  }
  // [IGNORE] The epoch's seed is known (the chain may lag the wall clock).
  const seed = ctx.epochs.seed(att.epoch) ?? (await ctx.epochs.ensureSeed?.(att.epoch));
  if (seed === undefined) {
    throw new AttestationError(GossipAction.IGNORE, {
      code: AttestationErrorCode.UNKNOWN_EPOCH_SEED,
      epoch: att.epoch,
    });
  }

  const vrfProof = hexToBytes(signed.vrfProof);
  // [REJECT] The VRF ticket gives the checker a seat on the provider's committee
  // (checked before the signatures: a hash, no pairing).
  const seats = attestationSeats(
    vrfOutput(vrfProof),
    att.provider,
    { licenses: checker.licenses, totalLicenses: ctx.keys.totalLicenses(att.epoch) },
    ctx.committeeSize,
  );
  if (seats <= 0) {
    throw new AttestationError(GossipAction.REJECT, {
      code: AttestationErrorCode.NOT_IN_COMMITTEE,
      checker: att.checker,
      provider: att.provider,
      epoch: att.epoch,
    });
  }

  // [REJECT] vrfProof is the checker's BLS signature over the epoch's sortition message.
  const vrfKey = `${att.epoch}:${att.checker}:${signed.vrfProof}`;
  const vrfChecked = ctx.verifiedVrf?.has(vrfKey) === true;
  const [vrfValid, sigValid] = await Promise.all([
    vrfChecked
      ? true
      : ctx.verifier.verify({
          publicKey: checker.publicKey,
          message: sortitionMessage(att.epoch, seed, ctx.domain),
          signature: vrfProof,
        }),
    // [REJECT] signature is the checker's BLS signature over attestationSigningRoot(attestation, domain).
    ctx.verifier.verify({
      publicKey: checker.publicKey,
      message: hexToBytes(signingRoot),
      signature: hexToBytes(signed.signature),
    }),
  ]);
  if (!vrfValid) {
    throw new AttestationError(GossipAction.REJECT, {
      code: AttestationErrorCode.INVALID_SORTITION_PROOF,
      checker: att.checker,
      epoch: att.epoch,
    });
  }
  ctx.verifiedVrf?.add(vrfKey);
  if (!sigValid) {
    throw new AttestationError(GossipAction.REJECT, {
      code: AttestationErrorCode.INVALID_SIGNATURE,
      checker: att.checker,
    });
  }

  return { signingRoot, seats };
}
