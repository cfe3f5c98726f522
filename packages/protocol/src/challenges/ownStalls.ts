import { type Hex, hexToBytes } from "viem";
import { CheckResult } from "../types.ts";
import { type Reason, ReasonCode } from "./common.ts";
import { pingCodec, pongCodec } from "./latency.ts";
import { type ChallengeTranscript, TranscriptMessageType } from "./transcript.ts";

/**
 * A checker measures a provider with its own clock, in its own event loop: if
 * that loop stalls (a busy laptop, a GC pause, a process waiting for a core),
 * an answer that arrived in time is read late, and the provider would be
 * blamed for the checker's lag. This module answers one question without IO:
 * could the checker's own stalls have changed the verdict? If so, the checker
 * abstains (it attests nothing about that provider this epoch) instead of
 * signing a FAIL or TIMEOUT it cannot stand behind.
 *
 * Stalls are intervals of the run's transcript clock (µs since the run began)
 * in which the checker's loop ran nothing: the checker's runtime measures them
 * (`LoopStallMonitor`).
 */
export interface TranscriptStall {
  fromUs: number;
  toUs: number;
}

/** Reasons that are only about time: a late or missing answer, which a stalled checker can cause. */
const TIMING_REASONS: ReadonlySet<string> = new Set([
  ReasonCode.TOO_MANY_LOST,
  ReasonCode.P95_ABOVE_LIVENESS_THRESHOLD,
  ReasonCode.DEADLINE_EXCEEDED,
  ReasonCode.NO_COMMITMENT,
  ReasonCode.NO_OPENINGS,
  ReasonCode.NO_RESPONSE,
]);

/** Reasons for an answer that would be too FAST: only an artefact of moving answers earlier here. */
const EARLINESS_REASONS: ReadonlySet<string> = new Set([ReasonCode.RTT_BELOW_PHYSICAL_BOUND]);

/** Each received message type and the sent message it answers. */
const ANSWERS: ReadonlyMap<number, number> = new Map([
  [TranscriptMessageType.PONG, TranscriptMessageType.PING],
  [TranscriptMessageType.MATMUL_COMMIT, TranscriptMessageType.MATMUL_REQUEST],
  [TranscriptMessageType.MATMUL_ROWS, TranscriptMessageType.MATMUL_OPEN],
  [TranscriptMessageType.VRAM_RESPONSE, TranscriptMessageType.VRAM_REQUEST],
]);

/** True when every reason a run failed for is about time (nothing wrong was answered). */
export function failedOnTimeOnly(reasons: readonly Reason[]): boolean {
  return reasons.length > 0 && reasons.every((r) => TIMING_REASONS.has(r.code));
}

/**
 * The transcript as if every received message had arrived at the earliest
 * moment the stalls allow: its record time minus the stall time between the
 * message it answers (a pong's own ping, by seq) and its record time, never
 * earlier than that message. Sent messages keep their times: the checker's
 * own sends are not in question. Timers run before socket reads when a stalled
 * loop wakes, so other sends may be recorded between an answer's arrival and
 * its read; measuring from the answered message covers that.
 */
export function withoutOwnStalls(
  transcript: ChallengeTranscript,
  stalls: readonly TranscriptStall[],
): ChallengeTranscript {
  const lastSent = new Map<number, number>();
  const pingAt = new Map<number, number>();
  const messages = transcript.messages.map((m) => {
    const answers = ANSWERS.get(m.type);
    if (answers === undefined) {
      lastSent.set(m.type, m.atUs);
      if (m.type === TranscriptMessageType.PING) {
        const seq = seqOf(m.payload, pingCodec.decode);
        if (seq !== undefined) pingAt.set(seq, m.atUs);
      }
      return m;
    }
    const fromUs =
      m.type === TranscriptMessageType.PONG
        ? pingAt.get(seqOf(m.payload, pongCodec.decode) ?? -1)
        : lastSent.get(answers);
    if (fromUs === undefined) return m;
    const stalled = stalls.reduce(
      (sum, s) => sum + Math.max(0, Math.min(s.toUs, m.atUs) - Math.max(s.fromUs, fromUs)),
      0,
    );
    return { ...m, atUs: Math.max(fromUs, Math.round(m.atUs - stalled)) };
  });
  return { ...transcript, messages };
}

function seqOf(payload: Hex, decode: (bytes: Uint8Array) => { seq: number }): number | undefined {
  try {
    return decode(hexToBytes(payload)).seq;
  } catch {
    // A malformed message is judged by the rules as it is; nothing to move.
    return undefined;
  }
}

/**
 * Could the checker's own stalls have turned a PASS into what it measured?
 * True when the run failed on time alone and the same transcript, with the
 * stalls taken out (`withoutOwnStalls`), passes, or fails only because
 * answers now look faster than light (an artefact of taking out the most
 * stall the record allows), or when a wait ended late (`lateWait`): the
 * loop was stalled when the wait for an answer ran out, so an answer that came
 * in time may have been sitting unread.
 */
export function ownStallsCouldExplain(
  measured: { result: CheckResult; reasons: readonly Reason[] },
  withoutStalls: { result: CheckResult; reasons: readonly Reason[] },
  lateWait: boolean,
): boolean {
  if (measured.result === CheckResult.PASS || !failedOnTimeOnly(measured.reasons)) return false;
  if (lateWait) return true;
  return (
    withoutStalls.result === CheckResult.PASS ||
    withoutStalls.reasons.every((r) => EARLINESS_REASONS.has(r.code))
  );
}
