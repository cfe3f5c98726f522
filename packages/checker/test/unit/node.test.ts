import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ReasonCode } from "@checkernet/protocol/challenges/common";
import { evaluateTranscript, transcriptCodec } from "@checkernet/protocol/challenges/transcript";
import { withParams } from "@checkernet/protocol/params";
import { CheckResult } from "@checkernet/protocol/types";
import { createLogger } from "@checkernet/runtime";
import { describe, expect, it } from "vitest";
import type { NodeStatus } from "../../src/api/server.ts";
import { loadConfig } from "../../src/config.ts";
import { CheckerNode } from "../../src/node.ts";
import { StaticKeyDirectory } from "../../src/validation/keyDirectory.ts";
import { StaticProviderDirectory } from "../../src/validation/providerDirectory.ts";
import { StaticEpochSeeds } from "../../src/validation/sortition.ts";
import { startChallengeServer } from "../utils/challengeServer.ts";
import { DOMAIN, makeChecker, randomAddress, seedFor } from "../utils/fixtures.ts";
import { freePort } from "../utils/freePort.ts";
import { loopbackHost } from "../utils/hosts.ts";

/** Reasons an honest provider answering correctly but late can get; anything else is a bug. */
const LATE_ANSWER: ReadonlySet<string> = new Set([
  ReasonCode.DEADLINE_EXCEEDED,
  ReasonCode.P95_ABOVE_LIVENESS_THRESHOLD,
]);

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
      expect(status.gossip.topics.sort()).toEqual([
        "/checkernet/1/attestations/abi",
        "/checkernet/1/equivocations/abi",
      ]);
      expect(status.gossip.equivocations).toBe(0);
      expect(await (await fetch(`${a.api!.url()}/equivocations`)).json()).toEqual([]);
      expect(status.listen.every((l) => l.startsWith("/ip4/127.0.0.1/"))).toBe(true);
      // b dialled a directly: one inbound connection, not through a relay.
      expect(status.peers.connections).toEqual([
        expect.objectContaining({ peer: b.host.peerId.toString(), direction: "inbound", limited: false }),
      ]);

      const metrics = await fetch(`${a.api!.url()}/metrics`);
      expect(metrics.headers.get("content-type")).toMatch(/^text\/plain/);
      const text = await metrics.text();
      // Every metric carries its HELP line.
      const names = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
      const helped = new Set([...text.matchAll(/^# HELP (\S+) \S/gm)].map((m) => m[1]));
      expect(names.size).toBeGreaterThan(10);
      expect([...names].filter((n) => !helped.has(n))).toEqual([]);
      expect(text).toContain("checker_peers 1");
      // The alerts of /status, one series each, for operators watching many nodes in Grafana.
      const alerts = [...text.matchAll(/^checker_alerts\{code="(\w+)",severity="(\w+)"\} 1$/gm)].map(
        (m) => m[1],
      );
      expect(alerts.sort()).toEqual(status.alerts.map((x) => x.code).sort());

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

  it("runs its checking duty on its own: challenges a provider and gossips the attestation in the publish phase", async () => {
    const params = withParams({
      pingCount: 3,
      pingIntervalMs: 10,
      pingTimeoutMs: 300,
      matmulSize: 16,
      vramBlockSize: 64,
      vramWalkSteps: 8,
      vramSampledBlocks: 2,
    });
    const providerHost = await loopbackHost();
    await startChallengeServer(providerHost, "honest");
    const providerAddr = randomAddress();
    const me = await makeChecker(1);
    const keys = new StaticKeyDirectory([me], [providerAddr]);
    const seeds = new StaticEpochSeeds(
      Array.from({ length: 20 }, (_, i) => [BigInt(i + 1), seedFor(BigInt(i + 1))]),
    );
    const providers = new StaticProviderDirectory([
      {
        address: providerAddr,
        peerId: providerHost.peerId.toString(),
        multiaddrs: providerHost.getMultiaddrs().map(String),
        classId: 1,
        region: 0,
        vramBytes: 4096,
        vramSalt: seedFor(0n),
      },
    ]);
    const dataDir = mkdtempSync(join(tmpdir(), "checker-node-"));
    // 3-second epochs, starting 0.2 s ago: the publish phase opens 1.8 s in.
    const flags = {
      dataDir,
      listen: ["/ip4/127.0.0.1/tcp/0"],
      apiPort: 0,
      dht: false,
      nat: false,
      genesisMs: Date.now() - 200,
      epochSeconds: 3,
      operatorAddress: me.address,
      chainId: "31337",
      verifyingContract: DOMAIN.verifyingContract,
    };
    const a = await CheckerNode.create({
      config: loadConfig({ env: {}, flags }),
      logger: createLogger({ level: "silent", pretty: false }),
      operatorSecretKey: me.secretKey,
      keys,
      epochs: seeds,
      providers,
      params,
    });
    const b = await CheckerNode.create({
      config: loadConfig({
        env: {},
        flags: {
          ...flags,
          dataDir: mkdtempSync(join(tmpdir(), "checker-node-")),
          operatorAddress: undefined,
        },
      }),
      logger: createLogger({ level: "silent", pretty: false }),
      keys,
      epochs: seeds,
      params,
      heartbeatIntervalMs: 100,
    });
    expect(a.duty).toBeDefined();
    expect(b.duty).toBeUndefined();
    await b.start();
    await a.start();
    try {
      await a.host.dial(b.host.getMultiaddrs()[0]!);
      // Two or more epochs' runs: the honest provider shares this test's process, so on a starved CI core one run can
      // miss a deadline (CI on 1b56cce). Each signed result must be what its stored transcript says, a miss
      // must be a late answer (never a content failure or no answer at all), and at least one run must PASS.
      const mine = async () => {
        const all = await Promise.all([1n, 2n, 3n, 4n].map((e) => b.db.attestationsOfEpoch(e)));
        return all.flat().filter((s) => s.attestation.checker === me.address);
      };
      await expect.poll(async () => (await mine()).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
      const results: number[] = [];
      for (const got of await mine()) {
        const stored = await a.db.getTranscript(got.attestation.transcriptHash);
        expect(stored).toBeDefined();
        const outcome = evaluateTranscript(transcriptCodec.decode(stored!), params);
        expect(got.attestation.result).toBe(outcome.result);
        const codes = outcome.reasons.map((r) => r.code);
        if (outcome.result !== CheckResult.PASS)
          expect(
            codes.every((c) => LATE_ANSWER.has(c)),
            JSON.stringify(outcome.reasons),
          ).toBe(true);
        results.push(outcome.result);
      }
      expect(results).toContain(CheckResult.PASS);
    } finally {
      await a.stop();
      await b.stop();
      await providerHost.stop();
    }
  });
});
