import type { Logger } from "@checkernet/runtime";
import type { Metrics } from "../../metrics/index.ts";
import type { EquivocationBook } from "../../validation/equivocations.ts";
import type { CheckerHost } from "../host.ts";
import { getGossipValidatorFn } from "../processor/gossipValidatorFn.ts";
import { graylistHangUp } from "./graylist.ts";
import { budgetSender } from "./peerAddress.ts";
import { GossipTopic } from "./topics.ts";

/**
 * The evidence topic (docs/protocol/equivocation.md): equivocation pairs, validated by the book
 * (canonical encoding, epoch window, verifyEquivocation under the checker's registered key).
 * Invalid evidence is REJECTed, so its sender's peer score pays as for an invalid attestation; the
 * book publishes here what it finds itself.
 */
export class EvidenceGossip {
  private readonly components: {
    host: CheckerHost;
    logger: Logger;
    metrics: Metrics;
    book: EquivocationBook;
  };
  private started = false;

  constructor(components: { host: CheckerHost; logger: Logger; metrics: Metrics; book: EquivocationBook }) {
    this.components = components;
  }

  start(): void {
    if (this.started) return;
    const { host, logger, metrics, book } = this.components;
    const topic = GossipTopic.EQUIVOCATION;
    const pubsub = host.services.pubsub;
    pubsub.topicValidators.set(
      topic,
      getGossipValidatorFn(
        topic,
        (data, from) => book.accept(data, budgetSender(host, from)),
        () => undefined,
        { logger, metrics, peers: graylistHangUp(host) },
      ),
    );
    pubsub.subscribe(topic);
    book.setPublisher((data) => pubsub.publish(topic, data));
    this.started = true;
  }

  stop(): void {
    if (!this.started) return;
    const pubsub = this.components.host.services.pubsub;
    this.components.book.setPublisher(undefined);
    pubsub.unsubscribe(GossipTopic.EQUIVOCATION);
    pubsub.topicValidators.delete(GossipTopic.EQUIVOCATION);
    this.started = false;
  }
}
