import { type TopicValidatorFn, TopicValidatorResult } from "@libp2p/gossipsub";
import type { PeerId } from "@libp2p/interface";
import type { CheckerHost } from "../host.ts";
import { invalidMessagesToGraylist, SCORE_LIMITS } from "./scoring.ts";

/** Peers whose REJECTs are counted at once (the least recently refused dropped first): as many as the budget's buckets. */
const MAX_TRACKED_PEERS = 4_096;

interface Rejects {
  /** Invalid messages, decayed as gossipsub decays its invalid-delivery counter. */
  count: number;
  atMs: number;
}

/**
 * Hangs up on a peer as soon as its invalid messages put it below the graylist threshold, counted
 * here at each REJECT, so none of its later frames is decrypted, demultiplexed or decoded.
 *
 * Gossipsub graylists by the same count, but reads a peer's score from a cache refreshed once a
 * heartbeat (1 s), and whitelists a peer with a non-negative score for its next 128 messages: a Sybil
 * that retires each identity after 100 messages at 200 msg/s (issue 14, test/chaos/equivocation.test.ts)
 * is never graylisted in its lifetime, and every one of its messages went through the transport and
 * the validator (measured: 1,188 of 1,200 far-epoch REJECTs validated from 24 identities on one node).
 * Lodestar's peer manager does the same: a peer whose gossipsub score falls under the graylist is
 * disconnected (and banned). An honest peer never sends invalid messages (an honest relay forwards
 * only what it accepted), so it is never hung up on; its score would have graylisted it anyway.
 */
class GraylistHangUp {
  private readonly host: CheckerHost;
  private readonly rejects = new Map<string, Rejects>();
  private readonly threshold = invalidMessagesToGraylist();

  constructor(host: CheckerHost) {
    this.host = host;
  }

  /** Counts one REJECT of `peer`; hangs up on it once the count reaches the graylist. */
  rejected(peer: PeerId): void {
    const id = peer.toString();
    const now = Date.now();
    const last = this.rejects.get(id);
    const decayed =
      last === undefined
        ? 0
        : last.count * SCORE_LIMITS.invalidMessageDeliveriesDecay ** ((now - last.atMs) / 1_000);
    const count = decayed + 1;
    this.rejects.delete(id);
    this.rejects.set(id, { count, atMs: now });
    if (this.rejects.size > MAX_TRACKED_PEERS) {
      const oldest = this.rejects.keys().next().value;
      if (oldest !== undefined) this.rejects.delete(oldest);
    }
    if (count >= this.threshold && this.host.getConnections(peer).length > 0) {
      this.host.hangUp(peer).catch(() => undefined);
    }
  }
}

const guards = new WeakMap<CheckerHost, GraylistHangUp>();

/** The host's one GraylistHangUp (shared by its topics: gossipsub counts invalid messages of every topic). */
function graylistHangUp(host: CheckerHost): GraylistHangUp {
  let guard = guards.get(host);
  if (guard === undefined) {
    guard = new GraylistHangUp(host);
    guards.set(host, guard);
  }
  return guard;
}

/** `validator`, with each REJECT counted against its sender by the host's GraylistHangUp. */
export function hangingUpOnGraylist(host: CheckerHost, validator: TopicValidatorFn): TopicValidatorFn {
  const guard = graylistHangUp(host);
  return async (from, msg) => {
    const result = await validator(from, msg);
    if (result === TopicValidatorResult.Reject) guard.rejected(from);
    return result;
  };
}
