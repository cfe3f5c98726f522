import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { CheckerHost } from "../../../src/network/host.ts";
import { loopbackHost, stopHosts } from "../../utils/hosts.ts";

const ROOT = join(import.meta.dirname, "../../../../..");
const HOOKS = pathToFileURL(join(ROOT, "packages/checker/bin/ts-hooks.js")).href;
const HOST_SRC = pathToFileURL(join(ROOT, "packages/checker/src/network/host.ts")).href;

/** The optional libp2p packages a fresh process loads to build (not start) a host with `options`. */
function optionalPackagesLoaded(options: string): string[] {
  const script = `import { registerHooks } from "node:module";
import { generateKeyPair } from "@libp2p/crypto/keys";
const seen = new Set();
const optional = ["@libp2p/kad-dht", "@libp2p/mdns", "@libp2p/autonat", "@libp2p/dcutr", "@libp2p/circuit-relay-v2"];
registerHooks({ resolve(spec, ctx, next) { const r = next(spec, ctx); for (const p of optional) if (r.url.includes("/node_modules/" + p + "/")) seen.add(p); return r; } });
const { createHost } = await import(${JSON.stringify(HOST_SRC)});
await createHost({ privateKey: await generateKeyPair("Ed25519"), listen: ["/ip4/127.0.0.1/tcp/0"], start: false, ...${options} });
process.stdout.write(JSON.stringify([...seen].sort()));`;
  const res = spawnSync(process.execPath, ["--import", HOOKS, "--input-type=module", "-e", script], {
    cwd: join(ROOT, "packages/checker"),
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(res.status, res.stderr).toBe(0);
  return JSON.parse(res.stdout) as string[];
}

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

  it("loads kad-dht, mDNS and the NAT stack only when they are configured", () => {
    expect(optionalPackagesLoaded("{ dht: false, nat: false, mdns: false }")).toEqual([]);
    expect(optionalPackagesLoaded("{ dht: true, nat: true, mdns: true }")).toEqual([
      "@libp2p/autonat",
      "@libp2p/circuit-relay-v2",
      "@libp2p/dcutr",
      "@libp2p/kad-dht",
      "@libp2p/mdns",
    ]);
  });

  it("serves the DHT on a LAN, and only asks through it behind NAT", async () => {
    const lan = await host();
    expect(lan.services.dht?.getMode()).toBe("server");
    const natted = await loopbackHost({ dht: true, allowPrivateAddresses: false, reachability: "private" });
    hosts.push(natted);
    expect(natted.services.dht?.getMode()).toBe("client");
  });
});
