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
import type { NodeService } from "./service.ts";

/**
 * Re-checks of contested slashes and the re-check protocol (results and
 * co-signatures). Built with a chain, the Slashing address and an operator;
 * it leads and submits only with a wallet.
 */
export class RecheckService implements NodeService {
  readonly recheck: RecheckDuty;
  private readonly components: NodeComponents;

  constructor(
    components: NodeComponents,
    chain: ChainComponents,
    operator: OperatorIdentity,
    slashing: Address,
    overrides: CheckerNodeOptions["recheck"],
  ) {
    this.components = components;
    const c = components;
    this.recheck = new RecheckDuty(
      {
        ...chainDutyComponents(c, chain, "recheck"),
        client: c.challenges,
        requestResult: (peer, slashId, timeoutMs) =>
          requestRecheckResult(c.host, peer, slashId, { timeoutMs }),
        requestCosign: (peer, request, timeoutMs) =>
          requestRecheckCosign(c.host, peer, request, { timeoutMs }),
        addPeerAddresses: c.addPeerAddresses,
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
    );
  }

  async start(): Promise<void> {
    const recheck = this.recheck;
    await handleRecheck(this.components.host, {
      logger: this.components.logger.child({ service: "recheck" }),
      onResult: (slashId) => recheck.resultFor(slashId),
      onCosign: (request) => recheck.cosign(request),
    });
    recheck.start();
  }

  async stop(): Promise<void> {
    await this.recheck.stop();
    await this.components.host.unhandle(RECHECK_PROTOCOL);
  }
}
