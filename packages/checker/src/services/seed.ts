import { SeedDuty } from "../duties/seedDuty.ts";
import type { ChainComponents, NodeComponents, OperatorIdentity } from "./components.ts";

/**
 * Reveals the next epoch's seed in the epochs this operator is the seed
 * proposer of. Built with a chain and an operator; it sends only with a
 * wallet. The duty is itself the service (its own timer in start/stop).
 */
export function createSeedDuty(
  c: NodeComponents,
  chain: ChainComponents,
  operator: OperatorIdentity,
): SeedDuty {
  return new SeedDuty(
    {
      clock: c.clock,
      bls: c.bls,
      logger: c.logger.child({ service: "seed" }),
      publicClient: chain.publicClient,
      metrics: c.metrics,
      ...(c.walletClient === undefined ? {} : { walletClient: c.walletClient }),
    },
    {
      operator: operator.address,
      secretKey: operator.secretKey,
      domain: c.domain,
      epochReports: chain.contracts.epochReports,
    },
  );
}
