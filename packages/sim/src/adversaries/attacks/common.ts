import type { Hex } from "viem";
import type { Prng } from "../../prng.ts";
import {
  type Attestation,
  attestationSeats,
  ChallengeKind,
  CheckResult,
  computeVerdict,
  type ProtocolParams,
  type ProviderVerdict,
  type WeightedAttestation,
} from "../../protocol.ts";
import { type Interval, wilsonInterval } from "../../stats.ts";
import { seatAddress } from "../../verdicts.ts";

/**
 * Attack studies: adversaries whose decision depends on something the epoch
 * engine does not model per entity (a seed known in advance, the re-check
 * window, a budget spent across a committee, a penalty on vouching). Each is
 * a Monte Carlo over the protocol's own rules (sortition, verdicts,
 * re-check verdicts, contests, seed grinding), run once per trial, under a
 * named rule set: `current` (the protocol's parameters as shipped), and
 * `vulnerable` or `fixed` (the rule the attack needs, or the rule that
 * defeats it). A study never re-implements a rule: where it models something
 * the protocol does not do, it says so in `assumptions`, which every run prints.
 */

/** Which rules a study runs under. */
export type RuleSet = "current" | "vulnerable" | "fixed";

interface AttackContext {
  rules: RuleSet;
  params: ProtocolParams;
  /** The study's knobs, defaults filled in, validated. */
  setup: Record<string, number>;
  trials: number;
  rng: Prng;
}

/** One reported number: a rate (Wilson interval over trials) or a mean (normal interval over trials). */
export interface Metric {
  name: string;
  estimate: number;
  lo: number;
  hi: number;
  what: string;
}

interface AttackOutcome {
  metrics: Metric[];
  /** What the study models that the protocol does not do, or models without calling. */
  assumptions: string[];
  /** One-line findings, rounded. */
  notes: string[];
}

export interface AttackModule {
  readonly name: string;
  readonly summary: string;
  /** Knobs a scenario may set, with defaults and the interval each must lie in. */
  readonly setup: Record<
    string,
    { default: number; min: number; max: number; integer?: boolean; what: string }
  >;
  /** ProtocolParams the rule sets differ by (a `vulnerable`/`fixed` file sets them). */
  run(ctx: AttackContext): AttackOutcome;
}

export function rate(name: string, successes: number, trials: number, what: string): Metric {
  const i: Interval = wilsonInterval(successes, trials);
  return { name, estimate: i.mean, lo: i.lo, hi: i.hi, what };
}

export function mean(name: string, values: readonly number[], what: string): Metric {
  const n = values.length;
  const m = values.reduce((a, b) => a + b, 0) / Math.max(1, n);
  const v = n > 1 ? values.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1) : 0;
  const half = 1.959964 * Math.sqrt(v / Math.max(1, n));
  return { name, estimate: m, lo: m - half, hi: m + half, what };
}

export function randomHex(rng: Prng, bytes: number): Hex {
  let s = "0x";
  for (const b of rng.bytes(bytes)) s += b.toString(16).padStart(2, "0");
  return s as Hex;
}

const ZERO_HASH = `0x${"00".repeat(32)}` as Hex;
const TARGET = "0xa11ce00000000000000000000000000000000000" as const;

/** computeVerdict over a committee given as (seats, passes) per distinct member. */
export function committeeVerdict(
  members: readonly { seats: number; pass: boolean }[],
  params: ProtocolParams,
): ProviderVerdict {
  const list: WeightedAttestation[] = members.map((m, j) => {
    const attestation: Attestation = {
      epoch: 1n,
      provider: TARGET,
      checker: seatAddress(j),
      kind: ChallengeKind.LATENCY,
      result: m.pass ? CheckResult.PASS : CheckResult.FAIL,
      latencyP50Us: 20_000,
      latencyP95Us: 30_000,
      throughput: 0n,
      transcriptHash: ZERO_HASH,
    };
    return { attestation, seats: m.seats };
  });
  return computeVerdict(list, params);
}

/** A fixed target provider address for the studies' sortition draws. */
export const TARGET_PROVIDER = TARGET;

/**
 * Seats of each key on the target's committee: `attestationSeats` of the
 * protocol with each key's VRF output. The outputs are drawn uniformly (a
 * BLS VRF output is unpredictable before the seed is known; named assumption).
 */
export function committeeSeatsOf(
  vrfOuts: readonly Hex[],
  licenses: readonly number[],
  totalLicenses: number,
  expectedSize: number,
): number[] {
  return vrfOuts.map((v, i) =>
    attestationSeats(v, TARGET, { licenses: licenses[i] as number, totalLicenses }, expectedSize),
  );
}

export const VRF_ASSUMPTION =
  "VRF outputs and BLS signatures are drawn as uniform random bytes (they are unique and unpredictable to anyone " +
  "but their signer; the studies do not sign)";
