import { CHALLENGE_PROTOCOL, CHALLENGE_PROTOCOL_1_0 } from "@checkernet/wire";
import type { Connection, PeerId } from "@libp2p/interface";
import { isMultiaddr, type Multiaddr } from "@multiformats/multiaddr";

/** What {@link ProviderLinks} needs of the libp2p host. */
export interface LinkHost {
  getConnections(peer?: PeerId): Connection[];
}

/**
 * Protocols whose streams may still be open on a provider connection after a run without making it
 * worth keeping: the run's own (closed as it ends, streamEnd.ts) and libp2p's identify and ping, which
 * come with every connection. A connection carrying anything else (a peer that also gossips) is kept.
 */
const RUN_ONLY_PROTOCOLS = new Set([
  CHALLENGE_PROTOCOL,
  CHALLENGE_PROTOCOL_1_0,
  "/ipfs/id/1.0.0",
  "/ipfs/id/push/1.0.0",
  "/ipfs/ping/1.0.0",
]);

/**
 * Hangs up a provider once this checker's runs against it are over. A checker talks to each provider
 * of its committees once an epoch (a run, sometimes a second one after a pause), so a connection kept
 * between runs sits idle for most of the epoch while costing memory (Noise and Yamux state, buffers,
 * libp2p's records of it) and the connection manager's pings; with 100 providers it also took the
 * connection manager over its limit (64), which then closed connections of its own choosing, gossip
 * peers included. Dialling again next epoch costs one Noise handshake (docs/footprint.md weighs it).
 */
export class ProviderLinks {
  /** Runs in flight per peer: a connection is closed only when the last one ends. */
  private readonly inFlight = new Map<string, number>();
  /** Hang-ups still in progress per peer, which a run to that peer waits out before it dials. */
  private readonly closing = new Map<string, Promise<void>>();

  private readonly host: LinkHost;

  constructor(host: LinkHost) {
    this.host = host;
  }

  /** Runs `run` against `peer` and closes the connections it leaves idle once no other run needs them. */
  async during<T>(peer: PeerId | Multiaddr, run: () => Promise<T>): Promise<T> {
    const key = peerKey(peer);
    this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1);
    try {
      // A dial while our own hang-up is in progress gets the closing connection back from libp2p (it
      // keeps tracking a connection until it has closed, and hands that one out for the same address),
      // so the run's streams would fail to open and an honest provider would be failed for it.
      await this.closing.get(key);
      return await run();
    } finally {
      const left = (this.inFlight.get(key) ?? 1) - 1;
      if (left > 0) this.inFlight.set(key, left);
      else {
        this.inFlight.delete(key);
        this.closeIdle(key);
      }
    }
  }

  private closeIdle(key: string): void {
    const closes = this.host
      .getConnections()
      .filter((c) => c.remotePeer.toString() === key)
      .filter((c) => c.streams.every((s) => RUN_ONLY_PROTOCOLS.has(s.protocol ?? "")))
      // libp2p bounds a graceful close (1 s by default) and rejects past it: cut the connection then,
      // so the runs waiting on this hang-up wait no longer. Aborting a connection already gone is a no-op.
      .map((c) => c.close().catch((e: unknown) => c.abort(e as Error)));
    if (closes.length === 0) return;
    const closed = Promise.all(closes).then(() => {
      if (this.closing.get(key) === closed) this.closing.delete(key);
    });
    this.closing.set(key, closed);
  }
}

/** The peer id a target names: the PeerId, or the /p2p/ part of a multiaddr (its text when it has none). */
function peerKey(peer: PeerId | Multiaddr): string {
  if (!isMultiaddr(peer)) return peer.toString();
  return peer.getComponents().findLast((c) => c.name === "p2p")?.value ?? peer.toString();
}
