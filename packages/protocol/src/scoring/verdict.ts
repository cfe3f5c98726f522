import { type Address, getAddress, isAddress } from "viem";
import { ProtocolError } from "../errors.ts";
import type { ProtocolParams } from "../params.ts";
import { type Attestation, CheckResult, Verdict } from "../types.ts";

/**
 * Robust per-provider aggregation (docs/protocol/sortition-and-aggregation.md, "Verdict rules").
 * Every attestation weighs the committee seats its checker won for the
 * provider, so splitting licenses across keys changes nothing.
 */

export const VerdictErrorCode = {
  DUPLICATE_CHECKER: "VERDICT_ERROR_DUPLICATE_CHECKER",
  MIXED_EPOCH: "VERDICT_ERROR_MIXED_EPOCH",
  MIXED_PROVIDER: "VERDICT_ERROR_MIXED_PROVIDER",
  INVALID_SEATS: "VERDICT_ERROR_INVALID_SEATS",
  INVALID_ATTESTATION: "VERDICT_ERROR_INVALID_ATTESTATION",
  TOO_MANY_ATTESTATIONS: "VERDICT_ERROR_TOO_MANY_ATTESTATIONS",
} as const;
export type VerdictErrorCode = (typeof VerdictErrorCode)[keyof typeof VerdictErrorCode];

export class VerdictError extends ProtocolError<VerdictErrorCode> {
  override name = "VerdictError";
}

/** One attestation and the seats its checker holds on the provider's committee (≥ 1). */
export interface WeightedAttestation {
  attestation: Attestation;
  seats: number;
}

export interface ProviderVerdict {
  verdict: Verdict;
  /** 0..10000: pass fraction of the weight, discounted by latency (see `computeVerdict`). */
  scoreBps: number;
  /** Weighted median of the p50 latencies of passing attestations, µs (0 when none passed). */
  medianLatencyUs: number;
  /** Attestations counted (distinct checkers). */
  attestations: number;
  /** Attestations that said FAIL or TIMEOUT. */
  failures: number;
  /**
   * Checkers whose attestations said FAIL (`isAccusation`), ascending by address (checksummed): the ones a
   * re-check that overturns the verdict penalizes. A TIMEOUT counts toward the verdict but accuses nobody.
   */
  accusers: Address[];
  /** Sum of seats over all counted attestations. */
  weight: number;
  /** Sum of seats over failing (FAIL or TIMEOUT) attestations. */
  failureWeight: number;
}

/**
 * Whether an attestation makes its checker an accuser: FAIL only, a claim about what the provider sent
 * (challenges/common.ts, `isAvailabilityReason`). A re-check cannot refute a TIMEOUT, a claim about the
 * provider's availability in the accused epoch, so it penalizes nobody for one (docs/protocol/recheck.md,
 * "Who is penalized").
 */
export function isAccusation(result: CheckResult): boolean {
  return result === CheckResult.FAIL;
}

/** Leaf fields are uint16; a committee is never near this. */
const MAX_ATTESTATIONS = 0xffff;
/** Seats per attestation are at most a checker's licenses; the bound keeps weight sums exact in doubles. */
const MAX_SEATS = 1 << 20;

/**
 * The committee's verdict on one provider for one epoch.
 *
 * - INCONCLUSIVE when fewer than params.minAttestations distinct checkers
 *   attested: a single operator, however many seats it holds, cannot decide.
 * - FAIL when failureWeight · 10000 > params.failureQuorumBps · weight
 *   (FAIL and TIMEOUT both count as failing).
 * - PASS otherwise.
 *
 * `accusers` lists only the FAIL attestations' checkers (`isAccusation`);
 * `failures` and `failureWeight` count FAIL and TIMEOUT alike.
 *
 * medianLatencyUs is the lower weighted median of the passing attestations'
 * p50: the smallest p50 v with (seats of passing attestations with p50 ≤ v) · 2
 * ≥ passing weight. While liars hold less passing weight than honest
 * checkers, it lies within the honest values.
 *
 * scoreBps = floor(passBps · (10000 · (10000 - wL) + wL · latencyBps) / 10^8), with
 *   passBps    = floor((weight - failureWeight) · 10000 / weight),
 *   latencyBps = 10000 if median ≤ target, else floor(target · 10000 / median),
 *   wL = params.scoreLatencyWeightBps, target = params.scoreLatencyTargetUs.
 * It is computed the same way for every verdict; only PASS providers are paid.
 *
 * @throws VerdictError on duplicate checkers, mixed epochs or providers, or seats < 1.
 */
