import type { Address } from "viem";
import { RecheckDuty } from "../duties/recheckDuty.ts";
import {
  handleRecheck,
  RECHECK_PROTOCOL,
  requestRecheckCosign,
  requestRecheckResult,
} from "../network/reqresp/recheck.ts";
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
 * Re-checks of contested slashes and the re-check protocol (results and
 * co-signatures). Built with a chain, the Slashing address and an operator;
 * it leads and submits only with a wallet.
 */
export class RecheckService extends DutyService<RecheckDuty> {
  constructor(
    components: NodeComponents,
    chain: ChainComponents,
    operator: OperatorIdentity,
    slashing: Address,
    overrides: CheckerNodeOptions["recheck"],
  ) {
    const c = components;
    super(
      components,
      RECHECK_PROTOCOL,
      new RecheckDuty(
        {
          ...chainDutyComponents(c, chain, "recheck"),
          client: c.challenges,
          requestResult: (peer, slashId, timeoutMs) =>
            requestRecheckResult(c.host, peer, slashId, { timeoutMs }),
          requestCosign: (peer, request, timeoutMs) =>
            requestRecheckCosign(c.host, peer, request, { timeoutMs }),
          addPeerAddresses: c.addPeerAddresses,
          equivocations: c.equivocations,
        },
        {
          ...operatorInit(c, operator),
          addresses: {
            slashing,
            epochReports: chain.contracts.epochReports,
            checkerRegistry: chain.contracts.checkerRegistry,
          },
          faults: c.faults,
          ...overrides,
        },
      ),
    );
  }

  get recheck(): RecheckDuty {
    return this.duty;
  }

  protected async serve(): Promise<void> {
    const recheck = this.duty;
    await handleRecheck(this.components.host, {
      logger: this.components.logger.child({ service: "recheck" }),
      onResult: (slashId) => recheck.resultFor(slashId),
      onCosign: (request) => recheck.cosign(request),
    });
  }
}
