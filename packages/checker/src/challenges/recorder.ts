import type { ChallengeTranscript, TranscriptMessageType } from "@checkernet/protocol/challenges/transcript";
import { bytesToHex } from "viem";

/**
 * Appends messages with non-decreasing µs timestamps from the run's start,
 * and notes whether a wait for an answer ran out late (ChallengeClient's noteWaitEnded).
 */
export class Recorder {
  /** The run's start, performance.now() ms: atUs counts from here. */
  readonly t0 = performance.now();
  readonly transcript: ChallengeTranscript;
  lateWait = false;
  /** How long the provider's device took to admit the workload (admission.ts), ms: logged, not timed. */
  admissionMs: number | undefined;

  constructor(transcript: ChallengeTranscript) {
    this.transcript = transcript;
  }

  record(type: TranscriptMessageType, payload: Uint8Array): number {
    const last = this.transcript.messages.at(-1)?.atUs ?? 0;
    const atUs = Math.max(last, Math.round((performance.now() - this.t0) * 1000));
    this.transcript.messages.push({ type, atUs, payload: bytesToHex(payload) });
    return atUs;
  }
}
