import { rowCatchProbability, samplingShape } from "./engine/fraud.ts";
import type { Simulation } from "./engine.ts";
import { equilibriumChart, renderSvg } from "./output/charts.ts";
import { formatBounds, stableJson, textTable, toCsv, writeFiles } from "./output/files.ts";
import { htmlPage } from "./output/html.ts";
import { weiToTokens } from "./protocol.ts";
import { runReplicates } from "./replicates.ts";
import type { RunResult } from "./report.ts";
import { loadScenario } from "./scenario/load.ts";
import { type ProviderGroup, type Scenario, ScenarioError } from "./scenario/schema.ts";
import { tInterval } from "./stats.ts";
import { readInterval, readPath, type Summary } from "./summary.ts";

/**
 * Proof-of-Sampling's condition for honesty as an equilibrium (Zhang et al.,
 * "Proof of Sampling: A Nash Equilibrium-Based Verification Protocol for
 * Decentralized Systems", 2024; the same inequality underlies optimistic
 * verification games generally): a provider that skips work saving C per
 * epoch loses, when it is sampled, its voted slash S and the epoch's reward R
 * with probability qV (a FAIL verdict), and a fraud slash Sf with probability
 * qF (one honest checker's proof). Cheating does not pay at sampling rate s when
 *
 *     s · (qV (S + R) + qF Sf) ≥ C,   i.e.   s ≥ s* = C / (qV (S + R) + qF Sf).
 *
 * Both q come from the protocol's rules over the committee distribution (one
 * license per checker: a checker is seated with probability 1 − (1 − k/L)^l and
 * holds one seat): honest members run the challenge, shielders (`lie: pass` on
 * the cheater's group, `lazy: pass`) attest PASS; an attestation reaches the
 * aggregator with probability 1 − g; a run is lost (TIMEOUT, failing) with
 * probability ℓ/2. In a matmul epoch (share m) an honest run opens a wrong row
 * with probability c = 1 − (1 − f)^rows (f = 1 for a diverted GPU); VRAM walks
 * fail only for a diverted GPU. qV is P(≥ minAttestations attest, failing
 * weight above failureQuorumBps of the weight); qF = m (1 − Π (1 − π_h (1 − ℓ/2) c))
 * over the honest checkers h, and 0 without fraud proofs.
 *
 * `runEquilibrium` runs the scenario once with fraud proofs and once without
 * (common seeds), measures profit(cheater) − profit(honest) per provider-epoch
 * across sampling rates and interpolates where it crosses zero. With
 * `replicates` N ≥ 2 every rate runs N replicates (runReplicates' seeds,
 * the same at every rate) and the simulated numbers get 95 % intervals.
 */

interface EquilibriumRow {
  rate: number;
  gainSimulated: number;
  gainAnalytic: number;
  /** Share of the cheater's epochs with a FAIL verdict (detectionRate), and s · qV. */
  voteFailSimulated: number;
  voteFailAnalytic: number;
  /** Share of the cheater's epochs with a fraud slash, and s · qF. */
  fraudSlashSimulated: number;
  fraudSlashAnalytic: number;
  /**
   * With replicates: 95 % bounds of the simulated numbers. The gain's is a t
   * interval of the per-replicate differences (paired: both groups share a
   * replicate's draws), the two rates' are Wilson's on the pooled epochs.
   */
  gainSimulatedLo?: number;
  gainSimulatedHi?: number;
  voteFailSimulatedLo?: number;
  voteFailSimulatedHi?: number;
  fraudSlashSimulatedLo?: number;
  fraudSlashSimulatedHi?: number;
}

/** One run of the sweep: with or without fraud proofs. */
export interface EquilibriumArm {
  fraudProofs: boolean;
  /** Per sampled epoch: chance of a FAIL verdict, of a fraud slash. */
  qVote: number;
  qFraud: number;
  /** Voted slash and fraud slash (tokens, at the initial stake). */
  S: number;
  Sf: number;
  /** C / (qV (S + R) + qF Sf); above 1, no sampling rate deters the cheater. */
  analyticCrossover: number;
  /**
   * Proof-of-Sampling's form with the colluding share r (the shielders' licenses): s* = C / ((1 − r)(R + S)),
   * one verifier per sampled epoch that catches the cheater unless it colludes. It equals the exact s* when
   * qV = 1 − r and there are no fraud proofs; the committee's vote (minAttestations, more than
   * failureQuorumBps of the seats failing) makes qV differ from 1 − r, and a fraud proof adds qF Sf.
   */
  posCrossover: number;
  simulatedCrossover: number | null;
  /**
   * With replicates: where the gain's upper and lower 95 % bounds cross zero,
   * a band-inversion interval of the simulated s* (null where a bound does not
   * cross inside the rates), and whether the analytic s* lies inside it.
   */
  simulatedCrossoverLo?: number | null;
  simulatedCrossoverHi?: number | null;
  analyticInsideInterval?: boolean;
  relativeError: number | null;
  rows: EquilibriumRow[];
}

