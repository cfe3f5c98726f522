/**
 * The re-check verdict section of `npm run params` (docs/PARAMETERS.md, "Re-check verdict"): the per-window-
 * epoch threshold `minEpochFailures` computed from the threat model before it is chosen, its false-uphold
 * bound for an honest provider, what it catches, and the leader-omission bound of a rule that divides by the
 * seats counted (packages/protocol/src/recheckSecurity.ts).
 */
import { DEFAULT_PARAMS } from "../packages/protocol/src/params.ts";
import { DEFAULT_RECHECK_RULES } from "../packages/protocol/src/recheck.ts";
import {
  countedRuleOmissionUphold,
  type EpochRuleModel,
  epochRuleCatch,
  epochRuleFalseUphold,
  failingSeatInEpoch,
  minimalEpochFailures,
} from "../packages/protocol/src/recheckSecurity.ts";
import {
  binomialTail,
  type Fraction,
  fraction,
  fractionToNumber,
  multiplyFractions,
  quorumFromBps,
  seedBiasFactor,
  THREAT_MODEL,
} from "../packages/protocol/src/security.ts";

/** The honest members' failure rate the default is sized for: above the 1.2 % measured per run (bench:deadlines). */
export const RECHECK_NOISE: Fraction = fraction(2n, 100n);
const NOISE_ROWS = [fraction(0n), fraction(1n, 100n), RECHECK_NOISE, fraction(5n, 100n)];
const SHIELD_ROWS = [fraction(0n), fraction(1n, 10n), fraction(1n, 3n)];

export function computeRecheckParams() {
  const seats = DEFAULT_PARAMS.reportCommitteeSize;
  const window = DEFAULT_PARAMS.recheckWindowEpochs;
  const bias = seedBiasFactor(THREAT_MODEL.adversary);
  const model = (noise: Fraction): EpochRuleModel => ({
    seats,
    window,
    adversary: THREAT_MODEL.adversary,
    noise,
    bias,
  });
  const chosen = DEFAULT_RECHECK_RULES.minEpochFailures ?? 0;
  const minimal = minimalEpochFailures(model(RECHECK_NOISE), THREAT_MODEL.capture);
  const failingSeat = (noise: Fraction) => {
    const f = THREAT_MODEL.adversary;
    return fraction(f.num * noise.den + (f.den - f.num) * noise.num, f.den * noise.den);
  };
  const bps = DEFAULT_RECHECK_RULES.failureQuorumBps;
  /** Failing seats the two-thirds rule needs over the whole committee. */
  const seatsToUphold = Math.floor((bps * seats) / 10_000) + 1;
  const omission = countedRuleOmissionUphold(
    seats,
    quorumFromBps(seats, DEFAULT_PARAMS.reportQuorumBps),
    bps,
    THREAT_MODEL.adversary,
  );
  return {
    seats,
    window,
    bias,
    chosen,
    minimal,
    quorum: quorumFromBps(seats, DEFAULT_PARAMS.reportQuorumBps),
    seatsToUphold,
    totalFalseUphold: multiplyFractions(bias, binomialTail(seats, failingSeat(RECHECK_NOISE), seatsToUphold)),
    chosenFalseUphold: epochRuleFalseUphold(model(RECHECK_NOISE), chosen),
    omission,
    omissionBiased: multiplyFractions(bias, omission.probability),
    rows: NOISE_ROWS.map((noise) => {
      const c = minimalEpochFailures(model(noise), THREAT_MODEL.capture) ?? seats + 1;
      return {
        noise,
        perEpoch: failingSeatInEpoch(model(noise)),
        c,
        falseUphold: epochRuleFalseUphold(model(noise), c),
        catches: SHIELD_ROWS.map((r) => epochRuleCatch(seats, window, r, c)),
      };
    }),
  };
}
export type RecheckParams = ReturnType<typeof computeRecheckParams>;

/** Reasons DEFAULT_RECHECK_RULES no longer matches the computation; empty when it does. */
export function recheckDesignProblems(r: RecheckParams): string[] {
  const out: string[] = [];
  if (r.minimal !== r.chosen) {
    out.push(
      `minEpochFailures ${r.chosen} is not the minimal ${r.minimal} (recheck.ts DEFAULT_RECHECK_RULES)`,
    );
  }
  if (DEFAULT_RECHECK_RULES.epochWindow !== r.window) {
    out.push(`epochWindow ${DEFAULT_RECHECK_RULES.epochWindow} is not recheckWindowEpochs ${r.window}`);
  }
  return out;
}

