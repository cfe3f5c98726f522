import { afterEach, describe, expect, it } from "vitest";
import type { CheckerHost } from "../../../src/network/host.ts";
import { loopbackHost, stopHosts } from "../../utils/hosts.ts";

const hosts: CheckerHost[] = [];
afterEach(async () => {
  await stopHosts(hosts);
});

async function host(bootstrap: string[] = []): Promise<CheckerHost> {
  // Every service on, as a node runs by default.
  const h = await loopbackHost({ bootstrap, dht: true, nat: true, heartbeatIntervalMs: 100 });
  hosts.push(h);
  return h;
}

describe("createHost", () => {
  it("listens only on loopback and runs every configured service", async () => {
    const a = await host();
    const addrs = a.getMultiaddrs().map((m) => m.toString());
    expect(addrs.length).toBeGreaterThan(0);
    for (const addr of addrs) expect(addr.startsWith("/ip4/127.0.0.1/tcp/")).toBe(true);
    expect(a.services.pubsub).toBeDefined();
    expect(a.services.dht).toBeDefined();
    expect(a.services.autonat).toBeDefined();
    expect(a.services.dcutr).toBeDefined();
    expect(a.getProtocols()).toContain("/ipfs/ping/1.0.0");
    expect(a.getProtocols()).toContain("/checkernet/kad/1.0.0");
  });

  it("finds a bootstrap peer, connects over Noise + Yamux and pings it", async () => {
    const a = await host();
    const b = await host(a.getMultiaddrs().map((m) => m.toString()));
    await expect.poll(() => b.getPeers().map(String), { timeout: 5_000 }).toContain(a.peerId.toString());
    const conn = b.getConnections(a.peerId)[0]!;
    expect(conn.encryption).toBe("/noise");
    expect(conn.multiplexer).toBe("/yamux/1.0.0");
    const rtt = await b.services.ping.ping(a.peerId);
    expect(rtt).toBeGreaterThanOrEqual(0);
  });
});
