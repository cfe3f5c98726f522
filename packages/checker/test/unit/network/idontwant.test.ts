/**
 * Gossipsub v1.2's IDONTWANT is off for our messages (network/host.ts, idontwantMinDataSize): a node
 * that receives an attestation (640 bytes, over the library's 512-byte default) must not send an
 * IDONTWANT to each of its other mesh peers before it has even validated it. Under a Sybil flood
 * that multiplied every invalid message by the mesh degree on every receiver (issue 14).
 */
import { signedAttestationCodec } from "@checkernet/protocol/encoding/attestation";
import { afterEach, describe, expect, it } from "vitest";
import { GossipTopic } from "../../../src/network/gossip/topics.ts";
import type { CheckerHost } from "../../../src/network/host.ts";
import { loopbackHost, stopHosts } from "../../utils/hosts.ts";

const hosts: CheckerHost[] = [];
afterEach(async () => {
  await stopHosts(hosts);
});

/** Counts the IDONTWANT control messages a host's gossipsub handles. */
function countIdontwants(h: CheckerHost): () => number {
  const pubsub = h.services.pubsub as unknown as { handleIdontwant(id: string, m: unknown[]): void };
  const original = pubsub.handleIdontwant.bind(pubsub);
  let n = 0;
  pubsub.handleIdontwant = (id, m) => {
    n += m.length;
    original(id, m);
  };
  return () => n;
}

describe("gossipsub IDONTWANT", () => {
  it("a full-size attestation relayed in a mesh of three makes no node send an IDONTWANT", async () => {
    const topic = GossipTopic.ATTESTATION;
    const [a, b, c] = await Promise.all([0, 1, 2].map(() => loopbackHost({ heartbeatIntervalMs: 100 })));
    hosts.push(a!, b!, c!);
    for (const h of hosts) h.services.pubsub.subscribe(topic);
    await b!.dial(a!.getMultiaddrs()[0]!);
    await c!.dial(a!.getMultiaddrs()[0]!);
    await c!.dial(b!.getMultiaddrs()[0]!);
    // The mesh (not the typed interface's part): IDONTWANTs go to mesh peers.
    const meshOf = (h: CheckerHost) =>
      (h.services.pubsub as unknown as { getMeshPeers(t: string): string[] }).getMeshPeers(topic);
    await expect.poll(() => hosts.every((h) => meshOf(h).length === 2), { timeout: 10_000 }).toBe(true);
    const seen = [b!, c!].map(countIdontwants);
    const received = [b!, c!].map(
      (h) =>
        new Promise<void>((resolve) =>
          h.services.pubsub.addEventListener("message", (e) => e.detail.topic === topic && resolve()),
        ),
    );
    const data = new Uint8Array(signedAttestationCodec.maxBytes).fill(7);
    await a!.services.pubsub.publish(topic, data);
    await Promise.all(received);
    // Each of b and c would have sent its IDONTWANT to the other on receipt; give them time to arrive.
    await new Promise((r) => setTimeout(r, 500));
    expect(seen.map((f) => f())).toEqual([0, 0]);
  }, 30_000);
});
