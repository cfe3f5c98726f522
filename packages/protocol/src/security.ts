import { ProtocolError } from "./errors.ts";

/**
 * The security arithmetic behind the report committee, the epoch seed and the
 * activation delay (docs/protocol/threat-model.md; the numbers are generated
 * into docs/PARAMETERS.md by `npm run params`). Pure: no IO, and the Monte
 * Carlo check takes its randomness as a seed argument.
 *
 * Probabilities that decide a parameter are exact rationals (`Fraction`, BigInt
 * numerator and denominator): a binomial tail is a finite sum, so there is no
 * rounding and no sampling between the model and the chosen numbers.
 */

/** Why a security computation refused its input. String values go into metric labels. */
export const SecurityErrorCode = {
  INVALID_PROBABILITY: "SECURITY_ERROR_INVALID_PROBABILITY",
  INVALID_COUNT: "SECURITY_ERROR_INVALID_COUNT",
  NO_SOLUTION: "SECURITY_ERROR_NO_SOLUTION",
} as const;
export type SecurityErrorCode = (typeof SecurityErrorCode)[keyof typeof SecurityErrorCode];

export class SecurityError extends ProtocolError<SecurityErrorCode> {
  override name = "SecurityError";
}

/** An exact non-negative rational `num / den` (den > 0). */
export interface Fraction {
  readonly num: bigint;
  readonly den: bigint;
}

/** Largest committee or delay any search here tries: far above any sane parameter. */
const MAX_SEARCH = 4096;

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/** `num / den` in lowest terms. Integers are accepted as numbers (safe integers) or bigints. */
export function fraction(num: bigint | number, den: bigint | number = 1n): Fraction {
  const n = toBigInt(num, "num");
  const d = toBigInt(den, "den");
  if (d <= 0n || n < 0n) {
    throw new SecurityError(SecurityErrorCode.INVALID_PROBABILITY, "a fraction needs num ≥ 0 and den > 0", {
      num: String(num),
      den: String(den),
    });
  }
  const g = gcd(n, d);
  return g > 1n ? { num: n / g, den: d / g } : { num: n, den: d };
}

function toBigInt(x: bigint | number, field: string): bigint {
  if (typeof x === "bigint") return x;
  if (!Number.isSafeInteger(x)) {
    throw new SecurityError(SecurityErrorCode.INVALID_COUNT, `${field} must be an integer`, { [field]: x });
  }
  return BigInt(x);
}

export function multiplyFractions(a: Fraction, b: Fraction): Fraction {
  return fraction(a.num * b.num, a.den * b.den);
}

/** -1, 0 or 1 as a <, =, > b. */
export function compareFractions(a: Fraction, b: Fraction): -1 | 0 | 1 {
  const l = a.num * b.den;
  const r = b.num * a.den;
  return l < r ? -1 : l > r ? 1 : 0;
}

/** The nearest double (to within one ulp), also when numerator and denominator exceed 2^1024. */
export function fractionToNumber(x: Fraction): number {
  if (x.num === 0n) return 0;
  const shift = x.den.toString(2).length - x.num.toString(2).length + 64;
  const scaled = shift >= 0 ? (x.num << BigInt(shift)) / x.den : x.num / (x.den << BigInt(-shift));
  // scaled has 64 or 65 significant bits; split the power of two so neither factor under- or overflows early.
  const half = Math.trunc(shift / 2);
  return Number(scaled) * 2 ** -half * 2 ** -(shift - half);
}

function checkProbability(p: Fraction, field: string): void {
  if (
    typeof p?.num !== "bigint" ||
    typeof p?.den !== "bigint" ||
    p.den <= 0n ||
    p.num < 0n ||
    p.num > p.den
  ) {
    throw new SecurityError(SecurityErrorCode.INVALID_PROBABILITY, `${field} must be a fraction in [0, 1]`, {
      field,
      value: p === undefined ? "undefined" : `${String(p.num)}/${String(p.den)}`,
    });
  }
}

function checkCount(n: number, field: string, min = 0): void {
  if (!Number.isSafeInteger(n) || n < min || n > MAX_SEARCH * 16) {
    throw new SecurityError(SecurityErrorCode.INVALID_COUNT, `${field} must be an integer ≥ ${min}`, {
      field,
      value: n,
    });
  }
}

