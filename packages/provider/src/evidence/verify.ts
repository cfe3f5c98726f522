import type { BlsBackend } from "@checkernet/protocol/bls/backend";
import {
  type ChallengeTranscript,
  evaluateTranscript,
  type RunOutcome,
  type TranscriptAnswerKey,
} from "@checkernet/protocol/challenges/transcript";
import { attestationSigningRoot } from "@checkernet/protocol/encoding/attestation";
import type { ProtocolParams } from "@checkernet/protocol/params";
import type { Address, NetworkDomain, SignedAttestation } from "@checkernet/protocol/types";
import { type Dialer, type Evidence, fetchEvidence, type NoRunReason } from "@checkernet/wire";
import type { PeerId } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { getAddress, type Hex, hexToBytes } from "viem";
import { HOW_TO_CHANGE_FROZEN_FIELDS } from "../chain/errors.ts";
import { type FraudProofSummary, signedWrongAnswer } from "./fraudSummary.ts";

/**
 * What one checker's evidence says, once checked. Only `holds` and
 * `false-claim` come from evidence that is authentic (a valid signature of the
 * registered key over an attestation whose transcript hashes to what it
 * says); everything else is reported and never trusted.
 */
export type EvidenceFinding =
  /** The signed claim is what the transcript gives when re-evaluated. */
  | {
      status: "holds";
      checker: Address;
      claimed: SignedAttestation;
      recomputed: RunOutcome;
      /** The transcript carries an answer signed by the provider's answer key and proven wrong. */
      fraudProof?: FraudProofSummary;
    }
  /** Signed, but the transcript says otherwise: the material of a contest. */
  | {
      status: "false-claim";
      checker: Address;
      claimed: SignedAttestation;
      recomputed: RunOutcome;
      mismatches: string[];
      fraudProof?: FraudProofSummary;
    }
  /**
   * Signed without a run (transcriptHash zero): the checker could not use this provider's registry entry. The
   * attestation is authentic; `noRun` (the field and why) is the checker's unsigned word: fix that field with
   * `provider register --update` (the class, VRAM and region only after leaving: HOW_TO_CHANGE_FROZEN_FIELDS),
   * or contest if the entry is fine (a re-check runs it).
   */
  | { status: "no-run"; checker: Address; claimed: SignedAttestation; noRun: NoRunReason; reason: string }
  /** The signature does not verify under the checker's registered key. */
  | { status: "bad-signature"; checker: Address; reason: string }
  /** Malformed, truncated, for another epoch/provider/checker, or a transcript that is not the one signed. */
  | { status: "invalid"; checker: Address; reason: string }
  /** The checker says it has no evidence for this epoch and provider. */
  | { status: "not-found"; checker: Address; reason: string }
  /** No answer (dial failure, timeout, reset). */
  | { status: "unreachable"; checker: Address; reason: string };

export interface EvidenceContext {
  domain: NetworkDomain;
  params: ProtocolParams;
  bls: BlsBackend;
  /**
   * The provider's answer key for the epoch as the registry has it (ProviderRegistry.answerKeyAt with the
   * chain id and the registry), null when none: a transcript whose header names another key (or none when
   * there is one, or the reverse) is invalid, since the signature rule of evaluateTranscript trusts it.
   * Absent: not checked.
   */
  answerKey?: TranscriptAnswerKey | null;
}

/** A checker to ask: its registry address, its registered BLS public key, and where to reach it. */
export interface EvidenceSource {
  checker: Address;
  /** Compressed G1 public key (48 bytes), as registered. */
  publicKey: Uint8Array;
  peer: PeerId | Multiaddr;
}

/**
 * Checks a signed attestation and its transcript: the attestation names this
 * (epoch, provider, checker), the transcript is the one signed (the fetch
 * checks its hash) and names the same run, the BLS signature verifies under
 * the registered key, and re-evaluating the transcript with the protocol's
 * rules gives the signed result and numbers. An attestation without a run
 * (the fetch checks its transcriptHash is zero) is checked up to its signature.
 */
function verifyEvidence(
  source: Pick<EvidenceSource, "checker" | "publicKey">,
  request: { epoch: bigint; provider: Address },
  evidence: Evidence,
  ctx: EvidenceContext,
): EvidenceFinding {
  const checker = getAddress(source.checker);
  const att = evidence.attestation.attestation;
  const invalid = (reason: string): EvidenceFinding => ({ status: "invalid", checker, reason });
  if (getAddress(att.checker) !== checker)
    return invalid(`the attestation is signed as checker ${att.checker}`);
  if (att.epoch !== request.epoch || getAddress(att.provider) !== getAddress(request.provider)) {
    return invalid(`the attestation is for epoch ${att.epoch} and provider ${att.provider}`);
  }
  if ("noRun" in evidence) {
    const { noRun } = evidence;
    const what = noRun.field === "" ? "registry entry" : `registry's ${noRun.field}`;
    // Only the peer id can change while staked; the other fields after leaving (review4 H2).
    const how =
      noRun.field === "peerId" ? "with provider register --update" : `(${HOW_TO_CHANGE_FROZEN_FIELDS})`;
    return (
      badSignature(checker, source.publicKey, evidence.attestation, ctx) ?? {
        status: "no-run",
        checker,
        claimed: evidence.attestation,
        noRun,
        reason: `no run: ${noRun.message}; fix the ${what} ${how}`,
      }
    );
  }
  return verifyRun(checker, source.publicKey, evidence, ctx);
}

