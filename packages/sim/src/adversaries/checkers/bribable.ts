import { CheckResult } from "../../protocol.ts";
import type { CheckerAdversary, SeatView } from "../types.ts";

/**
 * `bribable: true`: attests "pass" about a provider whose bribe reaches it.
 * Under public sortition the briber knows the committee and pays exactly its
 * members, seat by seat; under private sortition it pays a fixed share of all
 * bribable checkers up front (see the briber), and a checker is in that share
 * by a fixed hash of (epoch, provider, checker).
 */
export const bribable: CheckerAdversary = {
  name: "bribable",
  create(strategy, setup) {
    if (strategy.bribable !== true) return undefined;
    const publicSortition = setup.scenario.sampling.sortition === "public";
    // Under public sortition, what each provider has spent on seats this epoch (its budget stops the buying).
    const providers = setup.world.providers.count;
    const spent = new Float64Array(providers);
    const spentEpoch = new Int32Array(providers).fill(-1);
    return {
      bribable: true,
      claim(seat: SeatView) {
        const offer = seat.offer;
        if (offer === undefined || offer.fraction <= 0) return undefined;
        if (!publicSortition && bribeDraw(seat.epoch, seat.provider, seat.checker) >= offer.fraction)
          return undefined;
        if (publicSortition) {
          const { books, checker, provider } = seat;
          if (offer.budgetPerEpoch !== Number.POSITIVE_INFINITY) {
            if (spentEpoch[provider] !== seat.epoch) {
              spentEpoch[provider] = seat.epoch;
              spent[provider] = 0;
            }
            if ((spent[provider] as number) + offer.tokensPerCheckerEpoch > offer.budgetPerEpoch)
              return undefined;
            spent[provider]! += offer.tokensPerCheckerEpoch;
          }
          books.checkerBribes[checker]! += offer.tokensPerCheckerEpoch;
          books.actorProfit[seat.checkerActor]! += offer.tokensPerCheckerEpoch;
          books.providerBribesPaid[provider]! += offer.tokensPerCheckerEpoch;
          books.actorProfit[seat.providerActor]! -= offer.tokensPerCheckerEpoch;
        }
        return CheckResult.PASS;
      },
    };
  },
};

/** Whether checker c is in provider p's bribed set in epoch e: a fixed hash, so the set is the same for everyone. */
function bribeDraw(e: number, p: number, c: number): number {
  let h =
    Math.imul(e ^ 0x27d4eb2d, 0x9e3779b1) ^ Math.imul(p ^ 0x165667b1, 0x85ebca77) ^ Math.imul(c, 0xc2b2ae3d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39);
  h ^= h >>> 15;
  return (h >>> 0) / 4294967296;
}
