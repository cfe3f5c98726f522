import type { Address } from "viem";
import { EquivocationDuty } from "../duties/equivocationDuty.ts";
import { defaultBackupStepMs } from "../duties/leader/timing.ts";
import type { ChainComponents, NodeComponents } from "./components.ts";

/**
 * Submits the stored equivocation evidence to Slashing.slashEquivocation, once per (epoch,
 * checker) across the network (duties/equivocationDuty.ts): built with a chain and the Slashing
 * address; it sends only with a wallet. Each node in the submission order steps in one aggregator
 * backup step after the one before it. The duty is itself the service, as the fraud-proof duty is.
 */
export function createEquivocationDuty(
  c: NodeComponents,
  chain: ChainComponents,
  slashing: Address,
): EquivocationDuty {
  return new EquivocationDuty(
    {
      db: c.db,
      logger: c.logger.child({ service: "equivocations" }),
      publicClient: chain.publicClient,
      ...(c.walletClient === undefined ? {} : { walletClient: c.walletClient }),
      ...(c.config.operatorAddress === undefined ? {} : { operator: c.config.operatorAddress }),
    },
    { slashing, epochReports: chain.contracts.epochReports, stepMs: defaultBackupStepMs(c.clock) },
  );
}
