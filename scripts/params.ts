/**
 * `npm run params`: computes the report committee, seed and activation-delay
 * parameters from the threat model (packages/protocol/src/security.ts), prints
 * them, and rewrites the generated section of docs/PARAMETERS.md (between
 * `<!-- params:begin -->` and `<!-- params:end -->`).
 *
 *   npm run params               # print and rewrite the section
 *   npm run params -- --check    # print; exit 1 if the section differs from what would be written
 *
 * Exits 1 as well when a value of `DEFAULT_PARAMS` (report committee, quorum,
 * activation delay) no longer meets the threat model or is no longer the
 * smallest that does.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { DEFAULT_PARAMS } from "../packages/protocol/src/params.ts";
import {
  compareFractions,
  type Fraction,
  fraction,
  fractionToNumber,
  LOOKAHEAD_BIAS,
  lookaheadProbability,
  minimalActivationDelay,
  minimalCommittee,
  minimalUnbondingEpochs,
  multiplyFractions,
  optimalGrindingSuccess,
  quorumFromBps,
  REPORT_COMMITTEE_TARGETS,
  reportCommitteeBlocking,
  reportCommitteeCapture,
  seedBiasFactor,
  simulateSeedGrinding,
  smallestSafeQuorum,
  THREAT_MODEL,
} from "../packages/protocol/src/security.ts";
import { computeRecheckParams, recheckDesignProblems, renderRecheckSection } from "./paramsRecheck.ts";

export const DOC_PATH = fileURLToPath(new URL("../docs/PARAMETERS.md", import.meta.url));
export const BEGIN_MARKER = "<!-- params:begin -->";
export const END_MARKER = "<!-- params:end -->";

/**
 * The values the contracts use, from `DEFAULT_PARAMS` (packages/protocol/src/params.ts); `designProblems`
 * reports any that no longer meets the threat model or is no longer the smallest that does.
 */
export const DESIGN = Object.freeze({
  reportCommitteeSize: DEFAULT_PARAMS.reportCommitteeSize,
  reportQuorumBps: DEFAULT_PARAMS.reportQuorumBps,
  activationDelayEpochs: DEFAULT_PARAMS.activationDelayEpochs,
  committeePeriodEpochs: DEFAULT_PARAMS.committeePeriodEpochs,
  reportLatenessEpochs: DEFAULT_PARAMS.reportLatenessEpochs,
});

/** Monte Carlo of the seed-bias bound: fixed PRNG seed, so the section is reproducible. */
export const GRINDING_SIMULATION = Object.freeze({
  adversary: 1 / 3,
  eventProbability: 0.01,
  horizon: 40,
  trials: 200_000,
  seed: 1,
});

const SWEEP_SEATS = [32, 64, 96, 112, 128, 129, 131, 133, 134, 135, 136, 137, 160, 192, 256];
const DELAY_ROWS = [41, 46, 50, 51, 52, 53, 54, 55, 61];
const SECONDS_PER_YEAR = 365.25 * 86_400;

const third = fraction(1n, 3n);
const quarter = fraction(1n, 4n);

function nextSize(m: number, blockingBias: Fraction) {
  const q = smallestSafeQuorum(m + 1, REPORT_COMMITTEE_TARGETS);
  if (q === undefined) throw new Error(`no safe quorum for ${m + 1} seats`);
  return {
    m: m + 1,
    q,
    block4Biased: multiplyFractions(blockingBias, reportCommitteeBlocking(m + 1, q, quarter)),
  };
}

