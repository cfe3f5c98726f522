import { equilibriumChart, renderSvg } from "./output/charts.ts";
import { stableJson, textTable, toCsv, writeFiles } from "./output/files.ts";
import { htmlPage } from "./output/html.ts";
import { weiToTokens } from "./protocol.ts";
import { runScenario } from "./run.ts";
import { loadScenario } from "./scenario/load.ts";
import { readPath } from "./summary.ts";

/**
 * Proof-of-Sampling's condition for honesty as an equilibrium (Zhang et al.,
 * "Proof of Sampling: A Nash Equilibrium-Based Verification Protocol for
 * Decentralized Systems", 2024; the same inequality underlies optimistic
 * verification games generally): a provider that skips work saving C per
 * epoch is caught with probability p, and then loses its stake slash S and
 * the epoch's reward R. Cheating does not pay when
 *
 *     p · (S + R) ≥ C,        i.e.  p ≥ p* = C / (S + R).
 *
 * Here p = s · q: the sampling rate s times q, the chance that a sampled
 * cheater's committee reaches a FAIL verdict, which the protocol's rules give
 * in closed form: a cheater fails every workload challenge, so the verdict is
 * FAIL exactly when at least minAttestations distinct checkers' attestations
 * arrive. With one license per checker, seated checkers ~ Binomial(N, k/N)
 * and each attestation survives gossip with probability 1 - g:
 *
 *     q = P(Binomial(N, (k/N)(1 - g)) ≥ minAttestations).
 *
 * The analytic crossover is s* = C / (q (S + R)). The simulation measures
 * profit(cheater) - profit(honest) per provider-epoch across sampling rates
 * and interpolates where it crosses zero.
 */

interface EquilibriumRow {
  rate: number;
  gainSimulated: number;
  gainAnalytic: number;
  detectionSimulated: number;
  detectionAnalytic: number;
}

export interface EquilibriumResult {
  scenario: string;
  /** Cost of honest work saved per cheated epoch, slash, reward per epoch (tokens), q. */
  C: number;
  S: number;
  R: number;
  q: number;
  analyticCrossover: number;
  simulatedCrossover: number | null;
  relativeError: number | null;
  rows: EquilibriumRow[];
}

/** P(Binomial(n, p) >= m). */
export function binomialTail(n: number, p: number, m: number): number {
  let pmf = (1 - p) ** n;
  let below = 0;
  for (let j = 0; j < m; j++) {
    below += pmf;
    pmf *= ((n - j) / (j + 1)) * (p / (1 - p));
  }
  return Math.max(0, 1 - below);
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

const DEFAULT_RATES = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4];

export async function runEquilibrium(
  opts: {
    scenario?: string;
    rates?: number[];
    overrides?: Record<string, unknown>;
    onProgress?: (done: number, total: number) => void;
  } = {},
): Promise<EquilibriumResult> {
  const file = opts.scenario ?? "equilibrium";
  const rates = opts.rates ?? DEFAULT_RATES;
  const rows: EquilibriumRow[] = [];
  let analytic = { C: 0, S: 0, R: 0, q: 0 };
  let name = file;
  for (const [i, rate] of rates.entries()) {
    const scenario = loadScenario(file, { ...(opts.overrides ?? {}), "sampling.rate": rate });
    name = scenario.name;
    const { sim, result } = await runScenario(scenario);
    const p = sim.params;
    const cheater = scenario.providerGroups.find((g) => g.strategy.cheatRate === 1);
    if (!cheater)
      throw new Error(`${file}: the equilibrium scenario needs a provider group with cheatRate: 1`);
    const n = scenario.checkers.count;
    const k = p.committeeSize;
    const q = binomialTail(
      n,
      Math.min(1, (k / sim.world.checkers.totalLicenses) * (1 - scenario.network.gossipLoss)),
      p.minAttestations,
    );
    const C = scenario.economics.providerWorkCost;
    const S = cheater.stakeTokens * (p.slashBps / 10_000);
    const R = (weiToTokens(p.epochRewardPool) * (p.providerShareBps / 10_000)) / scenario.providers.count;
    analytic = { C, S, R, q };
    const sim0 = readPath(result.summary, `providers.${cheater.name}.settledProfitPerMemberEpoch`);
    const sim1 = readPath(result.summary, "providers.honest.settledProfitPerMemberEpoch");
    rows.push({
      rate,
      gainSimulated: sim0 - sim1,
      gainAnalytic: C - rate * q * (S + R),
      detectionSimulated: readPath(result.summary, `providers.${cheater.name}.detectionRate`),
      detectionAnalytic: rate * q,
    });
    opts.onProgress?.(i + 1, rates.length);
  }
  const { C, S, R, q } = analytic;
  const analyticCrossover = C / (q * (S + R));
  const simulatedCrossover = zeroCrossing(
    rows.map((r) => r.rate),
    rows.map((r) => r.gainSimulated),
  );
  return {
    scenario: name,
    C,
    S,
    R,
    q,
    analyticCrossover,
    simulatedCrossover,
    relativeError:
      simulatedCrossover === null
        ? null
        : Math.abs(simulatedCrossover - analyticCrossover) / analyticCrossover,
    rows,
  };
}

export function equilibriumText(r: EquilibriumResult): string {
  return [
    `C = ${r.C} tokens saved per cheated epoch, S = ${r.S} tokens slashed, R = ${r.R.toFixed(3)} tokens reward/epoch, q = ${r.q.toFixed(4)}`,
    `analytic crossover  s* = C / (q (S + R)) = ${r.analyticCrossover.toFixed(4)}`,
    `simulated crossover s* = ${r.simulatedCrossover === null ? "none in range" : r.simulatedCrossover.toFixed(4)}${r.relativeError === null ? "" : ` (${(r.relativeError * 100).toFixed(1)}% from analytic)`}`,
    "",
    textTable(
      ["sampling rate", "gain simulated", "gain analytic", "detection simulated", "detection analytic"],
      r.rows.map((x) => [x.rate, x.gainSimulated, x.gainAnalytic, x.detectionSimulated, x.detectionAnalytic]),
    ),
  ].join("\n");
}

function equilibriumSpec(r: EquilibriumResult) {
  return equilibriumChart({
    rows: r.rows.flatMap((x) => [
      { x: x.rate, series: "simulated", gain: x.gainSimulated },
      { x: x.rate, series: "analytic C − s·q·(S+R)", gain: x.gainAnalytic },
    ]),
    xTitle: "sampling rate s",
    analyticCrossover: r.analyticCrossover,
    simulatedCrossover: r.simulatedCrossover,
  });
}

export async function writeEquilibriumOutputs(r: EquilibriumResult, dir: string): Promise<string[]> {
  const svg = await renderSvg(equilibriumSpec(r));
  return writeFiles(dir, {
    "equilibrium.json": stableJson(r),
    "equilibrium.csv": toCsv(r.rows as unknown as Record<string, unknown>[]),
    "equilibrium.svg": svg,
    "index.html": htmlPage(
      "Honesty as an equilibrium: simulated vs analytic crossover",
      equilibriumText(r).split("\n").slice(0, 3).join(" · "),
      [
        { heading: "Cheating gain vs sampling rate", svg },
        {
          heading: "Table",
          table: {
            headers: [
              "sampling rate",
              "gain simulated",
              "gain analytic",
              "detection simulated",
              "detection analytic",
            ],
            rows: r.rows.map((x) => [
              x.rate,
              x.gainSimulated,
              x.gainAnalytic,
              x.detectionSimulated,
              x.detectionAnalytic,
            ]),
          },
        },
      ],
    ),
  });
}