/**
 * Numerators of the binomial probability mass function of `Bin(n, p)` over the common
 * denominator `p.den^n`: `out[i] = C(n, i) · num^i · (den − num)^(n−i)`.
 */
function binomialMassNumerators(n: number, p: Fraction): bigint[] {
  const a = p.num;
  const b = p.den - p.num;
  const powA: bigint[] = [1n];
  const powB: bigint[] = [1n];
  for (let i = 1; i <= n; i++) {
    powA.push(powA[i - 1]! * a);
    powB.push(powB[i - 1]! * b);
  }
  const out: bigint[] = [];
  let c = 1n;
  for (let i = 0; i <= n; i++) {
    if (i > 0) c = (c * BigInt(n - i + 1)) / BigInt(i);
    out.push(c * powA[i]! * powB[n - i]!);
  }
  return out;
}

/** Suffix sums: `out[k] = Σ_{i ≥ k} mass[i]`, with `out[n + 1] = 0`. */
function suffixSums(mass: bigint[]): bigint[] {
  const out: bigint[] = new Array<bigint>(mass.length + 1).fill(0n);
  for (let i = mass.length - 1; i >= 0; i--) out[i] = out[i + 1]! + mass[i]!;
  return out;
}

/**
 * Exact `P[Bin(n, p) ≥ k]` as a fraction in lowest terms.
 *
 * @example
 * binomialTail(3, fraction(1, 2), 2) // { num: 1n, den: 2n }
 */
export function binomialTail(n: number, p: Fraction, k: number): Fraction {
  checkCount(n, "n");
  checkProbability(p, "p");
  if (!Number.isSafeInteger(k)) {
    throw new SecurityError(SecurityErrorCode.INVALID_COUNT, "k must be an integer", { k });
  }
  if (k <= 0) return fraction(1n);
  if (k > n) return fraction(0n);
  const tail = suffixSums(binomialMassNumerators(n, p));
  return fraction(tail[k]!, p.den ** BigInt(n));
}

/**
 * Probability that an adversary holding the fraction `f` of the license weight
 * holds at least `q` of the `m` report-committee seats (seats drawn with
 * replacement, one seat = one license): `P[Bin(m, f) ≥ q]`. It can then sign
 * any report on its own. No seed bias is included (see `seedBiasFactor`).
 */
export function reportCommitteeCapture(m: number, q: number, f: Fraction): Fraction {
  checkCount(m, "m", 1);
  checkCount(q, "q", 1);
  return binomialTail(m, f, q);
}

/**
 * Probability that a withholding coalition holding the fraction `g` of the
 * license weight leaves fewer than `q` seats to sign: `P[Bin(m, g) ≥ m − q + 1]`.
 * No seed bias is included: a coalition that also grinds the seed multiplies it
 * by at most `seedBiasFactor(g)`.
 */
export function reportCommitteeBlocking(m: number, q: number, g: Fraction): Fraction {
  checkCount(m, "m", 1);
  checkCount(q, "q", 1);
  return binomialTail(m, g, m - q + 1);
}

/**
 * Bound on how much an adversary holding the fraction `f < 1/2` of the weight
 * multiplies the probability of any event on one epoch seed by grinding the
 * 1-bit reveal/withhold choice of the seed proposers it holds: `1 / (1 − 2f)`,
 * the expected size of the tree of seeds it can evaluate below one seed it
 * could not predict (each adversarial proposer has two children, an honest one
 * ends the tree). Derivation: docs/protocol/threat-model.md, "Seed grinding".
 */
export function seedBiasFactor(f: Fraction): Fraction {
  checkProbability(f, "f");
  if (2n * f.num >= f.den) {
    throw new SecurityError(SecurityErrorCode.NO_SOLUTION, "the seed bias is unbounded for f ≥ 1/2", {
      f: `${f.num}/${f.den}`,
    });
  }
  return fraction(f.den, f.den - 2n * f.num);
}

