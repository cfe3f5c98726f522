import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  fraction,
  fractionToNumber,
  seedBiasFactor,
  simulateSeedGrinding,
} from "@checkernet/protocol/security";

/**
 * The seed proposer's reveal-or-withhold bias, measured. An adversary holding a
 * fraction f of the licenses grinds every seed proposer it holds (reveal or
 * withhold, after evaluating what each choice leads to) to make a target event
 * happen on one epoch's seed — "its coalition captures the committee drawn from
 * it", say. The protocol's bound on the resulting multiplier of the event's
 * probability is 1/(1 − 2f) (docs/protocol/threat-model.md); this runs the
 * optimal strategy over random proposer chains (`simulateSeedGrinding`) and
 * prints the measured multiplier next to the bound and the exact optimum.
 */
export interface SeedBiasOptions {
  /** Adversarial fractions to measure. */
  fractions: readonly number[];
  /** Probability of the target event on one seed. Small, as a capture is. */
  eventProbability: number;
  /** Epochs of grinding before the target epoch. */
  horizon: number;
  /** Trials per fraction. */
  trials: number;
  /** PRNG seed: the same options give the same table. */
  seed: number;
}

export interface SeedBiasRow {
  adversary: number;
  /** 1/(1 − 2f): the bound the committee sizes absorb. */
  bound: number;
  /** Measured success rate / event probability. */
  measured: number;
  /** One standard error of `measured`. */
  standardError: number;
  /** The optimal strategy's exact multiplier. */
  exact: number;
  /** Mean number of target-epoch seeds the adversary could choose among. */
  meanCandidates: number;
}

export const DEFAULT_SEED_BIAS: SeedBiasOptions = {
  fractions: [0.1, 0.2, 0.25, 1 / 3, 0.4],
  eventProbability: 0.01,
  horizon: 40,
  trials: 50_000,
  seed: 1,
};

export function measureSeedBias(options: SeedBiasOptions = DEFAULT_SEED_BIAS): SeedBiasRow[] {
  return options.fractions.map((f, i) => {
    if (!(f > 0 && f < 0.5)) throw new RangeError(`adversary fraction must be in (0, 1/2), got ${f}`);
    const r = simulateSeedGrinding({
      adversary: f,
      eventProbability: options.eventProbability,
      horizon: options.horizon,
      trials: options.trials,
      seed: options.seed + i,
    });
    // The bound, computed exactly at the fraction's nearest 1/10^6.
    const bound = fractionToNumber(seedBiasFactor(fraction(BigInt(Math.round(f * 1e6)), 1_000_000n)));
    return {
      adversary: f,
      bound,
      measured: r.multiplier,
      standardError: r.multiplierStandardError,
      exact: r.exactMultiplier,
      meanCandidates: r.meanCandidates,
    };
  });
}

export function seedBiasText(rows: readonly SeedBiasRow[], options: SeedBiasOptions): string {
  const lines = [
    `Seed grinding by reveal/withhold (event p = ${options.eventProbability}, ${options.horizon} epochs, ` +
      `${options.trials} trials each, seed ${options.seed})`,
    "",
    "adversary  bound 1/(1-2f)  measured ± 1 s.e.   exact optimum  candidates",
  ];
  for (const r of rows) {
    lines.push(
      [
        r.adversary.toFixed(3).padStart(9),
        r.bound.toFixed(3).padStart(15),
        `${r.measured.toFixed(3)} ± ${r.standardError.toFixed(3)}`.padStart(18),
        r.exact.toFixed(3).padStart(14),
        r.meanCandidates.toFixed(3).padStart(11),
      ].join("  "),
    );
  }
  const worst = rows.reduce(
    (w, r) => Math.max(w, r.measured - 3 * r.standardError - r.bound),
    Number.NEGATIVE_INFINITY,
  );
  lines.push(
    "",
    worst <= 0
      ? "Every measured multiplier is within the bound (to 3 standard errors)."
      : "A measured multiplier EXCEEDS the bound by more than 3 standard errors.",
  );
  return lines.join("\n");
}

export async function writeSeedBias(rows: readonly SeedBiasRow[], options: SeedBiasOptions, dir: string) {
  await mkdir(dir, { recursive: true });
  const file = join(dir, "seed-bias.json");
  await writeFile(file, `${JSON.stringify({ options, rows }, null, 2)}\n`);
  return file;
}
