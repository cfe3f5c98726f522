import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { NodeStatus } from "../../../src/api/status.ts";
import { fetchRewardTotals, formatRewardTotals, formatStatus } from "../../../src/cli/statusView.ts";

function status(overrides: Partial<NodeStatus> = {}): NodeStatus {
  return {
    version: "0.1.0",
    peerId: "12D3KooWNJT83cfxaQNxrxkxwstYQuvMmuKyQ1vvoyKy6knET4HA",
    operatorPublicKey: "0xb3",
    listen: ["/ip4/127.0.0.1/tcp/9000"],
    peers: { count: 5, ids: [], connections: [] },
    nat: { enabled: false, reachability: "disabled", publicAddresses: [] },
    epoch: { current: "12", genesisMs: 0, epochSeconds: 20, phase: "PUBLISH", nextPhaseInMs: 4_200 },
    gossip: { topics: [], accepted: 40, rejected: 1, ignored: 2, meshPeers: 4 },
    seats: {
      epoch: "12",
      total: 3,
      providers: [{ provider: "0x545CBcF10198B376146E46deAe741EF9C694aBDA", seats: 2 }],
    },
    attestations: {
      seen: 44,
      lastOwn: [
        { epoch: "12", provider: "0x545CBcF10198B376146E46deAe741EF9C694aBDA", result: 0 },
        { epoch: "12", provider: "0x736F4EBab6F6AE08c4511fb88a71b667348b753f", result: 1 },
      ],
      skipped: [{ provider: "0x4e9DcE1EAF001694D7C8C105f3431575D5408055", reason: "dial timed out" }],
    },
    challenges: [
      { kind: "matmul", result: "pass", count: 4 },
      { kind: "vram", result: "abstained", count: 1 },
      { kind: "vram", result: "pass", count: 7 },
    ],
    pendingReports: 0,
    reports: {
      aggregator: true,
      submitter: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
      role: { epoch: "12", rank: 1, leader: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", candidates: 6 },
      recent: [
        {
          epoch: "11",
          role: "aggregator",
          status: "submitted",
          txHash: `0x${"ab".repeat(32)}`,
          gasUsed: "341923",
          signers: 7,
          error: null,
        },
      ],
    },
    operator: {
      address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
      registered: true,
      keyMatches: true,
      licenses: 2,
      licenseIds: ["1", "4"],
      delegated: 2,
    },
    seeds: { revealed: 1, last: { epoch: "11", seedEpoch: "12", outcome: "revealed" } },
    chain: { rpcUrl: "http://127.0.0.1:8545", connected: true, lastError: null },
    alerts: [],
    uptimeSeconds: 3_725,
    ...overrides,
  };
}

describe("checker status summary", () => {
  it("says what the node is doing: health, epoch, seats, attestations by name, reports with gas", () => {
    const text = formatStatus(status());
    expect(text.split("\n")[0]).toBe("OK: no alerts");
    expect(text).toContain("up 1h 2m");
    expect(text).toMatch(/chain:\s+connected \(http:\/\/127\.0\.0\.1:8545\)/);
    expect(text).toMatch(/licenses 2 \(#1, #4\)/);
    expect(text).toMatch(/seeds:\s+1 revealed as seed proposer; last: epoch 11 \(seed of 12\) revealed/);
    expect(text).toMatch(/peers:\s+5 connected, 4 in the gossip mesh/);
    expect(text).toMatch(/epoch:\s+12 \(publish phase, next phase in 5s; 20s epochs\)/);
    expect(text).toMatch(/seats:\s+epoch 12: 3 on 1 provider/);
    expect(text).toContain("0x545CBcF10198B376146E46deAe741EF9C694aBDA: pass");
    // The second attestation continues the first under its label, with no lone ":".
    expect(text).toContain("\n              epoch 12 0x736F4EBab6F6AE08c4511fb88a71b667348b753f: fail\n");
    expect(text).toMatch(/skipped:\s+0x4e9DcE1EAF001694D7C8C105f3431575D5408055: dial timed out/);
    // Runs this machine's own lag could have failed are counted, not attested.
    expect(text).toMatch(/challenges:\s+matmul 4 pass; vram 1 abstained, 7 pass/);
    expect(text).toMatch(/aggregator:\s+on \(pays from 0x7099.*\); epoch 12: backup #1/);
    expect(text).toMatch(/epoch 11 aggregator submitted, gas 341923, tx 0xabababab/);
  });

  it("prints one fraud-proof line when the node reports them", () => {
    const counts = { built: 2, pending: 0, landed: 1, alreadySlashed: 1, rejected: 0, expired: 0 };
    const text = formatStatus({ ...status(), fraudProofs: { ...counts, submitting: true } });
    expect(text).toMatch(/fraud proofs:\s+2 built, 1 landed, 1 already slashed, 0 pending\n/);
    const idle = formatStatus({ ...status(), fraudProofs: { ...counts, submitting: false } });
    expect(idle).toMatch(/fraud proofs:.*\(not submitting: no FraudProofs address or transaction key\)/);
  });

  it("lists the epochs whose report never landed (reports.unreported)", () => {
    const base = status();
    expect(formatStatus(base)).not.toMatch(/unreported:/);
    const text = formatStatus({ ...base, reports: { ...base.reports, unreported: ["5", "6"] } });
    expect(text).toMatch(/unreported:\s+epoch\(s\) 5, 6: no report landed in time, rewards lost\n/);
  });

  it("puts alerts first and says when the chain is down", () => {
    const text = formatStatus(
      status({
        alerts: [
          {
            code: "RPC_DOWN",
            severity: "critical",
            message: "cannot reach the chain",
          } as NodeStatus["alerts"][number],
        ],
        chain: { rpcUrl: "http://127.0.0.1:1", connected: false, lastError: "fetch failed" },
      }),
    );
    expect(text.split("\n")[0]).toBe("ALERT RPC_DOWN: cannot reach the chain");
    expect(text).toMatch(/chain:\s+DOWN \(http:\/\/127\.0\.0\.1:1\): fetch failed/);
  });

  it("prints token amounts in tokens with two decimals (protocol's formatTokens) and says when no reward history is served", () => {
    expect(
      formatRewardTotals({
        earned: "2500000000000000000",
        claimed: "0",
        unclaimed: "2500000000000000000",
        epochs: 3,
      }),
    ).toMatch(/rewards:\s+earned 2\.50 over 3 epoch\(s\), claimed 0\.00, unclaimed 2\.50/);
    expect(
      formatRewardTotals({
        earned: "2500000000000000000",
        claimed: "0",
        unclaimed: "2500000000000000000",
        locked: "1000000000000000000",
        epochs: 3,
      }),
    ).toMatch(/unclaimed 2\.50 of which 1\.00 locked/);
    expect(formatRewardTotals({ unavailable: "why" })).toMatch(/^rewards:\s+unavailable \(why\)\n$/);
  });
});

describe("checker status: why the reward totals are unavailable", () => {
  let server: Server | undefined;
  afterEach(() => {
    server?.closeAllConnections();
    server?.close();
    server = undefined;
  });

  /** A real HTTP server on loopback standing in for a node's API; `answer` undefined never answers. */
  async function nodeApi(
    answer: ((res: import("node:http").ServerResponse) => void) | undefined,
  ): Promise<string> {
    server = createServer((_req, res) => answer?.(res));
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it("a node too busy to answer in time is named as such, not as a node without history", async () => {
    const base = await nodeApi(undefined);
    const t = await fetchRewardTotals(base, 200);
    expect(formatRewardTotals(t)).toBe(
      `rewards:      unavailable (${base}/history did not answer within 0.2 s (a busy node; run it again))\n`,
    );
  });

  it("a 503 passes the node's own reason through", async () => {
    const base = await nodeApi((res) => {
      res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "no chain or operator configured: nothing landed to show" }));
    });
    expect(formatRewardTotals(await fetchRewardTotals(base, 5_000))).toMatch(
      /unavailable \(the node serves no reward history: no chain or operator configured: nothing landed to show\)/,
    );
  });

  it("totals are read from a 200", async () => {
    const base = await nodeApi((res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ totals: { earned: "3", claimed: "1", unclaimed: "2" }, rewards: [{}, {}] }));
    });
    expect(await fetchRewardTotals(base, 5_000)).toEqual({
      earned: "3",
      claimed: "1",
      unclaimed: "2",
      epochs: 2,
    });
  });
});