/** Everything the section states, computed once. */
export function computeParams() {
  const m = DESIGN.reportCommitteeSize;
  const q = quorumFromBps(m, DESIGN.reportQuorumBps);
  const minimal = minimalCommittee(REPORT_COMMITTEE_TARGETS);
  const biasThird = seedBiasFactor(third);
  const biasQuarter = seedBiasFactor(quarter);
  /** What the blocking target alone would allow if the withholders did not grind (they do). */
  const withoutBlockingBias = minimalCommittee({ ...REPORT_COMMITTEE_TARGETS, blockingBias: fraction(1n) });
  const capture3 = reportCommitteeCapture(m, q, third);
  const capture3Biased = multiplyFractions(biasThird, capture3);
  const delay = minimalActivationDelay(THREAT_MODEL.adversary, THREAT_MODEL.lookahead, LOOKAHEAD_BIAS);
  /** What the lookahead target would allow if the window's starting seed were not ground (it is). */
  const delayDealt = minimalActivationDelay(THREAT_MODEL.adversary, THREAT_MODEL.lookahead);
  const a = DESIGN.activationDelayEpochs;
  const lookahead = lookaheadProbability(third, a, LOOKAHEAD_BIAS);
  const epochSeconds = DEFAULT_PARAMS.epochSeconds;
  const period = DESIGN.committeePeriodEpochs;
  const epochsBetweenCaptures = period / fractionToNumber(capture3Biased);
  const budgetSum = fraction(
    capture3Biased.num * lookahead.den + lookahead.num * capture3Biased.den,
    capture3Biased.den * lookahead.den,
  );
  const windows = {
    reportLatenessEpochs: DESIGN.reportLatenessEpochs,
    contestWindowEpochs: DEFAULT_PARAMS.contestWindowEpochs,
    recheckDeadlineEpochs: DEFAULT_PARAMS.recheckDeadlineEpochs,
  };
  const limitP = 1e-12;
  return {
    recheck: computeRecheckParams(),
    m,
    q,
    minimal,
    withoutBlockingBias,
    biasThird,
    biasQuarter,
    capture3,
    capture3Biased,
    capture4: reportCommitteeCapture(m, q, quarter),
    capture4Biased: multiplyFractions(biasQuarter, reportCommitteeCapture(m, q, quarter)),
    block4: reportCommitteeBlocking(m, q, quarter),
    block4Biased: multiplyFractions(biasQuarter, reportCommitteeBlocking(m, q, quarter)),
    block3: reportCommitteeBlocking(m, q, third),
    epochsBetweenCaptures,
    yearsBetweenCaptures: (epochsBetweenCaptures * epochSeconds) / SECONDS_PER_YEAR,
    recheckCapture: multiplyFractions(fraction(DEFAULT_PARAMS.contestWindowEpochs), capture3Biased),
    budgetSum,
    budgetExceeded: compareFractions(budgetSum, THREAT_MODEL.capture) > 0,
    /** Expected lookahead takeovers per year at the per-epoch bound (a union bound over the year's epochs). */
    takeoverPerYear: (fractionToNumber(lookahead) * SECONDS_PER_YEAR) / epochSeconds,
    sweep: SWEEP_SEATS.map((seats) => {
      const quorum = smallestSafeQuorum(seats, REPORT_COMMITTEE_TARGETS);
      if (quorum === undefined) throw new Error(`no safe quorum for ${seats} seats`);
      return {
        m: seats,
        q: quorum,
        capture3: reportCommitteeCapture(seats, quorum, third),
        capture3Biased: multiplyFractions(biasThird, reportCommitteeCapture(seats, quorum, third)),
        capture4: reportCommitteeCapture(seats, quorum, quarter),
        block4: reportCommitteeBlocking(seats, quorum, quarter),
        block4Biased: multiplyFractions(biasQuarter, reportCommitteeBlocking(seats, quorum, quarter)),
        block3: reportCommitteeBlocking(seats, quorum, third),
      };
    }),
    /** The size after the minimal one, which shows that blocking is not monotone in m. */
    next: nextSize(minimal.m, biasQuarter),
    delay,
    delayDealt,
    lookahead,
    lookaheadDealt: lookaheadProbability(third, a),
    lookaheadBefore: lookaheadProbability(third, a - 1, LOOKAHEAD_BIAS),
    delays: DELAY_ROWS.map((row) => ({
      a: row,
      p: lookaheadProbability(third, row),
      ground: lookaheadProbability(third, row, LOOKAHEAD_BIAS),
    })),
    epochSeconds,
    period,
    windows,
    unbonding: minimalUnbondingEpochs(windows),
    grinding: simulateSeedGrinding(GRINDING_SIMULATION),
    limitMultiplier: optimalGrindingSuccess(1 / 3, limitP, 80) / limitP,
  };
}
export type ComputedParams = ReturnType<typeof computeParams>;

/** Reasons the values of `DEFAULT_PARAMS` no longer match the threat model; empty when they do. */
export function designProblems(c: ComputedParams): string[] {
  const out: string[] = [];
  if (c.m !== c.minimal.m || c.q !== c.minimal.q) {
    out.push(
      `reportCommitteeSize/quorum ${c.m}/${c.q} is not the minimal ${c.minimal.m}/${c.minimal.q} (params.ts)`,
    );
  }
  if (DESIGN.activationDelayEpochs !== c.delay) {
    out.push(
      `activationDelayEpochs ${DESIGN.activationDelayEpochs} is not the minimal ${c.delay} (params.ts)`,
    );
  }
  out.push(...recheckDesignProblems(c.recheck));
  return out;
}

