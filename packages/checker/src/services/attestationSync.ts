import { peerIdFromString } from "@libp2p/peer-id";
import { AttestationSync } from "../duties/attestationSync.ts";
import { defaultBackupStepMs } from "../duties/leader/timing.ts";
import { GossipTopic } from "../network/gossip/topics.ts";
import {
  ATTESTATION_SYNC_PROTOCOL,
  handleAttestationSync,
  requestAttestations,
} from "../network/reqresp/attestations.ts";
import type { NodeComponents } from "./components.ts";
import { attestationValidation } from "./gossip.ts";
import type { NodeService } from "./service.ts";

/**
 * Attestation sync (docs/protocol/attestation-sync.md): serves the epoch's stored attestations a
 * peer lacks over `/checkernet/attestations/1.0.0`, and syncs the current and previous epoch at
 * start; the aggregator and the co-signer sync through `sync` before they lead or judge.
 */
export class AttestationSyncService implements NodeService {
  readonly sync: AttestationSync;
  private readonly components: NodeComponents;

  constructor(components: NodeComponents) {
    const c = components;
    this.components = c;
    this.sync = new AttestationSync(
      {
        db: c.db,
        logger: c.logger.child({ service: "attestation-sync" }),
        clock: c.clock,
        validation: attestationValidation(c),
        peers: () => syncPeers(c),
        fetch: (peer, request, timeoutMs) =>
          requestAttestations(c.host, peerIdFromString(peer), request, { timeoutMs }),
      },
      // Half a backup step (at least 0.5 s, at most 3 s): the leader's sync delays its proposal.
      { deadlineMs: Math.min(3_000, Math.max(500, defaultBackupStepMs(c.clock) / 2)) },
    );
  }

  async start(): Promise<void> {
    const { host, db, domain, logger, clock } = this.components;
    await handleAttestationSync(host, {
      db,
      domain,
      logger: logger.child({ service: "attestation-sync" }),
      epochMs: clock.epochSeconds * 1_000,
    });
    this.sync.start();
  }

  async stop(): Promise<void> {
    await this.sync.stop();
    await this.components.host.unhandle(ATTESTATION_SYNC_PROTOCOL);
  }
}

/**
 * Connected peers on the attestation topic (checkers: providers do not subscribe), else every
 * connected peer (a node that just started may not know the subscriptions yet; a peer without the
 * protocol answers UNREACHABLE at once, and is not dropped). Newest connection first: a peer that
 * just restarted or whose partition just healed holds what gossip did not deliver (AttestationSync
 * always asks the first).
 */
function syncPeers(c: NodeComponents): string[] {
  const subscribed = new Set(c.host.services.pubsub.getSubscribers(GossipTopic.ATTESTATION).map(String));
  const opened = new Map<string, number>();
  for (const conn of c.host.getConnections()) {
    const peer = conn.remotePeer.toString();
    opened.set(peer, Math.max(opened.get(peer) ?? 0, conn.timeline.open));
  }
  const connected = [...opened.keys()].sort((a, b) => (opened.get(b) ?? 0) - (opened.get(a) ?? 0));
  const checkers = connected.filter((p) => subscribed.has(p));
  return checkers.length > 0 ? checkers : connected;
}
