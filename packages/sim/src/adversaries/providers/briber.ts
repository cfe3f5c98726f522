import type { BribeOffer, ProviderAdversary } from "../types.ts";

/**
 * `bribe: { fraction, tokensPerCheckerEpoch }`: buys "pass" attestations from
 * bribable checkers. Under public sortition the bribe is paid per committee
 * seat (see the bribable checker); under private sortition the briber cannot
 * know the committee and pays `fraction` of all bribable checkers up front.
 */
export const briber: ProviderAdversary = {
  name: "bribe",
  create(strategy, setup) {
    const bribe = strategy.bribe;
    if (!bribe) return undefined;
    const offer: BribeOffer = {
      fraction: bribe.fraction,
      tokensPerCheckerEpoch: bribe.tokensPerCheckerEpoch,
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