/**
 * Bound on the probability that the adversary can evaluate `seed(e)` while it
 * can still change `snapshot(e)`, for an activation delay of `A` epochs
 * (changes landing in epoch `c` take effect from `c + A`).
 *
 * `snapshot(e)` stays open until the end of epoch `e − A`, during which
 * `seed(e − A + 1)` is revealed; `seed(e)` is then fixed by the `d = A − 1`
 * proposers of epochs `e − A + 1 … e − 1`. The adversary can compute it only
 * along a branch of the grinding tree on which it holds every one of those
 * proposers; the expected number of such branches is `f · (2f)^(d−1)` (the
 * first proposer is adversarial with probability f, and each adversarial one
 * has two children, each adversarial with probability f). `A = 1` gives 1.
 * Capped at 1. Grinding the starting seed multiplies this by `seedBiasFactor(f)`
 * at most (pass `bias`; the threat model does: `LOOKAHEAD_BIAS`).
 */
export function lookaheadProbability(
  f: Fraction,
  activationDelay: number,
  bias: Fraction = fraction(1n),
): Fraction {
  checkProbability(f, "f");
  checkCount(activationDelay, "activationDelay", 1);
  const d = activationDelay - 1;
  if (d === 0) return fraction(1n);
  const e = BigInt(d - 1);
  const bound = fraction(bias.num * f.num * (2n * f.num) ** e, bias.den * f.den * f.den ** e);
  return compareFractions(bound, fraction(1n)) > 0 ? fraction(1n) : bound;
}

/** Smallest activation delay `A` with `lookaheadProbability(f, A, bias) ≤ target`. */
export function minimalActivationDelay(f: Fraction, target: Fraction, bias: Fraction = fraction(1n)): number {
  checkProbability(f, "f");
  checkProbability(target, "target");
  for (let a = 1; a <= MAX_SEARCH; a++) {
    if (compareFractions(lookaheadProbability(f, a, bias), target) <= 0) return a;
  }
  throw new SecurityError(SecurityErrorCode.NO_SOLUTION, "no activation delay meets the target", {
    f: `${f.num}/${f.den}`,
    target: `${target.num}/${target.den}`,
  });
}

/** `ceil(m · bps / 10000)`, the quorum the contracts derive from `reportQuorumBps`. */
export function quorumFromBps(m: number, bps: number): number {
  checkCount(m, "m", 1);
  checkCount(bps, "bps");
  return Math.ceil((m * bps) / 10_000);
}

/** The basis-point values that give quorum `q` of `m` seats, for a `quorumFromBps` table entry. */
export function quorumBpsRange(m: number, q: number): { min: number; max: number } {
  checkCount(m, "m", 1);
  checkCount(q, "q", 1);
  return { min: Math.floor((10_000 * (q - 1)) / m) + 1, max: Math.floor((10_000 * q) / m) };
}

/** What `minimalCommittee` solves for. */
export interface CommitteeTargets {
  /** Adversarial fraction of the license weight (the capturer). */
  adversary: Fraction;
  /** Largest acceptable capture probability per committee, after `captureBias`. */
  capture: Fraction;
  /** Fraction of the weight that withholds its signatures (the blocker). */
  withholding: Fraction;
  /** Largest acceptable blocking probability per committee, after `blockingBias`. */
  blocking: Fraction;
  /** Multiplier on the capture probability; default `seedBiasFactor(adversary)`. */
  captureBias?: Fraction;
  /**
   * Multiplier on the blocking probability; default 1 (no grinding by the blockers).
   * `REPORT_COMMITTEE_TARGETS` sets `seedBiasFactor(withholding)`: the blockers grind too.
   */
  blockingBias?: Fraction;
  /** Largest committee tried; default 4096. */
  maxSeats?: number;
}

export interface CommitteeChoice {
  /** Seats. */
  m: number;
  /** Smallest quorum meeting the capture target (also the best one for liveness). */
  q: number;
  /** Largest quorum still meeting the blocking target (`q ≤ qMax`). */
  qMax: number;
  /** Capture probability at (m, q), bias included. */
  capture: Fraction;
  /** Blocking probability at (m, q), bias included. */
  blocking: Fraction;
  /** `reportQuorumBps` values that give quorum `q` (`quorumFromBps`). */
  quorumBps: { min: number; max: number };
}

/** A quorum meeting the capture target for `m` seats, or undefined if `m` seats cannot meet it. */
export function smallestSafeQuorum(m: number, targets: CommitteeTargets): number | undefined {
  checkCount(m, "m", 1);
  return smallestSafeQuorumOf(m, resolveTargets(targets));
}

