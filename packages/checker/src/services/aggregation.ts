import { AggregatorDuty } from "../duties/aggregatorDuty.ts";
import { COSIGN_PROTOCOL, handleCosign, requestCosign } from "../network/reqresp/cosign.ts";
import {
  type ChainComponents,
  chainDutyComponents,
  type NodeComponents,
  type OperatorIdentity,
  operatorInit,
} from "./components.ts";
import type { CheckerNodeOptions } from "./nodeOptions.ts";
import type { NodeService } from "./service.ts";

/**
 * Report aggregation and co-signing over the cosign protocol. Built with a
 * chain and an operator; it submits only with a wallet.
 */
export class AggregationService implements NodeService {
  readonly aggregator: AggregatorDuty;
  private readonly components: NodeComponents;

  constructor(
    components: NodeComponents,
    chain: ChainComponents,
    operator: OperatorIdentity,
    timing: CheckerNodeOptions["aggregator"],
  ) {
    this.components = components;
    const c = components;
    this.aggregator = new AggregatorDuty(
      {
        ...chainDutyComponents(c, chain, "aggregator"),
        epochs: c.epochs,
        requestCosign: (peer, request, timeoutMs) => requestCosign(c.host, peer, request, { timeoutMs }),
      },
      {
        ...operatorInit(c, operator),
        addresses: { ...chain.contracts, slashing: c.config.slashingContract },
        ...timing,
      },
    );
  }

  async start(): Promise<void> {
    const aggregator = this.aggregator;
    await handleCosign(this.components.host, {
      logger: this.components.logger.child({ service: "cosign" }),
      onRequest: (request) => aggregator.cosign(request),
    });
    aggregator.start();
  }

  async stop(): Promise<void> {
    await this.aggregator.stop();
    await this.components.host.unhandle(COSIGN_PROTOCOL);
  }
}
