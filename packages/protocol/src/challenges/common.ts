import { bytesToHex, type Hex, hexToBytes, isHex } from "viem";
import { ProtocolError } from "../errors.ts";
import { CheckResult } from "../types.ts";

/**
 * Why a challenge function refused its arguments. These are caller mistakes
 * (an unknown region, n above the cap, a seed of the wrong length), not
 * provider misbehaviour: what a provider gets wrong becomes a FAIL or TIMEOUT
 * with a {@link Reason} (`combineResults` says which), never an exception.
 */
export const ChallengeErrorCode = {
  INVALID_ARGUMENT: "CHALLENGE_ERROR_INVALID_ARGUMENT",
  UNKNOWN_REGION: "CHALLENGE_ERROR_UNKNOWN_REGION",
  UNKNOWN_GPU_CLASS: "CHALLENGE_ERROR_UNKNOWN_GPU_CLASS",
  SIZE_OUT_OF_RANGE: "CHALLENGE_ERROR_SIZE_OUT_OF_RANGE",
  /** A transcript whose checker-side messages do not follow from its run seed, or are missing or out of order. */
  INVALID_TRANSCRIPT: "CHALLENGE_ERROR_INVALID_TRANSCRIPT",
} as const;
export type ChallengeErrorCode = (typeof ChallengeErrorCode)[keyof typeof ChallengeErrorCode];

export class ChallengeError extends ProtocolError<ChallengeErrorCode> {
  override name = "ChallengeError";
}

/**
 * Why a challenge run did not PASS. Stable strings: they go into metrics
 * labels, logs and the docs' rule tables.
 */
export const ReasonCode = {
  // latency
  PONG_NONCE_MISMATCH: "PONG_NONCE_MISMATCH",
  UNSOLICITED_PONG: "UNSOLICITED_PONG",
  DUPLICATE_PONG: "DUPLICATE_PONG",
  TOO_MANY_LOST: "TOO_MANY_LOST",
  RTT_BELOW_PHYSICAL_BOUND: "RTT_BELOW_PHYSICAL_BOUND",
  P95_ABOVE_LIVENESS_THRESHOLD: "P95_ABOVE_LIVENESS_THRESHOLD",
  // matmul
  NO_COMMITMENT: "NO_COMMITMENT",
  NO_OPENINGS: "NO_OPENINGS",
  WRONG_ROW_COUNT: "WRONG_ROW_COUNT",
  MALFORMED_ROW: "MALFORMED_ROW",
  WRONG_ROW: "WRONG_ROW",
  BAD_PROOF: "BAD_PROOF",
  ELAPSED_EXCEEDS_MEASURED: "ELAPSED_EXCEEDS_MEASURED",
  DEADLINE_EXCEEDED: "DEADLINE_EXCEEDED",
  /** The provider has an answer key for the epoch and its MatmulCommit carries no signature. */
  UNSIGNED_ANSWER: "UNSIGNED_ANSWER",
  /** The MatmulCommit's signature does not recover the provider's answer key over the run's commitment. */
  BAD_ANSWER_SIGNATURE: "BAD_ANSWER_SIGNATURE",
  // vram
  NO_RESPONSE: "NO_RESPONSE",
  WRONG_DIGEST_COUNT: "WRONG_DIGEST_COUNT",
  WRONG_DIGEST: "WRONG_DIGEST",
  // any provider message that does not decode under its codec
  MALFORMED_MESSAGE: "MALFORMED_MESSAGE",
  /**
   * A provider message shorter than one 32-byte ABI word: no codec's encoding is, so it is what the
   * checker records in place of a frame that broke the framing (its first ≤ 31 bytes: a declared length
   * above the limit, a bad prefix, an unexpected type, bytes after the last pong), or a body too short
   * to be any message (checker challenges/PROTOCOL.md, "Faults and outcomes").
   */
  PROTOCOL_VIOLATION: "PROTOCOL_VIOLATION",
  /**
   * No run: the provider's registry entry cannot be challenged (a peer id that does not decode, a GPU model
   * or region this checker's release does not know), so its committees attest TIMEOUT without dialing it. A
   * member of the checking set all the same; skipping it would leave its verdict to whoever chose to attest
   * it (issue 14). TIMEOUT, not FAIL: it says the provider could not be checked, which a later re-check
   * cannot refute, so it makes no accuser (review4 M1: a class newer than the node's release).
   */
  UNUSABLE_REGISTRY_ENTRY: "UNUSABLE_REGISTRY_ENTRY",
} as const;
export type ReasonCode = (typeof ReasonCode)[keyof typeof ReasonCode];