export function computeVerdict(
  attestations: readonly WeightedAttestation[],
  params: Pick<
    ProtocolParams,
    "minAttestations" | "failureQuorumBps" | "scoreLatencyTargetUs" | "scoreLatencyWeightBps"
  >,
): ProviderVerdict {
  if (attestations.length > MAX_ATTESTATIONS) {
    throw new VerdictError(
      VerdictErrorCode.TOO_MANY_ATTESTATIONS,
      "more attestations than a result leaf can count",
      {
        count: attestations.length,
        max: MAX_ATTESTATIONS,
      },
    );
  }
  const first = attestations[0]?.attestation;
  const seen = new Set<string>();
  let weight = 0;
  let failureWeight = 0;
  let failures = 0;
  const accusers: Address[] = [];
  const passing: { p50: number; seats: number }[] = [];

  for (const { attestation: a, seats } of attestations) {
    if (!Number.isSafeInteger(seats) || seats < 1 || seats > MAX_SEATS) {
      throw new VerdictError(VerdictErrorCode.INVALID_SEATS, "seats must be an integer in [1, 2^20]", {
        checker: a?.checker,
        seats,
      });
    }
    if (a === undefined || first === undefined) {
      throw new VerdictError(VerdictErrorCode.INVALID_ATTESTATION, "attestation is missing", {});
    }
    if (a.epoch !== first.epoch) {
      throw new VerdictError(VerdictErrorCode.MIXED_EPOCH, "attestations are for different epochs", {
        expected: String(first.epoch),
        actual: String(a.epoch),
        checker: a.checker,
      });
    }
    if (a.provider.toLowerCase() !== first.provider.toLowerCase()) {
      throw new VerdictError(VerdictErrorCode.MIXED_PROVIDER, "attestations are for different providers", {
        expected: first.provider,
        actual: a.provider,
        checker: a.checker,
      });
    }
    if (typeof a.checker !== "string" || !isAddress(a.checker, { strict: false })) {
      throw new VerdictError(VerdictErrorCode.INVALID_ATTESTATION, "checker is not an address", {
        checker: String(a.checker),
      });
    }
    // Checksumming costs a keccak; only accusers need it, for the leaf's canonical form.
    const checker = a.checker;
    const key = checker.toLowerCase();
    if (seen.has(key)) {
      throw new VerdictError(VerdictErrorCode.DUPLICATE_CHECKER, "checker attested twice for this provider", {
        checker,
      });
    }
    seen.add(key);
    if (!Number.isSafeInteger(a.latencyP50Us) || a.latencyP50Us < 0) {
      throw new VerdictError(
        VerdictErrorCode.INVALID_ATTESTATION,
        "latencyP50Us must be a non-negative integer",
        {
          checker,
          latencyP50Us: a.latencyP50Us,
        },
      );
    }
    weight += seats;
    if (a.result === CheckResult.PASS) {
      passing.push({ p50: a.latencyP50Us, seats });
    } else if (a.result === CheckResult.FAIL || a.result === CheckResult.TIMEOUT) {
      failureWeight += seats;
      failures++;
      if (isAccusation(a.result)) accusers.push(getAddress(checker));
    } else {
      throw new VerdictError(VerdictErrorCode.INVALID_ATTESTATION, "unknown check result", {
        checker,
        result: a.result,
      });
    }
  }
  accusers.sort((x, y) => (x.toLowerCase() < y.toLowerCase() ? -1 : 1));

  const medianLatencyUs = weightedLowerMedian(passing);
  const count = attestations.length;
  let verdict: Verdict;
  if (count < params.minAttestations) verdict = Verdict.INCONCLUSIVE;
  else if (failureWeight * 10_000 > params.failureQuorumBps * weight) verdict = Verdict.FAIL;
  else verdict = Verdict.PASS;

  return {
    verdict,
    scoreBps: score(weight, failureWeight, medianLatencyUs, params),
    medianLatencyUs,
    attestations: count,
    failures,
    accusers,
    weight,
    failureWeight,
  };
}

function weightedLowerMedian(values: { p50: number; seats: number }[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a.p50 - b.p50);
  const total = sorted.reduce((s, v) => s + v.seats, 0);
  let cumulative = 0;
  for (const v of sorted) {
    cumulative += v.seats;
    if (cumulative * 2 >= total) return v.p50;
  }
  // Unreachable: the last element brings the cumulative weight to the total.
  return sorted[sorted.length - 1]?.p50 ?? 0;
}

function score(
  weight: number,
  failureWeight: number,
  medianLatencyUs: number,
  params: Pick<ProtocolParams, "scoreLatencyTargetUs" | "scoreLatencyWeightBps">,
): number {
  if (weight === 0) return 0;
  const passBps = BigInt(Math.floor(((weight - failureWeight) * 10_000) / weight));
  if (passBps === 0n) return 0;
  const target = BigInt(params.scoreLatencyTargetUs);
  const median = BigInt(medianLatencyUs);
  const latencyBps = median <= target ? 10_000n : (target * 10_000n) / median;
  const wL = BigInt(params.scoreLatencyWeightBps);
  return Number((passBps * (10_000n * (10_000n - wL) + wL * latencyBps)) / 100_000_000n);
}
