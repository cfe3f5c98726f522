import type { ProtocolParams } from "../../protocol.ts";
import { simulateSeedGrinding, Verdict } from "../../protocol.ts";
import { type AttackModule, committeeVerdict, rate } from "./common.ts";

/**
 * A seed-grinding aggregator and a seed withholder. The coalition holds a
 * fraction `coalition` of the licenses and wants one event on the next seed:
 * its members' FAIL outvotes the honest members of a target provider's
 * committee (probability p per seed, from computeVerdict over the binomial
 * seat counts of one-license checkers).
 *
 * - `vulnerable`: the seed is a hash of the epoch's report (the rule set a
 *   review found in the contracts), so an aggregator of the coalition (it
 *   leads with probability `coalition`) evaluates 2^`grindBits` candidate
 *   seeds, over the subsets of co-signers above quorum and the header fields
 *   it may set, and publishes one with the event if any has it.
 * - `current`: the seed is the proposer's unique BLS signature (revealedSeed);
 *   the only choice is to reveal or withhold (fallbackSeed), one bit per
 *   coalition proposer, compounded over `horizon` epochs: the protocol's own
 *   `simulateSeedGrinding` (what `sim seed-bias` measures), bounded by
 *   1/(1 − 2f) (seedBiasFactor).
 */
export const seedGrinding: AttackModule = {
  name: "seed-grinding",
  summary: "an aggregator grinds the seed over signer subsets and header fields, or a proposer withholds",
  setup: {
    coalition: { default: 0.2, min: 0.001, max: 0.499, what: "the coalition's share of the licenses" },
    licenses: { default: 1000, min: 10, max: 1_000_000, integer: true, what: "licenses, one per checker" },
    grindBits: {
      default: 10,
      min: 0,
      max: 20,
      integer: true,
      what: "bits of freedom a grinding aggregator has over a report-derived seed",
    },
    horizon: { default: 40, min: 1, max: 1000, integer: true, what: "epochs of reveal/withhold grinding" },
  },
  run({ rules, params, setup, trials, rng }) {
    const f = setup.coalition as number;
    const p = captureProbability(f, setup.licenses as number, params);
    let hits = 0;
    let candidates = 1;
    if (rules === "vulnerable") {
      candidates = 2 ** (setup.grindBits as number);
      for (let t = 0; t < trials; t++) {
        const tries = rng.chance(f) ? candidates : 1;
        let hit = false;
        for (let i = 0; i < tries && !hit; i++) hit = rng.chance(p);
        if (hit) hits++;
      }
    } else {
      const r = simulateSeedGrinding({
        adversary: f,
        eventProbability: p,
        horizon: setup.horizon as number,
        trials,
        seed: Math.floor(rng.next() * 2 ** 31),
      });
      hits = Math.round(r.successRate * trials);
    }
    const m = rate(
      "captureRate",
      hits,
      trials,
      "seeds on which the coalition's FAIL slashes the honest target",
    );
    return {
      metrics: [
        m,
        {
          name: "multiplier",
          estimate: m.estimate / p,
          lo: m.lo / p,
          hi: m.hi / p,
          what: `captureRate / p (p = ${p.toExponential(3)}, one honest seed's capture probability)`,
        },
      ],
      assumptions: [
        "one license per checker; seats on one provider's committee ~ Binomial(licenses, committeeSize / total), " +
          "each member one seat; every verdict is computeVerdict's",
        rules === "vulnerable"
          ? `a report-derived seed: the coalition's aggregator evaluates 2^${setup.grindBits} seeds, each an independent draw (the protocol does not derive the seed from the report)`
          : `the coalition holds each seed proposer with probability ${f}; simulateSeedGrinding's optimal reveal/withhold strategy over ${setup.horizon} epochs`,
      ],
      notes: [
        `one honest seed's capture probability p = ${p.toExponential(3)}; bound on the withholder's multiplier 1/(1 − 2f) = ${(1 / (1 - 2 * f)).toFixed(3)}`,
        rules === "vulnerable" ? `grinding aggregator: ${candidates} candidate seeds when it leads` : "",
      ].filter((s) => s !== ""),
    };
  },
};

/** P(the coalition's FAIL wins one committee's verdict), exactly over the seat binomials, each case by computeVerdict. */
function captureProbability(f: number, licenses: number, params: ProtocolParams): number {
  const c = Math.round(f * licenses);
  const h = licenses - c;
  const q = Math.min(1, params.committeeSize / licenses);
  const cPmf = pmf(c, q);
  const hPmf = pmf(h, q);
  let p = 0;
  for (let x = 1; x < cPmf.length; x++) {
    for (let y = 0; y < hPmf.length; y++) {
      const w = (cPmf[x] as number) * (hPmf[y] as number);
      if (w < 1e-18) continue;
      const members = [
        ...Array.from({ length: x }, () => ({ seats: 1, pass: false })),
        ...Array.from({ length: y }, () => ({ seats: 1, pass: true })),
      ];
      if (committeeVerdict(members, params).verdict === Verdict.FAIL) p += w;
    }
  }
  return p;
}

/** Binomial(n, q) probabilities, cut where they fall below 1e-16 past the mean. */
function pmf(n: number, q: number): number[] {
  const out: number[] = [];
  let v = (1 - q) ** n;
  for (let j = 0; j <= n; j++) {
    out.push(v);
    if (j > n * q && v < 1e-16) break;
    v *= ((n - j) / (j + 1)) * (q / (1 - q));
  }
  return out;
}