export interface EquilibriumResult {
  scenario: string;
  cheater: string;
  /** Work saved per cheated epoch, reward per epoch (tokens). */
  C: number;
  R: number;
  /** Fraction of rows wrong (1: a diverted GPU) and one honest checker's chance to open a wrong one. */
  wrongRows: number;
  rowCatch: number;
  /** License share of the checkers that attest PASS about the cheater whatever they see. */
  shielderShare: number;
  arms: EquilibriumArm[];
  /** Replicates per sampling rate; absent for one. */
  replicates?: number;
}

/** P(Binomial(n, p) >= m). */
export function binomialTail(n: number, p: number, m: number): number {
  if (m <= 0) return 1;
  if (m > n) return 0;
  if (p >= 1) return 1;
  if (p <= 0) return 0;
  let pmf = (1 - p) ** n;
  let below = 0;
  for (let j = 0; j < m; j++) {
    below += pmf;
    pmf *= ((n - j) / (j + 1)) * (p / (1 - p));
  }
  return Math.max(0, 1 - below);
}

/** Binomial(n, p) probabilities from 0 up to far into the tail (12 standard deviations). */
function binomialPmf(n: number, p: number): number[] {
  if (p <= 0 || n === 0) return [1];
  if (p >= 1) return [...new Array<number>(n).fill(0), 1];
  const top = Math.min(n, Math.ceil(n * p + 12 * Math.sqrt(n * p * (1 - p)) + 12));
  const out: number[] = [];
  let pmf = (1 - p) ** n;
  for (let j = 0; j <= top; j++) {
    out.push(pmf);
    pmf *= ((n - j) / (j + 1)) * (p / (1 - p));
  }
  return out;
}

/** Where a piecewise-linear curve through (x, y) first crosses zero going from positive to non-positive. */
export function zeroCrossing(xs: readonly number[], ys: readonly number[]): number | null {
  for (let i = 1; i < xs.length; i++) {
    const y0 = ys[i - 1] as number;
    const y1 = ys[i] as number;
    if (y0 > 0 && y1 <= 0) {
      const x0 = xs[i - 1] as number;
      const x1 = xs[i] as number;
      return x0 + ((x1 - x0) * y0) / (y0 - y1);
    }
  }
  return null;
}

/** Committee odds of a cheater, from the world's checkers and the scenario. */
interface CheaterOdds {
  wrongRows: number;
  rowCatch: number;
  shielderShare: number;
  qVote: number;
  qFraud: number;
}

/** Shielders attest PASS about the cheater's group whatever they see; every other member runs the challenge. */
function shields(strategy: Scenario["checkerGroups"][number]["strategy"], cheater: string): boolean {
  if (strategy.lazy === "pass") return true;
  return strategy.lie?.say === "pass" && strategy.lie.targets.includes(cheater);
}

/**
 * qV and qF of a sampled cheater (see the module comment): a FAIL verdict
 * needs at least minAttestations delivered attestations with failing weight ·
 * 10000 > failureQuorumBps · weight (computeVerdict's rule, one seat each).
 */
