import { OperatorStandingWatch } from "../chain/operatorStanding.ts";
import type { ChainComponents, NodeComponents } from "./components.ts";

/**
 * Registration and delegated licenses of the configured operator (alerts,
 * rewards); built with a chain and an operator address, read on demand.
 */
export function createStandingWatch(
  c: NodeComponents,
  chain: ChainComponents,
  operator: `0x${string}`,
): OperatorStandingWatch {
  return new OperatorStandingWatch(
    {
      publicClient: chain.publicClient,
      logger: c.logger.child({ service: "standing" }),
      snapshots: chain.directory,
      clock: c.clock,
    },
    { checkerRegistry: chain.contracts.checkerRegistry, operator, ownPublicKey: c.operatorPublicKey },
  );
}
