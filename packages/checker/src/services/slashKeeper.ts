import type { Address } from "viem";
import type { AggregatorDuty } from "../duties/aggregatorDuty.ts";
import type { SubmitterWallet } from "../duties/leader/submitOnce.ts";
import type { ReportSync } from "../duties/reportSync.ts";
import { SlashKeeper } from "../duties/slashKeeper.ts";
import type { ChainComponents, NodeComponents } from "./components.ts";

/**
 * Opens the slashes of landed FAIL leaves this node holds and executes or expires them when their windows
 * pass (duties/slashKeeper.ts), in the turn order of the aggregator ranking. Built where the aggregator duty
 * submits: with a chain, an operator, the Slashing address and a wallet. The duty is itself the service.
 */
export function createSlashKeeper(
  c: NodeComponents,
  chain: ChainComponents,
  aggregator: AggregatorDuty,
  slashing: Address,
  walletClient: SubmitterWallet,
  reportSync: ReportSync,
): SlashKeeper {
  return new SlashKeeper(
    {
      db: c.db,
      logger: c.logger.child({ service: "slash-keeper" }),
      publicClient: chain.publicClient,
      walletClient,
      clock: c.clock,
      metrics: c.metrics,
      rankOf: (epoch) => aggregator.keeperRank(epoch),
      // Another root than this node's landed: one it co-signed later, else a peer's copy (review5 H1).
      landedLeaves: async (epoch) => (await reportSync.ensure(epoch)).record,
    },
    { slashing, epochReports: chain.contracts.epochReports },
  );
}
