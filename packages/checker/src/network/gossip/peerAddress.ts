import type { Connection, PeerId } from "@libp2p/interface";
import { type CheckerHost, peerScore } from "../host.ts";

/**
 * The gossipsub score from which a peer is proven: two valid first deliveries (0.5 each,
 * network/gossip/scoring.ts), or about 7 minutes in the mesh (0.03 per 12 s) without an invalid message.
 */
const PROVEN_PEER_SCORE = 1;
/** Remote IPs remembered per host (the least recently seen dropped first): as many as the budget's buckets. */
const MAX_REMEMBERED_IPS = 4_096;
/**
 * The IP bucket of a sender whose IP is not known (no connection now and none remembered): all such
 * senders share it, so a peer cannot leave the per-IP budget by hanging up before its messages are validated.
 */
const UNKNOWN_IP = "unknown";

function ipOf(connection: Connection | undefined): string | undefined {
  return connection?.remoteAddr.getComponents().find((c) => c.name === "ip4" || c.name === "ip6")?.value;
}

/**
 * Remote IPs by peer id, recorded when a connection opens and kept after it closes (bounded). Messages
 * are validated after they arrive, behind whatever the event loop has queued: the Sybil drill (issue 14,
 * test/chaos/sybilFlood.ts) retires each identity right after its 100th message, and with the
 * loop lagging 1 s most of them were validated after the connection had closed, when its IP could no
 * longer be read, so they drew on their fresh peer bucket only (362-387 reached BLS per node against an
 * IP budget of 201).
 */
class PeerIps {
  private readonly ips = new Map<string, string>();

  constructor(host: CheckerHost) {
    host.addEventListener("connection:open", (evt) =>
      this.remember(evt.detail.remotePeer.toString(), ipOf(evt.detail)),
    );
  }

  /** The IP `peer` is connected from now, or was last. */
  of(host: CheckerHost, peer: PeerId): string | undefined {
    const id = peer.toString();
    const live = ipOf(host.getConnections(peer)[0]);
    if (live !== undefined) this.remember(id, live);
    return live ?? this.ips.get(id);
  }

  private remember(id: string, ip: string | undefined): void {
    if (ip === undefined) return;
    this.ips.delete(id);
    this.ips.set(id, ip);
    if (this.ips.size > MAX_REMEMBERED_IPS) {
      const oldest = this.ips.keys().next().value;
      if (oldest !== undefined) this.ips.delete(oldest);
    }
  }
}

const peerIps = new WeakMap<CheckerHost, PeerIps>();

function remoteIp(host: CheckerHost, peer: PeerId): string {
  let ips = peerIps.get(host);
  if (ips === undefined) {
    ips = new PeerIps(host);
    peerIps.set(host, ips);
  }
  return ips.of(host, peer) ?? UNKNOWN_IP;
}

/**
 * Whose validation budget a message from `peer` draws on (validation/validationBudget.ts): its
 * peer id's always, and its IP's while the peer has not earned PROVEN_PEER_SCORE. A
 * proven peer (valid first deliveries, time in mesh) is bounded by its own bucket only, so a
 * Sybil flood from its IP (a devnet's loopback, a shared NAT) cannot starve it; one invalid
 * message (-100) puts it back on its IP's bucket. The IP is the one the peer connected from, also
 * when it has hung up since (PeerIps).
 */
export function budgetSender(host: CheckerHost, peer: PeerId): { peer: string; ip?: string } {
  const id = peer.toString();
  if (peerScore(host, id) >= PROVEN_PEER_SCORE) return { peer: id };
  return { peer: id, ip: remoteIp(host, peer) };
}