/** "2.64·10^-10", "0.474", "3": the notation of docs/PARAMETERS.md, three significant digits. */
export function sci(x: number | Fraction, digits = 3): string {
  const v = typeof x === "number" ? x : fractionToNumber(x);
  if (v === 0) return "0";
  if (v >= 0.01 && v < 10_000) return String(Number(v.toPrecision(digits)));
  const [mantissa, exponent] = v.toExponential(digits - 1).split("e") as [string, string];
  const exp = Number(exponent);
  return exp === 0 ? mantissa : `${mantissa}·10^${exp}`;
}

function duration(epochs: number, epochSeconds: number): string {
  const minutes = Math.round((epochs * epochSeconds) / 60);
  const h = Math.floor(minutes / 60);
  const min = minutes % 60;
  return h === 0 ? `${min} min` : min === 0 ? `${h} h` : `${h} h ${min} min`;
}

function table(header: string[], rows: (string | number)[][]): string {
  const lines = [`| ${header.join(" | ")} |`, `| ${header.map(() => "---").join(" | ")} |`];
  for (const r of rows) lines.push(`| ${r.join(" | ")} |`);
  return lines.join("\n");
}

/** The generated section, markers excluded. */
export function renderParamsSection(c: ComputedParams = computeParams()): string {
  const g = c.grinding;
  const mins = duration(1, c.epochSeconds);
  const w = c.windows;
  const a = DESIGN.activationDelayEpochs;
  const quorums =
    c.minimal.qMax === c.minimal.q
      ? `${c.minimal.q} is the only quorum that does at ${c.minimal.m} seats`
      : `the quorums ${c.minimal.q} to ${c.minimal.qMax} do at ${c.minimal.m} seats`;
  return `<!-- Generated by \`npm run params\` (scripts/params.ts) from packages/protocol/src/security.ts: edit those, not this section. \`npm run params -- --check\` fails when it is stale. -->

## Report committee

Threat model ([protocol/threat-model.md](protocol/threat-model.md)): the adversary holds
f = 1/3 of the license weight and may capture a report committee with
probability at most 10^-9 per epoch, seed bias included; a coalition
withholding g = 1/4 of the weight may block reports in at most 10^-4 of epochs,
its own seed bias included. Both grind whatever they can vary.
The numbers below are exact (binomial tails summed as BigInt rationals, no
sampling) except the Monte Carlo check of the seed bias.

**Design.** The report committee of a committee period (K = ${c.period} epochs,
${duration(c.period, c.epochSeconds)} at ${mins} epochs) has \`m\` seats drawn with replacement, in
proportion to weight (one seat = one license), from the snapshot of the
period's first epoch e0 with seed(e0). Its quorum is \`q\` seats,
\`q = ceil(m · reportQuorumBps / 10000)\`. Re-check committees, one drawn per
contested slash, have the same \`m\` and \`q\`. The adversary's seats are exactly
\`Bin(m, f)\`: it captures (signs any report alone) with probability
\`P[Bin(m, f) ≥ q]\`, and a withholding coalition blocks with probability
\`P[Bin(m, g) ≥ m − q + 1]\`. Seed grinding multiplies each by at most
\`1/(1 − 2x)\` for the grinding coalition's share x ([Seed bias](#seed-bias)):
${sci(c.biasThird)} for the capture at f = 1/3, ${sci(c.biasQuarter)} for the blocking at g = 1/4.

**m = ${c.m} seats, q = ${c.q} (\`reportQuorumBps\` = ${DESIGN.reportQuorumBps}; every value from ${c.minimal.quorumBps.min} to ${c.minimal.quorumBps.max} gives ${c.q}).**
${c.minimal.m} is the smallest committee for which some quorum meets both targets, and
${quorums} (\`minimalCommittee\`). Without the withholders' bias
the blocking target alone would allow m = ${c.withoutBlockingBias.m}, q = ${c.withoutBlockingBias.q}.

${table(
  [`Quantity (m = ${c.m}, q = ${c.q})`, "Value", "Target"],
  [
    ["capture per committee, f = 1/3", sci(c.capture3), ""],
    [`capture with seed bias (× ${sci(c.biasThird)}), f = 1/3`, sci(c.capture3Biased), "≤ 10^-9"],
    [
      `capture, f = 1/4 (without, with bias × ${sci(c.biasQuarter)})`,
      `${sci(c.capture4)}, ${sci(c.capture4Biased)}`,
      "",
    ],
    ["blocking per committee, g = 1/4", sci(c.block4), ""],
    [
      `blocking with the withholders' seed bias (× ${sci(c.biasQuarter)}), g = 1/4`,
      sci(c.block4Biased),
      "≤ 10^-4",
    ],
    ["blocking, g = 1/3", sci(c.block3), ""],
    [
      "epochs between captures, f = 1/3 with bias (K / capture)",
      `${sci(c.epochsBetweenCaptures)} (${sci(c.yearsBetweenCaptures)} years)`,
      "",
    ],
    [
      `re-check capture per contested slash, if the contester can pick among the ${w.contestWindowEpochs} seeds of the contest window (× ${w.contestWindowEpochs})`,
      sci(c.recheckCapture),
      "see caveats",
    ],
  ],
)}