export function cheaterOdds(sim: Simulation, cheater: ProviderGroup, fraudProofs: boolean): CheaterOdds {
  const sc = sim.scenario;
  const p = sim.params;
  const w = sim.world.checkers;
  const perLicense = Math.min(1, p.committeeSize / w.totalLicenses);
  const lost = sc.network.challengeLoss / 2;
  const diverted = (cheater.strategy.cheatRate ?? 0) >= 1;
  const wrongRows = diverted ? 1 : (cheater.strategy.wrongRows ?? 0);
  const rowCatch = rowCatchProbability(wrongRows, samplingShape(p));
  let honest = 0;
  let shielders = 0;
  let seatedHonest = 0;
  let seatedShielders = 0;
  let shielderLicenses = 0;
  let noProof = 1;
  for (let c = 0; c < w.count; c++) {
    const seated = 1 - (1 - perLicense) ** (w.licenses[c] as number);
    const group = w.groups[w.group[c] as number];
    if (group && shields(group.strategy, cheater.name)) {
      shielders++;
      seatedShielders += seated;
      shielderLicenses += w.licenses[c] as number;
    } else {
      honest++;
      seatedHonest += seated;
      noProof *= 1 - seated * (1 - lost) * rowCatch;
    }
  }
  const m = p.matmulShareBps / 10_000;
  const delivered = 1 - sc.network.gossipLoss;
  const hPmf = binomialPmf(honest, honest > 0 ? (seatedHonest / honest) * delivered : 0);
  const xPmf = binomialPmf(shielders, shielders > 0 ? (seatedShielders / shielders) * delivered : 0);
  const voteFail = (failing: number) => {
    let q = 0;
    hPmf.forEach((ph, h) => {
      xPmf.forEach((px, x) => {
        const t = h + x;
        if (t < p.minAttestations || ph * px === 0) return;
        q += ph * px * binomialTail(h, failing, Math.floor((p.failureQuorumBps * t) / 10_000) + 1);
      });
    });
    return q;
  };
  const matmulFailing = lost + (1 - lost) * rowCatch;
  const vramFailing = diverted ? 1 : lost;
  return {
    wrongRows,
    rowCatch,
    shielderShare: shielderLicenses / w.totalLicenses,
    qVote: m * voteFail(matmulFailing) + (1 - m) * voteFail(vramFailing),
    qFraud: fraudProofs ? m * (1 - noProof) : 0,
  };
}

const DEFAULT_RATES = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4];

/** The cheating provider group: `cheatRate: 1` or `wrongRows > 0`. */
function cheaterGroup(scenario: Scenario, file: string): ProviderGroup {
  const g = scenario.providerGroups.find(
    (x) => x.strategy.cheatRate === 1 || (x.strategy.wrongRows ?? 0) > 0,
  );
  if (!g)
    throw new ScenarioError(
      "providerGroups",
      "sim equilibrium needs a provider group with cheatRate: 1 or wrongRows > 0 (the cheater); add one",
      file,
    );
  return g;
}

/** Checks everything a run needs before the first run: one-line errors that say what to fix. */
function validateEquilibrium(
  file: string,
  rates: readonly number[],
  overrides: Record<string, unknown>,
): void {
  if (rates.length === 0)
    throw new ScenarioError("--rates", "give at least one sampling rate, e.g. --rates 0.1,0.2");
  rates.forEach((r, i) => {
    if (!(Number.isFinite(r) && r > 0 && r <= 1))
      throw new ScenarioError(
        "--rates",
        `each rate must be a number in (0, 1], got "${r}" at position ${i + 1}`,
      );
    if (i > 0 && r <= (rates[i - 1] as number))
      throw new ScenarioError(
        "--rates",
        `rates must increase (the threshold is where the gain crosses zero), got ${rates.join(",")}`,
      );
  });
  const scenario = loadScenario(file, overrides);
  const cheater = cheaterGroup(scenario, file);
  const honest = scenario.providerGroups.find((g) => g.name === "honest");
  if (!honest || honest.count === 0)
    throw new ScenarioError(
      "providerGroups",
      `sim equilibrium compares "${cheater.name}" with the default group "honest"; leave some providers ungrouped (fractions below 1)`,
      file,
    );
}

