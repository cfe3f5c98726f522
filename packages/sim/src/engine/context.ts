import type { GroupPlans } from "../adversaries/plan.ts";
import type { CheckerPlan, ProviderPlan } from "../adversaries/types.ts";
import type { NetworkModel } from "../network.ts";
import type { ProtocolParams } from "../protocol.ts";
import type { Scenario } from "../scenario/schema.ts";
import type { World } from "../world.ts";
import type { Books } from "./books.ts";
import type { ProviderState } from "./providerState.ts";

/** What the engine's phases read and write: the simulation, seen from its parts. */
export interface EngineContext extends Books {
  readonly scenario: Scenario;
  readonly world: World;
  readonly params: ProtocolParams;
  readonly net: NetworkModel;
  readonly plans: GroupPlans;
  readonly providerState: ProviderState;
  providerAddr(p: number): `0x${string}`;
}

export function checkerPlan(ctx: EngineContext, c: number): CheckerPlan {
  return ctx.plans.checkers[ctx.world.checkers.group[c] as number] as CheckerPlan;
}

export function providerPlan(ctx: EngineContext, p: number): ProviderPlan {
  return ctx.plans.providers[ctx.world.providers.group[p] as number] as ProviderPlan;
}