A committee is drawn once per period, so a captured or blocked committee holds
for the whole period: the probabilities are per period and equal the share of
epochs affected.

Smallest quorum meeting the capture target (with the seed bias) for each
committee size, and what it leaves for liveness; ${c.minimal.m} is the first size
whose blocking at g = 1/4, times the withholders' seed bias ${sci(c.biasQuarter)}, is at most
10^-4 (the quorum moves in whole seats, so larger sizes are not all better:
${c.next.m} needs q = ${c.next.q} and blocks in ${sci(c.next.block4Biased)} with the bias):

${table(
  [
    "m",
    "q",
    "capture, f = 1/3",
    `capture × ${sci(c.biasThird)}, f = 1/3`,
    "capture, f = 1/4",
    "block, g = 1/4",
    `block × ${sci(c.biasQuarter)}, g = 1/4`,
    "block, g = 1/3",
  ],
  c.sweep.map((r) => [
    r.m,
    r.q,
    sci(r.capture3),
    sci(r.capture3Biased),
    sci(r.capture4),
    sci(r.block4),
    sci(r.block4Biased),
    sci(r.block3),
  ]),
)}

Gas hardly grows with the committee: its keys are sealed on-chain once per
period as contract code, and a report reads them all at once and pays one G1
addition per seat that did *not* sign (\`npm run bench:gas\`).

### Seed bias

seed(e + 1) is the hash of the epoch-e seed proposer's BLS signature over
(domain, e + 1, seed(e)) when the proposer reveals it during epoch e, and the
fallback \`keccak(tag, lastRevealedSeed, e + 1)\` otherwise. BLS signatures are
unique, so an adversarial proposer chooses one bit: reveal or withhold. The
seeds the adversary can evaluate below a seed it could not predict form a
branching process in which an adversarial proposer (probability f) has two
children and an honest one ends the tree; its expected size is \`Σ (2f)^d = 1/(1 − 2f)\`,
and a union bound over those candidates gives \`P(event on seed(e0)) ≤ p / (1 − 2f)\`
for any event of probability p, whatever the strategy (derivation in
[protocol/threat-model.md](protocol/threat-model.md#seed-grinding)). The same
bound with g in place of f applies to a withholding coalition that grinds the
seed towards a committee it can block.

${table(
  [`Check (f = 1/3, toy event p = ${GRINDING_SIMULATION.eventProbability})`, "Value", "Bound"],
  [
    ["mean size of the evaluable tree below an unpredictable seed", g.meanEvaluableTree.toFixed(3), "3"],
    ["mean number of seed(e0) candidates per run", g.meanCandidates.toFixed(3), "3"],
    [
      "capture-rate multiplier, measured (± 1 s.e.)",
      `${g.multiplier.toFixed(3)} ± ${g.multiplierStandardError.toFixed(3)}`,
      "3",
    ],
    ["capture-rate multiplier of the optimal strategy, exact", g.exactMultiplier.toFixed(3), "3"],
    ["same, for p → 0 (p = 10^-12)", c.limitMultiplier.toFixed(3), "3"],
  ],
)}

Monte Carlo: ${GRINDING_SIMULATION.trials.toLocaleString("en-US")} runs of ${GRINDING_SIMULATION.horizon} epochs each
(PRNG seed ${GRINDING_SIMULATION.seed}, \`simulateSeedGrinding\`), the adversary playing the
optimal strategy (it evaluates both candidates of each of its proposals down
to e0 and keeps the better). The bound 3 is what the committee sizing and the
activation delay use; the best strategy reaches ${c.limitMultiplier.toFixed(2)}.

### Activation delay

A delegation, undelegation, registration, exit or jail that lands in epoch c
takes effect from epoch c + A, so the snapshot of epoch e is fixed at the start
of epoch e − A + 1. By then seed(e − A + 1) may be known, and seed(e) depends
on the d = A − 1 proposers of epochs e − A + 1 … e − 1: the adversary can
compute seed(e) while it can still change snapshot(e) only along a branch of
the grinding tree on which it holds all of them. The expected number of such
branches is \`f · (2f)^(d−1)\` when seed(e − A + 1) is dealt; the adversary also
grinds the seeds before it, which multiplies the bound by at most
\`1/(1 − 2f)\` = ${sci(c.biasThird)} (\`lookaheadProbability\` with \`LOOKAHEAD_BIAS\`).

**A = ${a} epochs (${duration(a, c.epochSeconds)} at ${mins} epochs)**, the smallest A
with \`3 · f · (2f)^(A−2) ≤ 10^-9\` at f = 1/3: ${sci(c.lookahead)} (A = ${a - 1}: ${sci(c.lookaheadBefore)}).
Without the grinding of the starting seed, A = ${c.delayDealt} would meet 10^-9.

${table(
  ["A", "wall clock", "f · (2f)^(A−2), start seed dealt", `× ${sci(c.biasThird)} (start seed ground)`],
  c.delays.map((r) => [r.a, duration(r.a, c.epochSeconds), sci(r.p), sci(r.ground)]),
)}

### Periods and windows

| Field | Value | Origin |
| --- | --- | --- |
| \`committeePeriodEpochs\` (K) | ${c.period} (${duration(c.period, c.epochSeconds)}) | one committee sealing per day amortizes its gas |
| \`activationDelayEpochs\` (A) | ${a} (${duration(a, c.epochSeconds)}) | [Activation delay](#activation-delay) |
| \`reportLatenessEpochs\` | ${w.reportLatenessEpochs} | a report is accepted after its epoch's checking phase and at most this many epochs late |
| \`contestWindowEpochs\` | ${w.contestWindowEpochs} | counted from the block where the report landed |
| \`recheckDeadlineEpochs\` | ${w.recheckDeadlineEpochs} | counted from the block where the contest landed |
| \`unbondingEpochs\` (contracts) | at least ${c.unbonding} (${duration(c.unbonding, c.epochSeconds)}) | must exceed lateness + contest window + re-check deadline = ${c.unbonding - 1}, so a provider failed in epoch e is still bonded when its slash executes |

### Caveats

Covered by the numbers above: the adversary's grinding of the committee's seed
(capture × ${sci(c.biasThird)}), the withholding quarter's grinding of it (blocking × ${sci(c.biasQuarter)}: m = ${c.m},
q = ${c.q} instead of ${c.withoutBlockingBias.m}, ${c.withoutBlockingBias.q}), and grinding of the seeds before the
lookahead window (× ${sci(c.biasThird)}: A = ${a} instead of ${c.delayDealt}). Not covered:

- The committee and the lookahead are sized against separate budgets: a
  period whose seed is ground (${sci(c.capture3Biased)}) and an epoch whose seed was
  seen before its snapshot closed (${sci(c.lookahead)}) together ${c.budgetExceeded ? "exceed" : "stay within"} 10^-9
  (${sci(c.budgetSum)}).
- A lookahead is self-sustaining: seeing seed(e) while snapshot(e) is open,
  the adversary can arrange to hold proposer(e) and so see seed(e + 1) in time
  as well. The per-epoch bound is the rate of a permanent takeover, not the
  share of epochs affected: over a year of ${mins} epochs it sums to ${sci(c.takeoverPerYear)}.
- Re-check committees are drawn per contested slash from the seed of the
  contest epoch + 2, with the same m and q. A contester that can evaluate
  those seeds for each of the ${w.contestWindowEpochs} epochs of the contest window (it can when it
  holds the seed proposers in between) and contests in the best one captures
  its re-check committee with probability up to ${sci(c.recheckCapture)} per contested slash,
  above 10^-9: m = ${c.m} does not cover it.
- The seed bounds count a seed revealed by an honest proposer as
  unpredictable. During an outage in which honest reveals do not land (honest
  nodes down, or their transactions not included within the one-epoch reveal
  window), seeds are fallbacks or the adversary's choices, all computable in
  advance: an outage the adversary can expect to last A − 1 = ${a - 1} epochs
  (${duration(a - 1, c.epochSeconds)}) gives it the lookahead, and shorter ones raise the lookahead
  bound; the seed of a committee drawn during or right after one is ground
  over more candidates than \`1/(1 − 2f)\`.
${renderRecheckSection(c.recheck, sci)}`;
}