/** The run half of verifyEvidence: the transcript names the same run and backs the signed claim. */
function verifyRun(
  checker: Address,
  publicKey: Uint8Array,
  evidence: { attestation: SignedAttestation; transcript: ChallengeTranscript },
  ctx: EvidenceContext,
): EvidenceFinding {
  const att = evidence.attestation.attestation;
  const t = evidence.transcript;
  const invalid = (reason: string): EvidenceFinding => ({ status: "invalid", checker, reason });
  if (
    t.epoch !== att.epoch ||
    getAddress(t.provider) !== getAddress(att.provider) ||
    getAddress(t.checker) !== checker ||
    t.kind !== att.kind
  ) {
    return invalid("the transcript describes another run than the attestation");
  }
  if (ctx.answerKey !== undefined && !sameAnswerKey(t.answer, ctx.answerKey ?? undefined)) {
    return invalid(
      `the transcript names answer key ${t.answer?.key ?? "none"}, the registry's for epoch ${t.epoch} is ${ctx.answerKey?.key ?? "none"}`,
    );
  }
  const forged = badSignature(checker, publicKey, evidence.attestation, ctx);
  if (forged !== undefined) return forged;
  let recomputed: RunOutcome;
  try {
    recomputed = evaluateTranscript(t, ctx.params);
  } catch (err) {
    // A transcript no honest checker could record (pings off the seed, pongs before pings): signed, and false.
    return invalid(`the signed transcript is not a valid run: ${(err as Error).message}`);
  }
  const mismatches: string[] = [];
  if (recomputed.result !== att.result)
    mismatches.push(`result: signed ${att.result}, transcript gives ${recomputed.result}`);
  if (recomputed.p50Us !== att.latencyP50Us)
    mismatches.push(`p50: signed ${att.latencyP50Us} µs, transcript gives ${recomputed.p50Us} µs`);
  if (recomputed.p95Us !== att.latencyP95Us)
    mismatches.push(`p95: signed ${att.latencyP95Us} µs, transcript gives ${recomputed.p95Us} µs`);
  if (recomputed.throughput !== att.throughput)
    mismatches.push(`throughput: signed ${att.throughput}, transcript gives ${recomputed.throughput}`);
  const fraud = signedWrongAnswer(t, ctx.params);
  const fraudProof = fraud === undefined ? {} : { fraudProof: fraud };
  if (mismatches.length > 0)
    return {
      status: "false-claim",
      checker,
      claimed: evidence.attestation,
      recomputed,
      mismatches,
      ...fraudProof,
    };
  return { status: "holds", checker, claimed: evidence.attestation, recomputed, ...fraudProof };
}

/** A bad-signature finding, or undefined when the BLS signature verifies under the registered key. */
function badSignature(
  checker: Address,
  publicKey: Uint8Array,
  signed: SignedAttestation,
  ctx: EvidenceContext,
): EvidenceFinding | undefined {
  let signatureOk = false;
  try {
    signatureOk = ctx.bls.verify(
      publicKey,
      attestationSigningRoot(signed.attestation, ctx.domain),
      hexToBytes(signed.signature as Hex),
    );
  } catch (err) {
    return {
      status: "bad-signature",
      checker,
      reason: `signature does not parse: ${(err as Error).message}`,
    };
  }
  if (signatureOk) return undefined;
  return {
    status: "bad-signature",
    checker,
    reason: "the BLS signature does not verify under the registered key",
  };
}

function sameAnswerKey(a: TranscriptAnswerKey | undefined, b: TranscriptAnswerKey | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    a.key.toLowerCase() === b.key.toLowerCase() &&
    BigInt(a.chainId) === BigInt(b.chainId) &&
    a.verifyingContract.toLowerCase() === b.verifyingContract.toLowerCase()
  );
}

/**
 * Asks every source for its evidence about (epoch, provider), in parallel, and
 * checks each answer. Never throws for a checker's sake: whatever a checker
 * sends, or fails to send, becomes a finding.
 */
export async function collectEvidence(
  host: Dialer,
  sources: readonly EvidenceSource[],
  request: { epoch: bigint; provider: Address },
  ctx: EvidenceContext,
): Promise<EvidenceFinding[]> {
  return Promise.all(
    sources.map(async (source): Promise<EvidenceFinding> => {
      const checker = getAddress(source.checker);
      let evidence: Evidence;
      try {
        evidence = await fetchEvidence(host, source.peer, {
          epoch: request.epoch,
          provider: getAddress(request.provider),
        });
      } catch (err) {
        const e = err as Error & { code?: string };
        const reason = e.message ?? String(err);
        if (e.code === "EVIDENCE_ERROR_NOT_FOUND") return { status: "not-found", checker, reason };
        if (e.code === "EVIDENCE_ERROR_INVALID" || (e.code?.startsWith("DECODE_ERROR") ?? false)) {
          return { status: "invalid", checker, reason };
        }
        if (e.code === "FRAME_ERROR_OVERSIZED" || e.code === "FRAME_ERROR_MALFORMED")
          return { status: "invalid", checker, reason };
        const buffered = (e as { details?: { buffered?: number } }).details?.buffered ?? 0;
        if (e.code === "FRAME_ERROR_CLOSED" || (e.code === "FRAME_ERROR_TIMEOUT" && buffered > 0)) {
          // The stream ended, or went quiet, inside the answer: a truncated response.
          return { status: "invalid", checker, reason: `truncated answer: ${reason}` };
        }
        if (/^Stream(Reset|State|Aborted)Error$/.test(e.name)) {
          // The dial worked and the checker then reset the stream: whatever it sent was not a complete answer.
          return { status: "invalid", checker, reason: `stream reset before a complete answer: ${reason}` };
        }
        return { status: "unreachable", checker, reason };
      }
      try {
        return verifyEvidence(source, request, evidence, ctx);
      } catch (err) {
        return { status: "invalid", checker, reason: (err as Error).message };
      }
    }),
  );
}