export async function runEquilibrium(
  opts: {
    scenario?: string;
    rates?: number[];
    overrides?: Record<string, unknown>;
    /** Which runs: with fraud proofs (true), without (false); both by default. */
    fraudProofs?: boolean[];
    /** Independent replicates per sampling rate (default 1: no intervals). */
    replicates?: number;
    onProgress?: (done: number, total: number) => void;
  } = {},
): Promise<EquilibriumResult> {
  const replicates = opts.replicates ?? 1;
  const file = opts.scenario ?? "equilibrium";
  const rates = opts.rates ?? DEFAULT_RATES;
  const modes = opts.fraudProofs ?? [true, false];
  validateEquilibrium(file, rates, opts.overrides ?? {});
  const arms: EquilibriumArm[] = [];
  let head = { scenario: file, cheater: "", C: 0, R: 0, wrongRows: 0, rowCatch: 0, shielderShare: 0 };
  let done = 0;
  for (const fraudProofs of modes) {
    const rows: EquilibriumRow[] = [];
    let odds = { qVote: 0, qFraud: 0, S: 0, Sf: 0 };
    for (const rate of rates) {
      const scenario = loadScenario(file, {
        ...(opts.overrides ?? {}),
        "sampling.rate": rate,
        "fraudProofs.enabled": fraudProofs,
      });
      const { sim, result } = await runReplicates(scenario, replicates);
      const p = sim.params;
      const cheater = cheaterGroup(scenario, file);
      const o = cheaterOdds(sim, cheater, fraudProofs);
      // A diverted GPU saves all the work (wrongRows = 1), wrong rows their share of it.
      const C = scenario.economics.providerWorkCost * o.wrongRows;
      const S = cheater.stakeTokens * (p.slashBps / 10_000);
      const Sf = cheater.stakeTokens * ((scenario.fraudProofs.slashBps ?? p.slashBps) / 10_000);
      const R = (weiToTokens(p.epochRewardPool) * (p.providerShareBps / 10_000)) / scenario.providers.count;
      head = { ...head, scenario: scenario.name, cheater: cheater.name, C, R, ...pick(o) };
      odds = { qVote: o.qVote, qFraud: o.qFraud, S, Sf };
      const g = (m: string) => readPath(result.summary, `providers.${cheater.name}.${m}`);
      rows.push({
        rate,
        gainSimulated:
          g("settledProfitPerMemberEpoch") -
          readPath(result.summary, "providers.honest.settledProfitPerMemberEpoch"),
        gainAnalytic: C - rate * (o.qVote * (S + R) + o.qFraud * Sf),
        voteFailSimulated: g("detectionRate"),
        voteFailAnalytic: rate * o.qVote,
        fraudSlashSimulated: g("fraudSlashRate"),
        fraudSlashAnalytic: rate * o.qFraud,
        ...rowBounds(result, cheater.name),
      });
      opts.onProgress?.(++done, rates.length * modes.length);
    }
    const loss = odds.qVote * (odds.S + head.R) + odds.qFraud * odds.Sf;
    const analyticCrossover = loss > 0 ? head.C / loss : Number.POSITIVE_INFINITY;
    const simulatedCrossover = zeroCrossing(
      rows.map((r) => r.rate),
      rows.map((r) => r.gainSimulated),
    );
    arms.push({
      fraudProofs,
      ...odds,
      analyticCrossover,
      posCrossover: head.C / ((1 - head.shielderShare) * (head.R + odds.S)),
      simulatedCrossover,
      ...crossoverBounds(rows, analyticCrossover),
      relativeError:
        simulatedCrossover === null
          ? null
          : Math.abs(simulatedCrossover - analyticCrossover) / analyticCrossover,
      rows,
    });
  }
  return { ...head, arms, ...(replicates > 1 ? { replicates } : {}) };
}

/** The simulated numbers' 95 % bounds of a replicated run (nothing for one run). */
function rowBounds(result: RunResult, cheater: string): Partial<EquilibriumRow> {
  if (!result.intervals || !result.replicates) return {};
  const settled = (s: Summary, group: string) =>
    readPath(s, `providers.${group}.settledProfitPerMemberEpoch`);
  const gain = tInterval(
    result.replicates.map((r) => settled(r.summary, cheater) - settled(r.summary, "honest")),
  );
  const vote = readInterval(result.intervals, `providers.${cheater}.detectionRate`);
  const fraud = readInterval(result.intervals, `providers.${cheater}.fraudSlashRate`);
  return {
    gainSimulatedLo: gain.lo,
    gainSimulatedHi: gain.hi,
    voteFailSimulatedLo: vote.lo,
    voteFailSimulatedHi: vote.hi,
    fraudSlashSimulatedLo: fraud.lo,
    fraudSlashSimulatedHi: fraud.hi,
  };
}

