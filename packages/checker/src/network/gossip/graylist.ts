import { type TopicValidatorFn, TopicValidatorResult } from "@libp2p/gossipsub";
import type { PeerId } from "@libp2p/interface";
import type { CheckerHost } from "../host.ts";
import { identityBudgetKey, identityBudgetOf } from "../identityBudget.ts";
import { invalidMessagesToGraylist, SCORE_LIMITS } from "./scoring.ts";

/** Peers whose REJECTs are counted at once (the least recently refused dropped first): as many as the budget's buckets. */
const MAX_TRACKED_PEERS = 4_096;
/**
 * How fast a peer's over-budget IGNOREs are forgotten, per second: halved every second, so only a
 * peer that keeps sending past its budget, at 9 msg/s or more (13 = rate / ln 2), or in a burst of 13
 * within a moment, is hung up; a Sybil identity at 200 msg/s gets there in a tenth of a second.
 *
 * Who else can get there: a peer's own bucket holds a whole epoch of honest attestations
 * (attestationsPerEpochLimit), so a proven peer (validationBudget.ts, budgetSender) is never over it
 * by relaying. An unproven peer also draws on its IP's bucket; where Sybils on the same IP (a shared
 * NAT, the same relay) have emptied it, an honest newcomer's publish burst (its share of every
 * committee's attestations at the publish phase, ~k·P / mesh degree: over 13 with many providers) is
 * over budget and it is hung up too. What it loses is what the IGNOREs already cost it: none of its
 * messages is validated by this node while its IP's bucket is empty, hung up or not; it redials,
 * and once proven it leaves the IP's bucket. Not hanging up would keep every Sybil identity's frames
 * decrypted and decoded (issue 14); the drill (test/chaos/sybilFlood.ts) measures both sides.
 */
const OVER_BUDGET_DECAY_PER_SECOND = 0.5;

/** Counts by peer id, each decayed by `decayPerSecond` since its last increment; the oldest dropped beyond MAX_TRACKED_PEERS. */
class DecayingCounts {
  private readonly counts = new Map<string, { count: number; atMs: number }>();
  private readonly decayPerSecond: number;

  constructor(decayPerSecond: number) {
    this.decayPerSecond = decayPerSecond;
  }

  /** Adds one to `id`'s count and answers the count now. */
  increment(id: string, nowMs: number): number {
    const last = this.counts.get(id);
    const decayed =
      last === undefined ? 0 : last.count * this.decayPerSecond ** ((nowMs - last.atMs) / 1_000);
    const count = decayed + 1;
    this.counts.delete(id);
    this.counts.set(id, { count, atMs: nowMs });
    if (this.counts.size > MAX_TRACKED_PEERS) {
      const oldest = this.counts.keys().next().value;
      if (oldest !== undefined) this.counts.delete(oldest);
    }
    return count;
  }
}

/**
 * Hangs up on a peer as soon as its invalid messages put it below the graylist threshold, counted
 * here at each REJECT, so none of its later frames is decrypted, demultiplexed or decoded.
 *
 * Gossipsub graylists by the same count, but reads a peer's score from a cache refreshed once a
 * heartbeat (1 s), and whitelists a peer with a non-negative score for its next 128 messages: a Sybil
 * that retires each identity after 100 messages at 200 msg/s (issue 14, the drill of test/chaos/sybilFlood.ts)
 * is never graylisted in its lifetime, and every one of its messages went through the transport and
 * the validator (measured: 1,188 of 1,200 far-epoch REJECTs validated from 24 identities on one node).
 * Lodestar's peer manager does the same: a peer whose gossipsub score falls under the graylist is
 * disconnected (and banned). An honest peer never sends invalid messages (an honest relay forwards
 * only what it accepted), so it is never hung up on; its score would have graylisted it anyway.
 *
 * A peer that keeps sending past its validation budget (IGNOREs, free in gossipsub's score: an honest
 * relay may burst) is hung up too, at the same count of over-budget messages decayed within seconds
 * (OVER_BUDGET_DECAY_PER_SECOND): a Sybil whose IP's budget is spent sends nothing but IGNOREs, and
 * each still cost the transport, a decode and a signing root.
 */
class GraylistHangUp {
  private readonly host: CheckerHost;
  private readonly rejects = new DecayingCounts(SCORE_LIMITS.invalidMessageDeliveriesDecay);
  private readonly overBudgets = new DecayingCounts(OVER_BUDGET_DECAY_PER_SECOND);
  private readonly threshold = invalidMessagesToGraylist();

  constructor(host: CheckerHost) {
    this.host = host;
  }

  /**
   * Counts one REJECT of `peer`; hangs up on it once the count reaches the graylist, and spends its
   * IP's budget of new identities (network/identityBudget.ts): a Sybil that rotates its peer id gets
   * its next one refused at the handshake instead of another 13 invalid messages read.
   */
  rejected(peer: PeerId): void {
    const ip = this.ipOf(peer);
    if (this.hangUpAt(peer, this.rejects.increment(peer.toString(), Date.now())) && ip !== undefined)
      identityBudgetOf(this.host)?.spend(ip);
  }

  /** Counts one over-budget IGNORE of `peer`; hangs up on it once the (fast-decaying) count reaches the graylist's. */
  overBudget(peer: PeerId): void {
    this.hangUpAt(peer, this.overBudgets.increment(peer.toString(), Date.now()));
  }

  /** Hangs up on `peer` when `count` reaches the graylist and it is still connected; answers whether it did. */
  private hangUpAt(peer: PeerId, count: number): boolean {
    if (count >= this.threshold && this.host.getConnections(peer).length > 0) {
      this.host.hangUp(peer).catch(() => undefined);
      return true;
    }
    return false;
  }

  /** The identity-budget key of the IP `peer` is connected from (none when it is not connected). */
  private ipOf(peer: PeerId): string | undefined {
    const connection = this.host.getConnections(peer)[0];
    return connection === undefined ? undefined : identityBudgetKey(connection.remoteAddr);
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

/** Counts a message of `peer` turned away over its validation budget against it (GraylistHangUp.overBudget). */
export function countOverBudget(host: CheckerHost, peer: PeerId): void {
  graylistHangUp(host).overBudget(peer);
}
