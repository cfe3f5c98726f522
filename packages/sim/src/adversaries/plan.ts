import type { Scenario } from "../scenario/schema.ts";
import { CHECKER_ADVERSARIES, PROVIDER_ADVERSARIES } from "./registry.ts";
import type {
  AdversarySetup,
  CheckerBehaviour,
  CheckerPlan,
  ProviderBehaviour,
  ProviderPlan,
} from "./types.ts";

export interface GroupPlans {
  /** By checker group index. */
  checkers: CheckerPlan[];
  /** By provider group index. */
  providers: ProviderPlan[];
  /** Economic agents: `checkers:<actor>` then `providers:<actor>`, in order of first appearance. */
  actors: string[];
}

const honestContest = (deserved: boolean) => !deserved;

/** Builds every group's behaviours from the registry; groups with the same actor share one profit line. */
export function planGroups(
  scenario: Scenario,
  setup: Omit<AdversarySetup, "providerGroupIndex">,
): GroupPlans {
  const full: AdversarySetup = {
    ...setup,
    providerGroupIndex: (name) => scenario.providerGroups.findIndex((g) => g.name === name),
  };
  const actors: string[] = [];
  const actorOf = (name: string) => {
    let i = actors.indexOf(name);
    if (i < 0) i = actors.push(name) - 1;
    return i;
  };
  const checkers = scenario.checkerGroups.map((g): CheckerPlan => {
    const bs = CHECKER_ADVERSARIES.map((a) => a.create(g.strategy, full)).filter(
      (b): b is CheckerBehaviour => b !== undefined,
    );
    const bribable = bs.some((b) => b.bribable === true);
    return {
      actor: actorOf(`checkers:${g.actor}`),
      bribableMembers: bribable ? g.count : 0,
      claims: bs.flatMap((b) => (b.claim ? [b.claim] : [])),
      publish: bs.flatMap((b) => (b.claim ? [b.publish] : [])),
      missesTurn: bs.flatMap((b) => (b.missesTurn ? [b.missesTurn] : [])),
      censor: bs.find((b) => b.censor)?.censor,
      cosignsCensored: bs.some((b) => b.cosignsCensored === true),
    };
  });
  const providers = scenario.providerGroups.map((g): ProviderPlan => {
    const bs = PROVIDER_ADVERSARIES.map((a) => a.create(g.strategy, full)).filter(
      (b): b is ProviderBehaviour => b !== undefined,
    );
    const hooks = <K extends keyof ProviderBehaviour>(key: K) =>
      bs.flatMap((b) => (b[key] ? [b[key] as NonNullable<ProviderBehaviour[K]>] : []));
    return {
      actor: actorOf(`providers:${g.actor}`),
      beforeSampling: hooks("beforeSampling"),
      afterSampling: hooks("afterSampling"),
      misbehaves: hooks("misbehaves"),
      noGpu: bs.some((b) => b.noGpu === true),
      route: hooks("route")[0],
      contests: hooks("contests")[0] ?? honestContest,
      bribeOffer: bs.find((b) => b.bribeOffer)?.bribeOffer,
      afterAttest: hooks("afterAttest"),
    };
  });
  return { checkers, providers, actors };
}