/** The gain falls with the rate: its lower bound crosses zero first, its upper bound last. */
function crossoverBounds(rows: readonly EquilibriumRow[], analytic: number): Partial<EquilibriumArm> {
  if (rows.some((r) => r.gainSimulatedLo === undefined)) return {};
  const rates = rows.map((r) => r.rate);
  const lo = zeroCrossing(
    rates,
    rows.map((r) => r.gainSimulatedLo as number),
  );
  const hi = zeroCrossing(
    rates,
    rows.map((r) => r.gainSimulatedHi as number),
  );
  const first = rates[0] as number;
  const last = rates.at(-1) as number;
  // A bound that does not cross inside the rates lies below the first (the band starts at or under
  // zero) or above the last (the band stays above zero).
  const above = lo === null ? (rows[0]?.gainSimulatedLo as number) <= 0 || analytic >= last : analytic >= lo;
  const below = hi === null ? (rows[0]?.gainSimulatedHi as number) > 0 || analytic <= first : analytic <= hi;
  return { simulatedCrossoverLo: lo, simulatedCrossoverHi: hi, analyticInsideInterval: above && below };
}

function pick(o: CheaterOdds) {
  return { wrongRows: o.wrongRows, rowCatch: o.rowCatch, shielderShare: o.shielderShare };
}

/** A bound of the simulated s*; one that does not cross inside the rates is shown as < first or > last rate. */
function boundText(
  a: EquilibriumArm,
  x: number | null | undefined,
  band: "gainSimulatedLo" | "gainSimulatedHi",
): string {
  if (x !== null && x !== undefined) return x.toFixed(4);
  const first = a.rows[0];
  if (first && (first[band] as number) <= 0) return `< ${first.rate}`;
  return `> ${a.rows.at(-1)?.rate}`;
}

const armName = (a: EquilibriumArm) => (a.fraudProofs ? "with fraud proofs" : "without (vote only)");

function crossoverText(x: number): string {
  if (!Number.isFinite(x)) return "none (never caught)";
  return x > 1 ? `${x.toPrecision(3)} (> 1: cheating pays at any rate)` : x.toFixed(4);
}

/** Why Proof-of-Sampling's one-verifier form and the exact threshold differ, arm by arm, with the numbers. */
function posDifference(r: EquilibriumResult): string[] {
  const oneMinusR = 1 - r.shielderShare;
  return r.arms.map((a) => {
    const ratio = a.analyticCrossover / a.posCrossover;
    const why = a.fraudProofs
      ? `the vote fails the cheater with qV = ${a.qVote.toPrecision(3)} and a fraud proof (one honest member suffices) adds qF Sf = ${(a.qFraud * a.Sf).toPrecision(3)} per sampled epoch`
      : `the vote fails the cheater with qV = ${a.qVote.toPrecision(3)}, not 1 − r = ${oneMinusR.toPrecision(3)}: a FAIL needs at least minAttestations members and more than failureQuorumBps of the seats failing, ${a.qVote < oneMinusR ? "so every committee in which the shielders draw a third of the seats or more shields the cheater" : "which a mostly honest committee clears more often than one verifier is honest"}`;
    return `${armName(a)}: exact / PoS = ${Number.isFinite(ratio) ? ratio.toFixed(3) : "∞"}; ${why}.`;
  });
}

