import type { Logger } from "@checkernet/runtime";
import { type Message, type TopicValidatorFn, TopicValidatorResult } from "@libp2p/gossipsub";
import type { PeerId } from "@libp2p/interface";
import type { Metrics } from "../../metrics/index.ts";
import { GossipAction, GossipActionError } from "../../validation/errors/gossipValidation.ts";

/** What the sender of each message did, for the peer's fate (network/gossip/graylist.ts). */
export interface GossipPeerVerdicts {
  accepted(from: PeerId): void;
  rejected(from: PeerId, error: GossipActionError<{ code: string }>): void;
}

export interface GossipValidatorModules {
  logger: Logger;
  metrics: Metrics;
  peers?: GossipPeerVerdicts;
}

/**
 * The one place where validation outcomes become gossipsub verdicts (as in
 * Lodestar's `network/processor/gossipValidatorFn.ts`): a GossipActionError
 * maps to IGNORE or REJECT, anything else (a bug) to IGNORE, so no message can
 * crash the node or wrongly punish a peer. Every outcome is logged and counted.
 */
export function getGossipValidatorFn<T>(
  topic: string,
  validate: (data: Uint8Array, from: PeerId) => Promise<T>,
  onAccept: (value: T, from: PeerId) => void,
  modules: GossipValidatorModules,
): TopicValidatorFn {
  const { logger, metrics, peers } = modules;
  return async (from: PeerId, msg: Message): Promise<TopicValidatorResult> => {
    const timer = metrics.gossipValidationSeconds.startTimer({ topic });
    try {
      const value = await validate(msg.data, from);
      metrics.gossipValidationResult.inc({ topic, result: "accept" });
      peers?.accepted(from);
      try {
        onAccept(value, from);
      } catch (e) {
        logger.error({ topic, err: e }, "gossip accept handler failed");
      }
      return TopicValidatorResult.Accept;
    } catch (e) {
      if (e instanceof GossipActionError) {
        const result =
          e.action === GossipAction.REJECT ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore;
        metrics.gossipValidationResult.inc({ topic, result });
        metrics.gossipValidationError.inc({ topic, code: e.type.code });
        // A REJECT means a peer sent something invalid: rare, and what an operator must see.
        const log = e.action === GossipAction.REJECT ? logger.warn.bind(logger) : logger.debug.bind(logger);
        log({ topic, from: from.toString(), action: e.action, ...e.getMetadata() }, "gossip message refused");
        if (e.action === GossipAction.REJECT) peers?.rejected(from, e);
        return result;
      }
      metrics.gossipValidationResult.inc({ topic, result: "ignore" });
      metrics.gossipValidationError.inc({ topic, code: "UNEXPECTED_ERROR" });
      logger.error({ topic, from: from.toString(), err: e }, "gossip validator threw an unexpected error");
      return TopicValidatorResult.Ignore;
    } finally {
      timer();
    }
  };
}
