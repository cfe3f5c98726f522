import { EVIDENCE_PROTOCOL } from "@checkernet/wire";
import { CheckingDuty } from "../duties/checkingDuty.ts";
import type { AttestationGossip } from "../network/gossip/attestations.ts";
import { handleEvidence } from "../network/reqresp/evidence.ts";
import type { NodeComponents, OperatorIdentity } from "./components.ts";
import { DutyService } from "./service.ts";

/**
 * The epoch checking duty (seats -> challenges -> signed attestations ->
 * gossip) and the evidence protocol that serves what it signed. Built when
 * the node has an operator.
 */
export class CheckingService extends DutyService<CheckingDuty> {
  private readonly operator: OperatorIdentity;

  constructor(components: NodeComponents, operator: OperatorIdentity, gossip: AttestationGossip) {
    const c = components;
    super(
      components,
      EVIDENCE_PROTOCOL,
      new CheckingDuty(
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
          metrics: c.metrics,
        },
        {
          checker: operator.address,
          secretKey: operator.secretKey,
          domain: c.domain,
          params: c.params,
          faults: c.faults,
        },
      ),
    );
    this.operator = operator;
  }

  protected async serve(): Promise<void> {
    const { host, db, logger, evaluator } = this.components;
    // The evaluator's worker starts (and loads its code) now rather than in the first epoch's runs.
    evaluator.warm();
    await handleEvidence(host, { db, checker: this.operator.address, logger });
  }
}
