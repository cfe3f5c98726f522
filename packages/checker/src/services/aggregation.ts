import { AggregatorDuty } from "../duties/aggregatorDuty.ts";
import type { AttestationSyncer } from "../duties/aggregatorTypes.ts";
import { COSIGN_PROTOCOL, handleCosign, requestCosign } from "../network/reqresp/cosign.ts";
import {
  type ChainComponents,
  chainDutyComponents,
  type NodeComponents,
  type OperatorIdentity,
  operatorInit,
} from "./components.ts";
import type { CheckerNodeOptions } from "./nodeOptions.ts";
import { DutyService } from "./service.ts";

/**
 * Report aggregation and co-signing over the cosign protocol. Built with a
 * chain and an operator; it submits only with a wallet.
 */
export class AggregationService extends DutyService<AggregatorDuty> {
  constructor(
    components: NodeComponents,
    chain: ChainComponents,
    operator: OperatorIdentity,
    timing: CheckerNodeOptions["aggregator"],
    attestationSync?: AttestationSyncer,
  ) {
    const c = components;
    super(
      components,
      COSIGN_PROTOCOL,
      new AggregatorDuty(
        {
          ...chainDutyComponents(c, chain, "aggregator"),
          epochs: c.epochs,
          equivocations: c.equivocations,
          snapshots: chain.directory,
          requestCosign: (peer, request, timeoutMs) => requestCosign(c.host, peer, request, { timeoutMs }),
          ...(attestationSync === undefined ? {} : { attestationSync }),
        },
        {
          ...operatorInit(c, operator),
          addresses: { ...chain.contracts, slashing: c.config.slashingContract },
          ...timing,
        },
      ),
    );
  }

  get aggregator(): AggregatorDuty {
    return this.duty;
  }

  protected async serve(): Promise<void> {
    const aggregator = this.duty;
    await handleCosign(this.components.host, {
      logger: this.components.logger.child({ service: "cosign" }),
      onRequest: (request, from) => aggregator.cosign(request, from),
    });
  }
}