type ResolvedTargets = Required<Omit<CommitteeTargets, "maxSeats">> & { maxSeats: number };

function resolveTargets(t: CommitteeTargets): ResolvedTargets {
  checkProbability(t.adversary, "adversary");
  checkProbability(t.withholding, "withholding");
  checkProbability(t.capture, "capture");
  checkProbability(t.blocking, "blocking");
  const maxSeats = t.maxSeats ?? MAX_SEARCH;
  checkCount(maxSeats, "maxSeats", 1);
  return {
    ...t,
    captureBias: t.captureBias ?? seedBiasFactor(t.adversary),
    blockingBias: t.blockingBias ?? fraction(1n),
    maxSeats,
  };
}

/** bias · tailNum / den^m ≤ target, exactly. */
function within(tailNum: bigint, denPow: bigint, bias: Fraction, target: Fraction): boolean {
  return bias.num * tailNum * target.den <= target.num * bias.den * denPow;
}

function smallestSafeQuorumOf(m: number, t: ResolvedTargets): number | undefined {
  const tail = suffixSums(binomialMassNumerators(m, t.adversary));
  const denPow = t.adversary.den ** BigInt(m);
  for (let q = 1; q <= m; q++) if (within(tail[q]!, denPow, t.captureBias, t.capture)) return q;
  return undefined;
}

/**
 * The smallest committee `m` for which some quorum meets both targets, and its
 * quorum range: capture falls and blocking rises with `q`, so the smallest
 * quorum meeting the capture target is the one to check for blocking.
 *
 * @example
 * minimalCommittee(REPORT_COMMITTEE_TARGETS) // { m: 135, q: 81, qMax: 81, ... }
 */
export function minimalCommittee(targets: CommitteeTargets): CommitteeChoice {
  const t = resolveTargets(targets);
  for (let m = 1; m <= t.maxSeats; m++) {
    const q = smallestSafeQuorumOf(m, t);
    if (q === undefined) continue;
    const blockTail = suffixSums(binomialMassNumerators(m, t.withholding));
    const denPow = t.withholding.den ** BigInt(m);
    const blocks = (quorum: number) =>
      !within(blockTail[m - quorum + 1]!, denPow, t.blockingBias, t.blocking);
    if (blocks(q)) continue;
    let qMax = q;
    while (qMax < m && !blocks(qMax + 1)) qMax++;
    return {
      m,
      q,
      qMax,
      capture: multiplyFractions(t.captureBias, reportCommitteeCapture(m, q, t.adversary)),
      blocking: multiplyFractions(t.blockingBias, reportCommitteeBlocking(m, q, t.withholding)),
      quorumBps: quorumBpsRange(m, q),
    };
  }
  throw new SecurityError(SecurityErrorCode.NO_SOLUTION, "no committee size meets both targets", {
    maxSeats: t.maxSeats,
  });
}

/**
 * `unbondingEpochs` must exceed this sum: a report may land `reportLatenessEpochs`
 * after its epoch, the contest window counts from its landing, and the re-check
 * deadline from the contest's landing, so a provider that fails in epoch e can
 * still be slashed in epoch e + lateness + contest + recheck.
 */
export function minimalUnbondingEpochs(p: {
  reportLatenessEpochs: number;
  contestWindowEpochs: number;
  recheckDeadlineEpochs: number;
}): number {
  checkCount(p.reportLatenessEpochs, "reportLatenessEpochs");
  checkCount(p.contestWindowEpochs, "contestWindowEpochs");
  checkCount(p.recheckDeadlineEpochs, "recheckDeadlineEpochs");
  return p.reportLatenessEpochs + p.contestWindowEpochs + p.recheckDeadlineEpochs + 1;
}

/** The threat model's numbers (docs/protocol/threat-model.md). */
export const THREAT_MODEL = Object.freeze({
  /** License-weight fraction of the adversary. */
  adversary: fraction(1n, 3n),
  /** Report committee capture per epoch, seed bias included. */
  capture: fraction(1n, 10n ** 9n),
  /** Withholding fraction the network must stay live against. */
  withholding: fraction(1n, 4n),
  /** Blocked epochs per epoch at that withholding, the withholders' seed bias included. */
  blocking: fraction(1n, 10n ** 4n),
  /**
   * Probability per epoch that the adversary evaluates a seed before its snapshot is fixed, grinding of
   * the seed the lookahead window starts from included.
   */
  lookahead: fraction(1n, 10n ** 9n),
});