export function renderRecheckSection(r: RecheckParams, sci: (x: number | Fraction) => string): string {
  const catch1 = r.rows[2]?.catches[0] ?? fraction(0n);
  const pct = (x: Fraction) => `${Number((fractionToNumber(x) * 100).toPrecision(3))} %`;
  const rows = r.rows.map((row) => {
    const mark = fractionToNumber(row.noise) === fractionToNumber(RECHECK_NOISE) ? " (chosen)" : "";
    return `| ${pct(row.noise)}${mark} | ${sci(row.perEpoch)} | ${row.c} | ${sci(row.falseUphold)} | ${row.catches.map((x) => sci(x)).join(" | ")} |`;
  });
  return `
## Re-check verdict

Computed by \`npm run params\` (scripts/paramsRecheck.ts, packages/protocol/src/recheckSecurity.ts) before
the rule was chosen. A re-check committee has m = ${r.seats} seats; each member tests the provider in one
epoch of a ${r.window}-epoch window drawn from its own BLS signature. A provider that cheats in one epoch
and serves in the others fails about a third of the members, never two thirds, so the two-thirds rule
alone clears it. \`recheckVerdict\` therefore upholds a slash when

- failing seats · 10000 > ${DEFAULT_RECHECK_RULES.failureQuorumBps} · **the committee's ${r.seats} seats** (at least ${r.seatsToUphold} failing
  seats; a seat whose result is missing counts as a pass), or
- at least \`minEpochFailures\` = **${r.chosen}** distinct members whose run epoch is one epoch of the
  window report FAIL or TIMEOUT.

Both conditions count results a leader cannot invent and only lose by leaving one out, so a leader that
drops PASS results can only make an uphold less likely. The per-epoch rule counts members, not seats: an
operator holding many seats tests in one epoch and counts once, so concentrating seats does not help.

**False uphold of an honest provider.** The adversary holds f = 1/3 of the weight and all its members
report FAIL; each honest member fails the honest provider with probability ε (a run that misses a
deadline: 1.2 % measured per run by \`bench:deadlines\`; sized for ε = ${pct(RECHECK_NOISE)}); the adversary grinds the
re-check seed (× ${sci(r.bias)}). With one license per member (the adversary's best layout), the failing
members of one epoch are at most Bin(m, (f + (1 − f)ε) / ${r.window}), and the bound is
${sci(r.bias)} × ${r.window} × P[Bin(m, (f + (1 − f)ε) / ${r.window}) ≥ c]. The smallest c within the threat model's 10^-9, and the
probability that the rule catches a provider cheating in one epoch of the window when each seat is a
distinct member and a share r of the weight colludes with it (reports PASS): P[Bin(m, (1 − r) / ${r.window}) ≥ c].

| ε | P[a seat fails in epoch e] | smallest c | false uphold at c | catch, r = 0 | r = 0.1 | r = 1/3 |
| --- | --- | --- | --- | --- | --- | --- |
${rows.join("\n")}

- Chosen: c = ${r.chosen}: false uphold ≤ ${sci(r.chosenFalseUphold)} per contested slash from the per-epoch rule, and
  ${sci(r.totalFalseUphold)} from the two-thirds rule over the committee (P[Bin(m, f + (1 − f)ε) ≥ ${r.seatsToUphold}] × ${sci(r.bias)}).
- A provider honest in 2 of 3 window epochs is now caught with probability about ${sci(catch1)} (it was
  never caught); honest in 1 of 3, about ${sci(1 - (1 - fractionToNumber(catch1)) ** 2)} from the per-epoch rule alone (either cheated epoch
  can trigger it; the two-thirds rule adds to it). The simulator measures both (\`recheck-timing-*\`
  attacks, docs/simulator.md).
- A colluding third shields a cheater from the per-epoch rule as it does from the two-thirds rule.
- **Leader omission (closed).** Dividing by the seats *counted* (the rule before) let an adversarial
  leader keep its own FAILs and only the ${r.quorum} co-signing seats' PASSes: ${r.omission.seatsNeeded} of ${r.seats} seats then uphold,
  P[Bin(${r.seats}, 1/3) ≥ ${r.omission.seatsNeeded}] = ${sci(r.omission.probability)} per contested slash (× ${sci(r.bias)} with the seed bias:
  ${sci(r.omissionBiased)}).
- Not covered: honest members whose failures are correlated (one large honest operator's run counts all
  its seats in the two-thirds rule); run epochs must be verified from each member's time signature
  (\`recheckRunEpoch\`) before they are passed to \`recheckVerdict\`.
`;
}
