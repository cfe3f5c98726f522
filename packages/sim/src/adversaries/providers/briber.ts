import type { BribeOffer, ProviderAdversary } from "../types.ts";

/**
 * `bribe: { fraction, tokensPerCheckerEpoch, budgetPerEpoch? }`: buys "pass"
 * attestations from bribable checkers. Under public sortition the bribe is
 * paid per committee seat (see the bribable checker), until the epoch's
 * budget is spent; under private sortition the briber cannot know the
 * committee and pays `fraction` of all bribable checkers up front, a fraction
 * the budget caps at budget / (price × bribable checkers).
 */
export const briber: ProviderAdversary = {
  name: "bribe",
  create(strategy, setup) {
    const bribe = strategy.bribe;
    if (!bribe) return undefined;
    const budget = bribe.budgetPerEpoch ?? Number.POSITIVE_INFINITY;
    let fraction = bribe.fraction;
    if (Number.isFinite(budget) && setup.scenario.sampling.sortition === "private") {
      const bribable = setup.scenario.checkerGroups
        .filter((g) => g.strategy.bribable === true)
        .reduce((a, g) => a + g.count, 0);
      const full = bribable * bribe.tokensPerCheckerEpoch;
      if (full > budget) fraction = Math.min(fraction, budget / full);
    }
    const offer: BribeOffer = {
      fraction,
      tokensPerCheckerEpoch: bribe.tokensPerCheckerEpoch,
      budgetPerEpoch: budget,
    };
    if (setup.scenario.sampling.sortition !== "private") return { bribeOffer: offer };
    return {
      bribeOffer: offer,
      afterAttest(p, actor, books, checkers) {
        if (offer.fraction <= 0) return;
        checkers.forEach((group, cg) => {
          const paid = group.bribableMembers * offer.fraction * offer.tokensPerCheckerEpoch;
          if (paid === 0) return;
          books.providerBribesPaid[p]! += paid;
          books.actorProfit[actor]! -= paid;
          books.actorProfit[group.actor]! += paid;
          books.groupBribesReceived[cg] = (books.groupBribesReceived[cg] ?? 0) + paid;
        });
      },
    };
  },
};