/**
 * `minimalCommittee` targets of the threat model. Both coalitions grind whatever they can vary
 * (docs/protocol/threat-model.md), so each probability is multiplied by its own seed bias: capture by
 * `seedBiasFactor(1/3)` = 3 (the default), blocking by `seedBiasFactor(1/4)` = 2.
 */
export const REPORT_COMMITTEE_TARGETS: CommitteeTargets = Object.freeze({
  adversary: THREAT_MODEL.adversary,
  capture: THREAT_MODEL.capture,
  withholding: THREAT_MODEL.withholding,
  blocking: THREAT_MODEL.blocking,
  captureBias: seedBiasFactor(THREAT_MODEL.adversary),
  blockingBias: seedBiasFactor(THREAT_MODEL.withholding),
});

/**
 * The `bias` of `lookaheadProbability` and `minimalActivationDelay` under the threat model: the adversary
 * also grinds the seed the lookahead window starts from, `seedBiasFactor(1/3)` = 3.
 *
 * @example
 * minimalActivationDelay(THREAT_MODEL.adversary, THREAT_MODEL.lookahead, LOOKAHEAD_BIAS) // 54
 */
export const LOOKAHEAD_BIAS: Fraction = seedBiasFactor(THREAT_MODEL.adversary);

// ---------------------------------------------------------------------------
// Seed grinding: exact optimum and a Monte Carlo check (floating point; these
// check the 1/(1 − 2f) bound, they do not choose a parameter).
// ---------------------------------------------------------------------------

/**
 * Success probability of the best grinding strategy for an event of
 * probability `p` on `seed(e0)`, starting `horizon` epochs before e0 from a
 * seed the adversary could not predict, when each proposer is adversarial with
 * probability `f`. Dynamic programming over the value `U` of a seed node:
 * `U = 1{event}` at e0; an honest proposer's node is worth the expected value
 * `v` of the unpredictable seed it reveals; an adversarial proposer's node is
 * worth the larger of its two (reveal, withhold) children, which it can evaluate.
 * `U` takes finitely many values, so its distribution is carried exactly (up to
 * floating point) from e0 back to the start.
 */
export function optimalGrindingSuccess(f: number, p: number, horizon: number): number {
  return grindingValues(f, p, horizon)[horizon]!;
}

/** `v[r]`: expected value of an unpredictable seed r epochs before e0 under the optimal strategy. */
function grindingValues(f: number, p: number, horizon: number): number[] {
  if (!(f >= 0 && f <= 1 && p >= 0 && p <= 1)) {
    throw new SecurityError(SecurityErrorCode.INVALID_PROBABILITY, "f and p must be in [0, 1]", { f, p });
  }
  checkCount(horizon, "horizon");
  // Atoms of U ascending by value, with their probabilities.
  let values = [0, 1];
  let probs = [1 - p, p];
  const v = [p];
  for (let r = 1; r <= horizon; r++) {
    // max of two independent copies: P(max ≥ x_i) = 1 − (1 − S_i)^2 = S_i (2 − S_i), S_i = P(U ≥ x_i).
    const n = values.length;
    const tail = new Array<number>(n + 1).fill(0);
    for (let i = n - 1; i >= 0; i--) tail[i] = tail[i + 1]! + probs[i]!;
    const maxTail = tail.map((s) => s * (2 - s));
    const next = new Map<number, number>();
    for (let i = 0; i < n; i++) next.set(values[i]!, f * (maxTail[i]! - maxTail[i + 1]!));
    next.set(v[r - 1]!, (next.get(v[r - 1]!) ?? 0) + (1 - f));
    values = [...next.keys()].sort((a, b) => a - b);
    probs = values.map((x) => next.get(x)!);
    // E[U] = Σ (x_i − x_{i−1}) · P(U ≥ x_i): sums small tails, accurate for tiny p.
    let mean = 0;
    let s = 0;
    for (let i = values.length - 1; i >= 0; i--) {
      s += probs[i]!;
      mean += (values[i]! - (i > 0 ? values[i - 1]! : 0)) * s;
    }
    v.push(mean);
  }
  return v;
}

