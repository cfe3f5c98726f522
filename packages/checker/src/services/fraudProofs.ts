import type { Address } from "viem";
import { FraudProofDuty } from "../duties/fraudProofDuty.ts";
import type { ChainComponents, NodeComponents } from "./components.ts";

/**
 * Submits the matmul fraud proofs the checking duty stores (a wrong opened
 * row under the provider's signed commitment) to FraudProofs, once per
 * (provider, epoch). Built with a chain and the FraudProofs address; it sends
 * only with a wallet (otherwise the proofs stay stored, pending). The duty is
 * itself the service (its own timer in start/stop), as the seed duty is.
 */
export function createFraudProofDuty(
  c: NodeComponents,
  chain: ChainComponents,
  fraudProofs: Address,
): FraudProofDuty {
  return new FraudProofDuty(
    {
      db: c.db,
      logger: c.logger.child({ service: "fraud-proofs" }),
      publicClient: chain.publicClient,
      metrics: c.metrics,
      clock: c.clock,
      ...(c.walletClient === undefined ? {} : { walletClient: c.walletClient }),
    },
    { fraudProofs },
  );
}
