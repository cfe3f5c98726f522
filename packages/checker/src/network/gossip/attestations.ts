import { signedAttestationCodec } from "@checkernet/protocol/encoding/attestation";
import type { SignedAttestation } from "@checkernet/protocol/types";
import type { Logger } from "@checkernet/runtime";
import type { PeerId } from "@libp2p/interface";
import type { Metrics } from "../../metrics/index.ts";
import {
  type AttestationValidationContext,
  type ValidatedAttestation,
  validateGossipAttestation,
} from "../../validation/attestation.ts";
import { attestationsPerEpochLimit, ValidationBudget } from "../../validation/validationBudget.ts";
import type { CheckerHost } from "../host.ts";
import { identityBudgetOf } from "../identityBudget.ts";
import { getGossipValidatorFn } from "../processor/gossipValidatorFn.ts";
import type { EvidenceGossip } from "./evidence.ts";
import { countOverBudget, graylistHangUp } from "./graylist.ts";
import { budgetSender } from "./peerAddress.ts";
import { GossipTopic } from "./topics.ts";

export interface AttestationGossipComponents {
  host: CheckerHost;
  logger: Logger;
  metrics: Metrics;
  validation: AttestationValidationContext;
}

export interface AttestationGossipInit {
  /** Called once per accepted attestation (after validation, before forwarding completes). */
  onAttestation?: (att: ValidatedAttestation, from: PeerId) => void;
  /** The evidence topic, started and stopped with this one (the conflicts it finds are published there). */
  evidence?: EvidenceGossip;
  /** Registered providers now: sizes the per-peer validation budget (attestationsPerEpochLimit). */
  providerCount?: () => number;
  /** The per-peer and per-IP validation budget; by default sized from the protocol (validation/validationBudget.ts). */
  budget?: ValidationBudget;
}

/**
 * The attestation topic: subscription, validator registration and publishing.
 * A js-libp2p-style service: construct over components, then start/stop.
 */
export class AttestationGossip {
  private readonly components: AttestationGossipComponents;
  private readonly init: AttestationGossipInit;
  private readonly budget: ValidationBudget;
  private started = false;

  constructor(components: AttestationGossipComponents, init: AttestationGossipInit = {}) {
    this.components = components;
    this.init = init;
    const { validation } = components;
    const providers = init.providerCount ?? (() => 1);
    this.budget =
      init.budget ??
      new ValidationBudget({
        perEpoch: () => attestationsPerEpochLimit(validation.committeeSize, providers()),
        epochSeconds: validation.clock.epochSeconds,
      });
  }

  start(): void {
    if (this.started) return;
    const { host, logger, metrics, validation } = this.components;
    const topic = GossipTopic.ATTESTATION;
    host.services.pubsub.topicValidators.set(
      topic,
      getGossipValidatorFn(
        topic,
        (data, from) =>
          validateGossipAttestation(validation, data, () => {
            const sender = budgetSender(host, from);
            if (this.budget.tryTake(sender.peer, sender.ip)) return true;
            // A peer that keeps sending past its budget is hung up (network/gossip/graylist.ts).
            countOverBudget(host, from);
            return false;
          }),
        (att, from) => this.init.onAttestation?.(att, from),
        { logger, metrics, peers: graylistHangUp(host) },
      ),
    );
    // The host's identity budget refuses a Sybil's fresh peer ids at the handshake, before any gossip:
    // counted next to what the gossip it would have sent costs (network/identityBudget.ts).
    const identities = identityBudgetOf(host);
    if (identities !== undefined)
      identities.onRefused = (reason) => metrics.identitiesRefused.inc({ reason });
    host.services.pubsub.subscribe(topic);
    this.init.evidence?.start();
    this.started = true;
  }

  stop(): void {
    if (!this.started) return;
    const pubsub = this.components.host.services.pubsub;
    pubsub.unsubscribe(GossipTopic.ATTESTATION);
    pubsub.topicValidators.delete(GossipTopic.ATTESTATION);
    this.init.evidence?.stop();
    this.started = false;
  }

  isStarted(): boolean {
    return this.started;
  }

  /**
   * Publishes our own attestation. It is recorded in the seen cache first, so
   * a copy coming back from the mesh is ignored rather than re-processed.
   */
  async publish(signed: SignedAttestation, signingRoot: `0x${string}`): Promise<number> {
    const a = signed.attestation;
    this.components.validation.seen.add(a.epoch, a.provider, a.checker, signingRoot);
    const result = await this.components.host.services.pubsub.publish(
      GossipTopic.ATTESTATION,
      signedAttestationCodec.encode(signed),
    );
    return result.recipients.length;
  }
}
