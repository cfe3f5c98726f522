import type { Hex } from "viem";
import { Verdict } from "../../protocol.ts";
import {
  type AttackModule,
  committeeSeatsOf,
  committeeVerdict,
  mean,
  randomHex,
  rate,
  VRF_ASSUMPTION,
} from "./common.ts";

/**
 * Bribery with a budget: a cheating provider (every honest run fails it)
 * spends at most `budgetPerEpoch` tokens an epoch, `pricePerChecker` to each
 * bribable checker it pays, for PASS attestations.
 *
 * - `vulnerable` (committees public, the counterfactual of `sampling.sortition:
 *   public`): it sees its committee and pays bribable members, one by one,
 *   until computeVerdict no longer says FAIL or the budget is spent.
 * - `current` (private VRF sortition): it cannot know its committee before the
 *   attestations are out, so it pays min(budget / price, bribable) bribable
 *   checkers up front, and only those that happen to be seated help.
 */
export const budgetBribery: AttackModule = {
  name: "budget-bribery",
  summary: "a cheater bribes checkers for PASS with a budget per epoch",
  setup: {
    checkers: { default: 400, min: 3, max: 100_000, integer: true, what: "checkers, one license each" },
    bribable: { default: 0.5, min: 0, max: 1, what: "share of the checkers that take bribes" },
    budgetPerEpoch: { default: 20, min: 0, max: 1e12, what: "tokens the briber spends at most per epoch" },
    pricePerChecker: { default: 1, min: 1e-9, max: 1e12, what: "tokens a bribable checker takes per epoch" },
  },
  run({ rules, params, setup, trials, rng }) {
    const n = setup.checkers as number;
    const bribable = Math.round((setup.bribable as number) * n);
    const price = setup.pricePerChecker as number;
    const affordable = Math.floor((setup.budgetPerEpoch as number) / price + 1e-9);
    const ones = new Array<number>(n).fill(1);
    let escaped = 0;
    const spent: number[] = [];
    for (let t = 0; t < trials; t++) {
      const vrf: Hex[] = [];
      for (let i = 0; i < n; i++) vrf.push(randomHex(rng, 32));
      const seats = committeeSeatsOf(vrf, ones, n, params.committeeSize);
      const members = seats
        .map((s, i) => ({ seats: s, pass: false, bribable: i < bribable }))
        .filter((m) => m.seats > 0);
      let paid = 0;
      const fails = () => members.length > 0 && committeeVerdict(members, params).verdict === Verdict.FAIL;
      if (rules === "vulnerable") {
        for (const m of members) {
          if (!fails()) break;
          if (!m.bribable || paid >= affordable) continue;
          m.pass = true;
          paid++;
        }
      } else {
        paid = Math.min(affordable, bribable);
        // The paid set is drawn before the committee is: each bribable checker is in it with probability paid / bribable.
        for (const m of members) if (m.bribable && rng.chance(paid / Math.max(1, bribable))) m.pass = true;
      }
      if (!fails()) escaped++;
      spent.push(paid * price);
    }
    return {
      metrics: [
        rate("escapeRate", escaped, trials, "cheating epochs without a FAIL verdict"),
        mean("spentPerEpoch", spent, "tokens the briber paid per epoch"),
      ],
      assumptions: [
        VRF_ASSUMPTION,
        "a paid checker attests PASS whatever it sees; an unpaid one runs the challenge and fails the cheater",
        rules === "vulnerable"
          ? "committees are public before attesting (the counterfactual; the protocol's sortition is private)"
          : "private sortition: the briber learns its committee only from the published attestations",
      ],
      notes: [
        `${bribable} of ${n} checkers bribable at ${price} tokens each; the budget buys ${affordable} per epoch`,
      ],
    };
  },
};
