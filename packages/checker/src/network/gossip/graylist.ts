import type { PeerId } from "@libp2p/interface";
import type { GossipActionError } from "../../validation/errors/gossipValidation.ts";
import type { CheckerHost } from "../host.ts";
import { identityBudgetKey, identityBudgetOf } from "../identityBudget.ts";
import type { GossipPeerVerdicts } from "../processor/gossipValidatorFn.ts";
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

/** Peer ids, at most MAX_TRACKED_PEERS, the least recently added dropped first. */
class RecentPeers {
  private readonly ids = new Set<string>();

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string): void {
    this.ids.delete(id);
    this.ids.add(id);
    if (this.ids.size > MAX_TRACKED_PEERS) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
  }
}

/**
 * REJECTs after which a peer that never delivered a valid message to this node is hung up, whatever
 * the rule (a signature, a seat): an honest peer forwards only what it accepted, and the few rules that
 * read chain state read what is final by then (the epoch's snapshot and checking set), so an honest
 * newcomer never gets there; a proven peer keeps gossipsub's graylist count (13). A REJECT decided from
 * the message alone (GossipActionError.decidedFromMessage: size, encoding, an epoch far off our clock)
 * hangs an unproven peer up at once.
 */
const UNPROVEN_PEER_REJECTS = 3;

/**
 * Hangs up on a peer as soon as its invalid messages condemn it, counted here at each REJECT, and
 * aborts its connections, so none of its later frames is decrypted, demultiplexed or decoded. What
 * it sent before, already queued, is still validated: a blind REJECT of a valid message it relayed
 * would count an invalid delivery against every honest peer that delivers the same message
 * (gossipsub penalizes duplicates of a message it rejected), and a blind IGNORE would leave the honest
 * message in gossipsub's seen cache, unvalidated.
 *
 * A peer that has delivered a valid message to this node is hung up at gossipsub's graylist count
 * (13). Gossipsub graylists by the same count, but reads a peer's score from a cache refreshed once a
 * heartbeat (1 s), and whitelists a peer with a non-negative score for its next 128 messages: a Sybil
 * that retires each identity after 100 messages at 200 msg/s (issue 14, the drill of test/chaos/sybilFlood.ts)
 * is never graylisted in its lifetime, and every one of its messages went through the transport and
 * the validator (measured: 1,188 of 1,200 far-epoch REJECTs validated from 24 identities on one node).
 * Lodestar's peer manager does the same: a peer whose gossipsub score falls under the graylist is
 * disconnected (and banned). An honest peer never sends invalid messages (an honest relay forwards
 * only what it accepted), so it is never hung up on; its score would have graylisted it anyway.
 *
 * A peer that never delivered a valid message is hung up sooner (UNPROVEN_PEER_REJECTS, or its
 * first REJECT decided from the message alone): with one source IP per identity every Sybil identity
 * reached every node's validator, and at 13 REJECTs each one cost a node ~100-115 ms of CPU (its
 * forged VRF proofs are REJECTed only when their BLS batch comes back, so the 13th came ~600 ms
 * after its first message, while more of its frames were read; docs/protocol/gossip-validation.md).
 *
 * A peer that keeps sending past its validation budget (IGNOREs, free in gossipsub's score: an honest
 * relay may burst) is hung up too, at the same count of over-budget messages decayed within seconds
 * (OVER_BUDGET_DECAY_PER_SECOND): a Sybil whose IP's budget is spent sends nothing but IGNOREs, and
 * each still cost the transport, a decode and a signing root. That is not proof of malice (an honest
 * newcomer behind a Sybil's NAT gets there), so it is a plain hang-up: it may come back.
 */
class GraylistHangUp implements GossipPeerVerdicts {
  private readonly host: CheckerHost;
  private readonly rejects = new DecayingCounts(SCORE_LIMITS.invalidMessageDeliveriesDecay);
  private readonly overBudgets = new DecayingCounts(OVER_BUDGET_DECAY_PER_SECOND);
  private readonly threshold = invalidMessagesToGraylist();
  /** Peers that delivered a valid message (ACCEPTed) to this node. */
  private readonly proven = new RecentPeers();
  /** Peers hung up for invalid messages. */
  private readonly condemnedPeers = new RecentPeers();

  constructor(host: CheckerHost) {
    this.host = host;
  }

  /** A valid message from `peer` proves it, unless it was condemned already (a queued message, validated after). */
  accepted(peer: PeerId): void {
    const id = peer.toString();
    if (this.condemnedPeers.has(id)) return;
    this.proven.add(id);
    // A proven peer is let in again from any IP, outside the identity budget (review5 M2).
    identityBudgetOf(this.host)?.prove(id);
  }

  /**
   * Counts one REJECT of `peer`; condemns it once the count reaches its limit: hangs up, and has the
   * identity budget (network/identityBudget.ts) forget it and spend its IP's budget of new identities,
   * so that neither it nor the next peer id a Sybil rotates to gets in at the handshake.
   */
  rejected(peer: PeerId, error: GossipActionError<{ code: string }>): void {
    const id = peer.toString();
    if (this.condemnedPeers.has(id)) return;
    const count = this.rejects.increment(id, Date.now());
    const limit = this.proven.has(id) ? this.threshold : error.decidedFromMessage ? 1 : UNPROVEN_PEER_REJECTS;
    if (count < limit) return;
    this.condemnedPeers.add(id);
    const ip = this.ipOf(peer);
    if (ip !== undefined) identityBudgetOf(this.host)?.condemn(ip, id);
    // Aborted, not closed: a graceful close reads on until the peer's streams end.
    for (const connection of this.host.getConnections(peer)) connection.abort(new Error(CONDEMNED));
  }

  /** Counts one over-budget IGNORE of `peer`; hangs up on it once the (fast-decaying) count reaches the graylist's. */
  overBudget(peer: PeerId): void {
    const count = this.overBudgets.increment(peer.toString(), Date.now());
    if (count >= this.threshold && this.host.getConnections(peer).length > 0)
      this.host.hangUp(peer).catch(() => undefined);
  }

  /** The identity-budget key of the IP `peer` is connected from (none when it is not connected). */
  private ipOf(peer: PeerId): string | undefined {
    const connection = this.host.getConnections(peer)[0];
    return connection === undefined ? undefined : identityBudgetKey(connection.remoteAddr);
  }
}

/** Why a condemned peer's connections were aborted (libp2p logs it). */
const CONDEMNED = "hung up: invalid gossip messages";

const guards = new WeakMap<CheckerHost, GraylistHangUp>();

/** The host's one GraylistHangUp (shared by its topics: gossipsub counts invalid messages of every topic). */
function guardOf(host: CheckerHost): GraylistHangUp {
  let guard = guards.get(host);
  if (guard === undefined) {
    guard = new GraylistHangUp(host);
    guards.set(host, guard);
  }
  return guard;
}

/** What each topic's validator reports its senders' verdicts to (processor/gossipValidatorFn.ts). */
export function graylistHangUp(host: CheckerHost): GossipPeerVerdicts {
  return guardOf(host);
}

/** Counts a message of `peer` turned away over its validation budget against it (GraylistHangUp.overBudget). */
export function countOverBudget(host: CheckerHost, peer: PeerId): void {
  guardOf(host).overBudget(peer);
}
