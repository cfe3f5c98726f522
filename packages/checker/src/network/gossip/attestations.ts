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
import type { CheckerHost } from "../host.ts";
import { getGossipValidatorFn } from "../processor/gossipValidatorFn.ts";
import type { EvidenceGossip } from "./evidence.ts";
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
}

/**
 * The attestation topic: subscription, validator registration and publishing.
 * A js-libp2p-style service: construct over components, then start/stop.
 */
export class AttestationGossip {
  private readonly components: AttestationGossipComponents;
  private readonly init: AttestationGossipInit;
  private started = false;

  constructor(components: AttestationGossipComponents, init: AttestationGossipInit = {}) {
    this.components = components;
    this.init = init;
  }

  start(): void {
    if (this.started) return;
    const { host, logger, metrics, validation } = this.components;
    const topic = GossipTopic.ATTESTATION;
    host.services.pubsub.topicValidators.set(
      topic,
      getGossipValidatorFn(
        topic,
        (data) => validateGossipAttestation(validation, data),
        (att, from) => this.init.onAttestation?.(att, from),
        { logger, metrics },
      ),
    );
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
