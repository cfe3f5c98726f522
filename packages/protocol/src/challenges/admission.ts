import type { ProtocolParams } from "../params.ts";
import {
  challengeSizesFor,
  type GpuClassId,
  gpuClass,
  VRAM_GENERATION_COST_RATIO,
  vramDeadlineMs,
} from "./gpu-classes.ts";
import { vramBlockCount } from "./vram.ts";

/*
 * Admission (packages/checker/src/challenges/PROTOCOL.md "Admission"): a
 * provider's device answers one timed request at a time, so the checker asks
 * for it first and starts its clock with the request, after the queue. These
 * are the rule's numbers: how long a checker waits, and what that notice is
 * worth to a provider that keeps its VRAM dataset out of memory.
 */

/** Floor of the wait for ADMITTED: a round trip and a scheduling pause. */
export const MIN_ADMISSION_WAIT_MS = 1_000;

/**
 * How long a checker waits for the provider's device before a timed request
 * whose deadline is `deadlineMs`: an honest provider has at most the rest of
 * a committee's runs ahead of this one, each answered within its deadline.
 * Longer is a provider down or hoarding its device (the run ends TIMEOUT).
 */
export function admissionWaitMs(deadlineMs: number, committeeSize: number): number {
  return Math.max(MIN_ADMISSION_WAIT_MS, committeeSize * deadlineMs);
}

export interface VramRefillNotice {
  /** The longest notice a provider gets before a walk: admissionWaitMs of the walk's deadline. */
  noticeMs: number;
  /** Regenerating the whole dataset at the class's (sequential) hashing rate. */
  refillMs: number;
  /** refillMs / noticeMs: above 1, a provider that refills on notice misses the walk. */
  ratio: number;
}

/**
 * What admission's notice is worth to a provider of `classId` that keeps its
 * VRAM dataset out of memory between checks and refills it when an ADMIT
 * comes: the refill (every block regenerated, VRAM_GENERATION_COST_RATIO
 * times hashing it, at the class's rate) against the notice. The blocks are
 * independent, so hardware that generates many in parallel divides refillMs
 * by its parallelism (docs/protocol/challenges.md "Admission").
 */
export function vramRefillNotice(
  classId: GpuClassId,
  params: Pick<
    ProtocolParams,
    "committeeSize" | "matmulSize" | "vramWalkSteps" | "vramBlockSize" | "vramFillBps"
  >,
  networkRttMs: number,
): VramRefillNotice {
  const cls = gpuClass(classId);
  const steps = challengeSizesFor(classId, params).vramWalkSteps;
  const noticeMs = admissionWaitMs(
    vramDeadlineMs(classId, params.vramBlockSize, steps, networkRttMs),
    params.committeeSize,
  );
  const blocks = vramBlockCount(cls.vramBytes, params.vramBlockSize, params);
  const refillMs =
    ((blocks * params.vramBlockSize * VRAM_GENERATION_COST_RATIO) / cls.hostBytesPerSecond) * 1000;
  return { noticeMs, refillMs, ratio: refillMs / noticeMs };
}