/** One broken rule, with the numbers that broke it. */
export interface Reason {
  code: ReasonCode;
  message: string;
}

/** What every verifier returns: the attestation's result and every reason behind it (empty on PASS). */
export interface ChallengeOutcome {
  result: CheckResult;
  reasons: Reason[];
}

/** A 32-byte value as hex (wire form) or bytes (in memory). */
export type Bytes32Like = Hex | Uint8Array;

/** Normalizes a 32-byte seed, nonce or root to bytes; refuses any other length. */
export function bytes32(value: Bytes32Like, what: string): Uint8Array {
  let bytes: Uint8Array;
  if (typeof value === "string") {
    if (!isHex(value, { strict: true })) {
      throw new ChallengeError(ChallengeErrorCode.INVALID_ARGUMENT, `${what} is not hex`, { what });
    }
    bytes = hexToBytes(value);
  } else if (value instanceof Uint8Array) {
    bytes = value;
  } else {
    throw new ChallengeError(ChallengeErrorCode.INVALID_ARGUMENT, `${what} must be hex or bytes`, { what });
  }
  if (bytes.length !== 32) {
    throw new ChallengeError(ChallengeErrorCode.INVALID_ARGUMENT, `${what} must be 32 bytes`, {
      what,
      length: bytes.length,
    });
  }
  return bytes;
}

export function hex32(value: Bytes32Like, what: string): Hex {
  return bytesToHex(bytes32(value, what));
}

/** Refuses anything but an integer in [min, max]. */
export function checkInteger(what: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ChallengeError(
      ChallengeErrorCode.INVALID_ARGUMENT,
      `${what} must be an integer in [${min}, ${max}]`,
      {
        what,
        value: String(value),
        min,
        max,
      },
    );
  }
}

/** Refuses NaN, infinities and negatives: timings come from clocks the caller read. */
export function checkDuration(what: string, value: number): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new ChallengeError(ChallengeErrorCode.INVALID_ARGUMENT, `${what} must be a finite number >= 0`, {
      what,
      value: String(value),
    });
  }
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function u32be(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0, false);
  return out;
}

export function u64be(value: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, value), false);
  return out;
}

/**
 * The reasons that say only that the provider was not available to be checked in this run: it did not
 * answer, answered late, or could not be checked at all. Each one gives TIMEOUT; every other reason is about
 * what the provider sent (a wrong row, digest or nonce, a bad proof or answer signature, a malformed
 * message, an elapsed time above the measured one, an RTT below the physical bound) and gives FAIL.
 *
 * The split decides who answers for a verdict a re-check overturns (docs/protocol/recheck.md, "Who is
 * penalized"): only FAIL attestations make their checker an accuser (scoring/verdict.ts). A re-test in a
 * later window can show that a claim about what the provider sent was false, never that a claim about its
 * availability in the accused epoch was: a provider unreachable, overloaded or slow then is reachable and
 * fast at the re-check whenever it wants. A deadline missed in the accused epoch cannot be told from load
 * in it, and an entry this node could not use (a peer id it cannot dial, a class or region its release
 * does not know: review4 M1) is a claim about this node as much as about the provider.
 */
const AVAILABILITY_REASONS: ReadonlySet<ReasonCode> = new Set<ReasonCode>([
  ReasonCode.NO_COMMITMENT,
  ReasonCode.NO_OPENINGS,
  ReasonCode.NO_RESPONSE,
  ReasonCode.TOO_MANY_LOST,
  ReasonCode.P95_ABOVE_LIVENESS_THRESHOLD,
  ReasonCode.DEADLINE_EXCEEDED,
  ReasonCode.UNUSABLE_REGISTRY_ENTRY,
]);

/** True for a reason about the provider's availability in the run (TIMEOUT), false for one about what it sent (FAIL). */
export function isAvailabilityReason(code: ReasonCode): boolean {
  return AVAILABILITY_REASONS.has(code);
}

/** The result of a run that broke `reasons`: FAIL if any is about content, else TIMEOUT if any, else PASS. */
export function combineResults(reasons: readonly Reason[]): CheckResult {
  if (reasons.some((r) => !isAvailabilityReason(r.code))) return CheckResult.FAIL;
  if (reasons.length > 0) return CheckResult.TIMEOUT;
  return CheckResult.PASS;
}

/** Index of the first element where the two arrays differ, or -1 when they are equal (lengths must match). */
export function equalInt32(a: Int32Array, b: Int32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let j = 0; j < a.length; j++) if (a[j] !== b[j]) return j;
  return -1;
}
