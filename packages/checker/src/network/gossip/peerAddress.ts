import type { PeerId } from "@libp2p/interface";
import { type CheckerHost, peerScore } from "../host.ts";

/**
 * The gossipsub score from which a peer is proven: two valid first deliveries (0.5 each,
 * network/gossip/scoring.ts), or about 7 minutes in the mesh (0.03 per 12 s) without an invalid message.
 */
const PROVEN_PEER_SCORE = 1;

/** The remote IP of the connection `peer` sent on (the first one), from its multiaddr. */
function remoteIp(host: CheckerHost, peer: PeerId): string | undefined {
  const addr = host.getConnections(peer)[0]?.remoteAddr;
  return addr?.getComponents().find((c) => c.name === "ip4" || c.name === "ip6")?.value;
}

/**
 * Whose validation budget a message from `peer` draws on (validation/validationBudget.ts): its
 * peer id's always, and its IP's while the peer has not earned PROVEN_PEER_SCORE. A
 * proven peer (valid first deliveries, time in mesh) is bounded by its own bucket only, so a
 * Sybil flood from its IP (a devnet's loopback, a shared NAT) cannot starve it; one invalid
 * message (-100) puts it back on its IP's bucket.
 */
export function budgetSender(host: CheckerHost, peer: PeerId): { peer: string; ip?: string } {
  const id = peer.toString();
  if (peerScore(host, id) >= PROVEN_PEER_SCORE) return { peer: id };
  const ip = remoteIp(host, peer);
  return ip === undefined ? { peer: id } : { peer: id, ip };
}