export function equilibriumText(r: EquilibriumResult): string {
  const cols = r.arms.map(armName);
  return [
    `${r.scenario}: cheater group "${r.cheater}", ${r.wrongRows === 1 ? "all rows wrong (GPU diverted)" : `${(r.wrongRows * 100).toFixed(1)}% of rows wrong`}, one checker opens a wrong row with c = ${r.rowCatch.toFixed(4)}; shielders hold ${(r.shielderShare * 100).toFixed(1)}% of the licenses`,
    `C = ${r.C} tokens saved per cheated epoch, R = ${r.R.toFixed(3)} tokens reward/epoch; s* = C / (qV (S + R) + qF Sf)`,
    "",
    textTable(
      ["", ...cols],
      [
        ["S voted slash / Sf fraud slash", ...r.arms.map((a) => `${a.S} / ${a.fraudProofs ? a.Sf : "-"}`)],
        ["qV (FAIL verdict per sampled epoch)", ...r.arms.map((a) => a.qVote.toPrecision(4))],
        ["qF (fraud slash per sampled epoch)", ...r.arms.map((a) => a.qFraud.toPrecision(4))],
        [
          "analytic s* (exact binomial over the verdict rule)",
          ...r.arms.map((a) => crossoverText(a.analyticCrossover)),
        ],
        [
          `PoS form s* = C / ((1 − r)(R + S)), r = ${r.shielderShare.toFixed(3)}`,
          ...r.arms.map((a) => crossoverText(a.posCrossover)),
        ],
        [
          "simulated s*",
          ...r.arms.map((a) =>
            a.simulatedCrossover === null
              ? "none in range"
              : `${a.simulatedCrossover.toFixed(4)}${a.relativeError === null ? "" : ` (${(a.relativeError * 100).toFixed(1)}% off)`}`,
          ),
        ],
        ...(r.replicates
          ? [
              [
                `simulated s* 95 % interval (${r.replicates} replicates)`,
                ...r.arms.map(
                  (a) =>
                    `[${boundText(a, a.simulatedCrossoverLo, "gainSimulatedLo")}, ${boundText(a, a.simulatedCrossoverHi, "gainSimulatedHi")}]${a.analyticInsideInterval ? " holds analytic" : " misses analytic"}`,
                ),
              ],
            ]
          : []),
      ],
    ),
    "",
    "Proof-of-Sampling's form vs the exact threshold:",
    ...posDifference(r),
    "",
    textTable(
      [
        "sampling rate",
        ...r.arms.flatMap((a) => {
          const t = a.fraudProofs ? "fp" : "vote";
          return [`gain ${t} sim`, `gain ${t} analytic`, `FAIL ${t} sim`, `fraud slash ${t} sim`];
        }),
      ],
      (r.arms[0]?.rows ?? []).map((row, i) => [
        row.rate,
        ...r.arms.flatMap((a) => {
          const x = a.rows[i] as EquilibriumRow;
          if (x.gainSimulatedLo === undefined)
            return [x.gainSimulated, x.gainAnalytic, x.voteFailSimulated, x.fraudSlashSimulated];
          return [
            formatBounds(x.gainSimulated, x.gainSimulatedLo, x.gainSimulatedHi as number),
            x.gainAnalytic,
            formatBounds(
              x.voteFailSimulated,
              x.voteFailSimulatedLo as number,
              x.voteFailSimulatedHi as number,
            ),
            formatBounds(
              x.fraudSlashSimulated,
              x.fraudSlashSimulatedLo as number,
              x.fraudSlashSimulatedHi as number,
            ),
          ];
        }),
      ]),
    ),
  ].join("\n");
}

function equilibriumSpec(r: EquilibriumResult) {
  const rules: { x: number; label: string }[] = [];
  for (const a of r.arms) {
    const t = a.fraudProofs ? "fraud proofs" : "vote only";
    if (a.analyticCrossover <= 1)
      rules.push({ x: a.analyticCrossover, label: `analytic s* ${t} = ${a.analyticCrossover.toFixed(3)}` });
    if (a.simulatedCrossover !== null)
      rules.push({
        x: a.simulatedCrossover,
        label: `simulated s* ${t} = ${a.simulatedCrossover.toFixed(3)}`,
      });
  }
  return equilibriumChart({
    rows: r.arms.flatMap((a) =>
      a.rows.flatMap((x) => {
        const t = a.fraudProofs ? "fraud proofs" : "vote only";
        const band =
          x.gainSimulatedLo === undefined ? {} : { lo: x.gainSimulatedLo, hi: x.gainSimulatedHi as number };
        return [
          { x: x.rate, series: `simulated, ${t}`, gain: x.gainSimulated, ...band },
          { x: x.rate, series: `analytic, ${t}`, gain: x.gainAnalytic },
        ];
      }),
    ),
    xTitle: "sampling rate s",
    rules,
  });
}

function csvRows(r: EquilibriumResult): Record<string, unknown>[] {
  return r.arms.flatMap((a) => a.rows.map((x) => ({ fraudProofs: a.fraudProofs, ...x })));
}

export async function writeEquilibriumOutputs(r: EquilibriumResult, dir: string): Promise<string[]> {
  const svg = await renderSvg(equilibriumSpec(r));
  const rows = csvRows(r);
  const headers = Object.keys(rows[0] ?? {});
  return writeFiles(dir, {
    "equilibrium.json": stableJson(r),
    "equilibrium.csv": toCsv(rows),
    "equilibrium.svg": svg,
    "index.html": htmlPage(
      "Honesty as an equilibrium: required sampling rate with and without fraud proofs",
      equilibriumText(r).split("\n").slice(0, 2).join(" · "),
      [
        { heading: "Cheating gain vs sampling rate", svg },
        {
          heading: "Table",
          table: {
            headers,
            rows: rows.map((x) => headers.map((h) => (typeof x[h] === "number" ? x[h] : String(x[h])))),
          },
        },
      ],
    ),
  });
}
