import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { NodeStatus } from "../../src/api/server.ts";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/logger.ts";
import { CheckerNode } from "../../src/node.ts";
import { makeChecker } from "../utils/fixtures.ts";
import { freePort } from "../utils/freePort.ts";

async function node(extra: Record<string, unknown> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "checker-node-"));
  const config = loadConfig({
    env: {},
    flags: {
      dataDir,
      listen: ["/ip4/127.0.0.1/tcp/0"],
      apiPort: await freePort(),
      dht: false,
      nat: false,
      genesisMs: Date.now() - 25_000,
      epochSeconds: 10,
      ...extra,
    },
  });
  const me = await makeChecker();
  return CheckerNode.create({
    config,
    logger: createLogger({ level: "silent", pretty: false }),
    operatorSecretKey: me.secretKey,
    allowPrivateAddresses: true,
  });
}

describe("CheckerNode + status API", () => {
  it("serves /status and /metrics on loopback, and two nodes find each other through bootstrap", async () => {
    const a = await node();
    await a.start();
    const b = await node({ bootstrap: a.host.getMultiaddrs().map(String) });
    await b.start();
    try {
      expect(a.api!.url()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      await expect
        .poll(
          async () => ((await (await fetch(`${b.api!.url()}/status`)).json()) as NodeStatus).peers.count,
          {
            timeout: 5_000,
          },
        )
        .toBe(1);
      const status = (await (await fetch(`${a.api!.url()}/status`)).json()) as NodeStatus;
      expect(status.peerId).toBe(a.host.peerId.toString());
      expect(status.operatorPublicKey).toMatch(/^0x[0-9a-f]{96}$/);
      expect(status.epoch.current).toBe("3");
      expect(status.gossip.topics).toEqual(["/checkernet/1/attestations/abi"]);
      expect(status.listen.every((l) => l.startsWith("/ip4/127.0.0.1/"))).toBe(true);

      const metrics = await fetch(`${a.api!.url()}/metrics`);
      expect(metrics.headers.get("content-type")).toMatch(/^text\/plain/);
      const text = await metrics.text();
      // Every metric carries its HELP line.
      const names = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
      const helped = new Set([...text.matchAll(/^# HELP (\S+) \S/gm)].map((m) => m[1]));
      expect(names.size).toBeGreaterThan(10);
      expect([...names].filter((n) => !helped.has(n))).toEqual([]);
      expect(text).toContain("checker_peers 1");

      expect((await fetch(`${a.api!.url()}/nope`)).status).toBe(404);
      expect((await fetch(`${a.api!.url()}/status`, { method: "POST" })).status).toBe(405);
    } finally {
      await b.stop();
      await a.stop();
    }
  });

  it("stops gracefully and reopens its database", async () => {
    const n = await node();
    await n.start();
    await n.db.putMeta("k", "v");
    await n.stop();
    const again = await node({ dataDir: n.config.dataDir });
    expect(await again.db.getMeta("k")).toBe("v");
    expect(again.host.peerId.toString()).toBe(n.host.peerId.toString());
    await again.stop();
  });
});