/** sfc32 seeded by splitmix32: fast, 32-bit, reproducible across platforms. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  return () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

export interface GrindingSimulation {
  /** Adversarial fraction (probability that a seed's proposer is adversarial). */
  adversary: number;
  /** Probability of the toy event on seed(e0) (for example "the committee is captured"). */
  eventProbability: number;
  /** Epochs simulated before e0, starting from an unpredictable seed. */
  horizon: number;
  trials: number;
  /** PRNG seed: the same inputs give the same result. */
  seed: number;
}

export interface GrindingResult {
  /** Mean number of distinct seed(e0) values the adversary could evaluate or was dealt (≤ 1/(1 − 2f)). */
  meanCandidates: number;
  /** Mean size of the tree of seeds evaluable below one unpredictable seed (→ 1/(1 − 2f) as the horizon grows). */
  meanEvaluableTree: number;
  /** Share of trials whose seed(e0) has the event. */
  successRate: number;
  /** successRate / eventProbability: the measured bias factor. */
  multiplier: number;
  /** One standard error of `multiplier`. */
  multiplierStandardError: number;
  /** The optimal strategy's exact success rate / eventProbability (`optimalGrindingSuccess`). */
  exactMultiplier: number;
}

interface SeedNode {
  adversarial: boolean;
  event: boolean;
  value: number;
}

/**
 * Monte Carlo of seed grinding: a chain of epochs from `horizon` epochs before e0
 * to e0; each seed draws its proposer (adversarial with probability f). An
 * honest proposer reveals an unpredictable seed. An adversarial one chooses
 * between its two candidates (reveal, withhold), after evaluating the whole tree
 * of seeds it can compute below each (an adversarial proposer's seed has two
 * evaluable children, an honest one's child is unknown and worth its expected
 * value), the optimal strategy of `optimalGrindingSuccess`. The event holds on
 * each seed(e0) value independently with probability p (a random oracle).
 */
export function simulateSeedGrinding(sim: GrindingSimulation): GrindingResult {
  const { adversary: f, eventProbability: p, horizon, trials } = sim;
  if (!Number.isSafeInteger(trials) || trials < 1) {
    throw new SecurityError(SecurityErrorCode.INVALID_COUNT, "trials must be a positive integer", { trials });
  }
  const v = grindingValues(f, p, horizon);
  const random = rng(sim.seed);
  let candidates = 0;
  let treeNodes = 0;
  let successes = 0;
  let created = 0;

  const fresh = (r: number): SeedNode => {
    created++;
    if (r === 0) candidates++;
    return { adversarial: random() < f, event: r === 0 && random() < p, value: Number.NaN };
  };
  // Children exist only below adversarial proposers, and are created when the adversary evaluates them.
  const children = new Map<SeedNode, [SeedNode, SeedNode]>();
  const evaluate = (node: SeedNode, r: number): number => {
    if (!Number.isNaN(node.value)) return node.value;
    if (r === 0) node.value = node.event ? 1 : 0;
    else if (!node.adversarial) node.value = v[r - 1]!;
    else {
      const kids: [SeedNode, SeedNode] = [fresh(r - 1), fresh(r - 1)];
      children.set(node, kids);
      node.value = Math.max(evaluate(kids[0], r - 1), evaluate(kids[1], r - 1));
    }
    return node.value;
  };

  for (let t = 0; t < trials; t++) {
    children.clear();
    created = 0;
    let node = fresh(horizon);
    evaluate(node, horizon);
    treeNodes += created;
    for (let r = horizon; r > 0; r--) {
      const kids = children.get(node);
      if (kids === undefined) {
        node = fresh(r - 1); // honest proposer: an unpredictable seed
        evaluate(node, r - 1);
      } else {
        node = kids[0].value >= kids[1].value ? kids[0] : kids[1];
      }
    }
    if (node.event) successes++;
  }
  const rate = successes / trials;
  return {
    meanCandidates: candidates / trials,
    meanEvaluableTree: treeNodes / trials,
    successRate: rate,
    multiplier: rate / p,
    multiplierStandardError: Math.sqrt((rate * (1 - rate)) / trials) / p,
    exactMultiplier: v[horizon]! / p,
  };
}