/** `doc` with its generated section replaced by `section`. */
export function replaceSection(doc: string, section: string): string {
  const begin = doc.indexOf(BEGIN_MARKER);
  const end = doc.indexOf(END_MARKER);
  if (begin < 0 || end < begin) {
    throw new Error(`docs/PARAMETERS.md lacks the ${BEGIN_MARKER} … ${END_MARKER} markers`);
  }
  return `${doc.slice(0, begin + BEGIN_MARKER.length)}\n${section}${doc.slice(end)}`;
}

export interface DocCheck {
  upToDate: boolean;
  /** The document as `npm run params` would write it. */
  expected: string;
  actual: string;
  designProblems: string[];
}

/** Compares docs/PARAMETERS.md with what the script would write. Reads, never writes. */
export function checkParamsDoc(path: string = DOC_PATH, c: ComputedParams = computeParams()): DocCheck {
  const actual = readFileSync(path, "utf8");
  const expected = replaceSection(actual, renderParamsSection(c));
  return { upToDate: expected === actual, expected, actual, designProblems: designProblems(c) };
}

function summary(c: ComputedParams): string {
  const g = c.grinding;
  const rows: [string, string][] = [
    [
      "minimal report committee (m, q)",
      `${c.minimal.m}, ${c.minimal.q} (bps ${c.minimal.quorumBps.min}-${c.minimal.quorumBps.max})`,
    ],
    ["chosen (m, q)", `${c.m}, ${c.q} (bps ${DESIGN.reportQuorumBps})`],
    ["capture f=1/3 / with bias x3", `${sci(c.capture3)} / ${sci(c.capture3Biased)}`],
    ["capture f=1/4 / with bias x2", `${sci(c.capture4)} / ${sci(c.capture4Biased)}`],
    ["blocking g=1/4 / g=1/3", `${sci(c.block4)} / ${sci(c.block3)}`],
    ["blocking g=1/4 with bias x2", sci(c.block4Biased)],
    ["minimal (m, q) without bias on blocking", `${c.withoutBlockingBias.m}, ${c.withoutBlockingBias.q}`],
    [
      `epochs between captures (K=${c.period})`,
      `${sci(c.epochsBetweenCaptures)} (${sci(c.yearsBetweenCaptures)} years)`,
    ],
    [
      "activation delay A (start seed ground, x3)",
      `${c.delay} (${duration(c.delay, c.epochSeconds)}), lookahead ${sci(c.lookahead)}, at A-1 ${sci(c.lookaheadBefore)}`,
    ],
    ["A if the start seed were dealt", `${c.delayDealt}, lookahead at A ${sci(c.lookaheadDealt)}`],
    ["minimal unbondingEpochs", String(c.unbonding)],
    [
      "re-check minEpochFailures (minimal), false uphold",
      `${c.recheck.chosen} (${c.recheck.minimal}), ${sci(c.recheck.chosenFalseUphold)}`,
    ],
    [
      "MC mean evaluable tree / candidates",
      `${g.meanEvaluableTree.toFixed(3)} / ${g.meanCandidates.toFixed(3)}`,
    ],
    [
      "MC multiplier (exact optimum, p->0)",
      `${g.multiplier.toFixed(3)} ± ${g.multiplierStandardError.toFixed(3)} (${g.exactMultiplier.toFixed(3)}, ${c.limitMultiplier.toFixed(3)})`,
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n");
}

function main(): void {
  const { values } = parseArgs({ options: { check: { type: "boolean", default: false } } });
  const c = computeParams();
  console.log(summary(c));
  console.log();
  const problems = designProblems(c);
  for (const p of problems) console.error(`params.ts: ${p}`);
  const check = checkParamsDoc(DOC_PATH, c);
  if (values.check) {
    console.log(
      check.upToDate ? "docs/PARAMETERS.md is up to date" : "docs/PARAMETERS.md is stale: run npm run params",
    );
    process.exitCode = check.upToDate && problems.length === 0 ? 0 : 1;
    return;
  }
  if (!check.upToDate) writeFileSync(DOC_PATH, check.expected);
  console.log(check.upToDate ? "docs/PARAMETERS.md is up to date" : "docs/PARAMETERS.md rewritten");
  process.exitCode = problems.length === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
