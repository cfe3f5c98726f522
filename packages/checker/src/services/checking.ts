import { EVIDENCE_PROTOCOL } from "@checkernet/wire";
import { CheckingDuty } from "../duties/checkingDuty.ts";
import type { AttestationGossip } from "../network/gossip/attestations.ts";
import { handleEvidence } from "../network/reqresp/evidence.ts";
import type { NodeComponents, OperatorIdentity } from "./components.ts";
import type { NodeService } from "./service.ts";

/**
 * The epoch checking duty (seats -> challenges -> signed attestations ->
 * gossip) and the evidence protocol that serves what it signed. Built when
 * the node has an operator.
 */
export class CheckingService implements NodeService {
  readonly duty: CheckingDuty;
  private readonly components: NodeComponents;
  private readonly operator: OperatorIdentity;

  constructor(components: NodeComponents, operator: OperatorIdentity, gossip: AttestationGossip) {
    this.components = components;
    this.operator = operator;
    const c = components;
    this.duty = new CheckingDuty(
      {
        clock: c.clock,
        epochs: c.epochs,
        keys: c.keys,
        providers: c.providers,
        client: c.challenges,
        db: c.db,
        bls: c.bls,
        logger: c.logger.child({ service: "duty" }),
        publish: (s, root) => gossip.publish(s, root),
        addPeerAddresses: c.addPeerAddresses,
      },
      {
        checker: operator.address,
        secretKey: operator.secretKey,
        domain: c.domain,
        params: c.params,
        faults: c.faults,
      },
    );
  }

  async start(): Promise<void> {
    const { host, db, logger, evaluator } = this.components;
    // The evaluator's worker starts (and loads its code) now rather than in the first epoch's runs.
    evaluator.warm();
    await handleEvidence(host, { db, checker: this.operator.address, logger });
    this.duty.start();
  }

  async stop(): Promise<void> {
    await this.duty.stop();
    await this.components.host.unhandle(EVIDENCE_PROTOCOL);
  }
}
