import type { PeerId } from "@libp2p/interface";
import type { CheckerHost } from "../host.ts";

/** The remote IP of the connection `peer` sent on (the first one), from its multiaddr: the key of its IP's validation budget. */
export function remoteIp(host: CheckerHost, peer: PeerId): string | undefined {
  const addr = host.getConnections(peer)[0]?.remoteAddr;
  return addr?.getComponents().find((c) => c.name === "ip4" || c.name === "ip6")?.value;
}
