import { CheckResult } from "../../protocol.ts";
import type { CheckerAdversary } from "../types.ts";

/**
 * `lie: { say, targets }`: colluders attest `say` about every provider of the
 * target groups, whatever the challenge would show (a Sybil is a liar group
 * whose members share one /24).
 */
export const liar: CheckerAdversary = {
  name: "lie",
  create(strategy, setup) {
    const lie = strategy.lie;
    if (!lie) return undefined;
    const say = lie.say === "fail" ? CheckResult.FAIL : CheckResult.PASS;
    const targets = new Set(lie.targets.map((name) => setup.providerGroupIndex(name)));
    return { claim: (seat) => (targets.has(seat.providerGroup) ? say : undefined) };
  },
};
