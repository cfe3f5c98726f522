import { withParams } from "@checkernet/protocol/params";
import type { SignedAttestation } from "@checkernet/protocol/types";
import { createLogger } from "@checkernet/runtime";
import { fetchReport } from "@checkernet/wire";
import { peerIdFromString } from "@libp2p/peer-id";
import type { Address, PublicClient } from "viem";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { isolateTests, type TestChain } from "../../../../contracts/test/helpers/chain.ts";
import type { Fixture } from "../../../../contracts/test/helpers/fixture.ts";
import { AlertCode, computeAlerts } from "../../../src/api/alerts.ts";
import type { SubmitterWallet } from "../../../src/duties/aggregatorDuty.ts";
import { ReportSync } from "../../../src/duties/reportSync.ts";
import { SlashKeeper } from "../../../src/duties/slashKeeper.ts";
import { createMetrics } from "../../../src/metrics/index.ts";
import { readReportRecord } from "../../../src/reports/aggregatorRecords.ts";
import { type DutyNetwork, type DutyNode, startDutyNetwork } from "../../utils/dutyNetwork.ts";

// Review5 H1 (issue 14): an attacker gets two valid reports of one epoch co-signed by the honest members (R1,
// then R2) and lands R2. A member keeps what it co-signed per (epoch, roots), so whichever co-signed root
// lands, its keeper opens the FAIL from those leaves; a landed root whose leaves no node holds or serves
// raises REPORT_LEAVES_UNAVAILABLE instead of being skipped in silence. Four checkers over real libp2p on
// 127.0.0.1, the real AggregatorDuty, ReportSync and SlashKeeper, Hardhat's EDR chain with the real contracts.

const silent = createLogger({ level: "silent", pretty: false });
const params = withParams({ committeeSize: 8, aggregatorBackups: 3 });

let net: DutyNetwork;
let chain: TestChain;
let fx: Fixture;
let providers: Address[];

beforeAll(async () => {
  net = await startDutyNetwork({
    deploy: { reportCommitteeSize: 16, genesisSeed: `0x${"cd".repeat(32)}` },
    logger: silent,
  });
  ({ chain, fx, providers } = net);
}, 60_000);

afterAll(async () => {
  await net?.stop();
});

isolateTests(() => chain);

afterEach(async () => {
  await net.reset();
});

function nodes(offline: number[] = []) {
  return net.nodes({
    offline,
    duty: (parts) =>
      net.submittingDuty(parts, {
        params,
        logger: silent,
        publicClient: chain.publicClient as PublicClient,
        wallet: parts.checker.wallet as SubmitterWallet,
      }),
  });
}

/** The node's report sync, asking `peers` over `/checkernet/reports/1.0.0` (here none serves it). */
function syncOf(node: DutyNode, peers: DutyNode[], epoch: bigint): ReportSync {
  return new ReportSync(
    {
      db: node.db,
      publicClient: chain.publicClient as PublicClient,
      logger: silent,
      peers: () => peers.map((p) => p.host.peerId.toString()),
      fetchReport: (peer, e) => fetchReport(node.host, peerIdFromString(peer), e, { timeoutMs: 2_000 }),
      currentEpoch: () => epoch,
    },
    { epochReports: fx.deployment.contracts.epochReports, intervalMs: 60_000, lookbackEpochs: 4 },
  );
}

/** The node's keeper, fetching landed leaves it lacks through `sync`, its clock on the chain's epoch. */
function keeperOf(node: DutyNode, sync: ReportSync, epoch: bigint): SlashKeeper {
  return new SlashKeeper(
    {
      db: node.db,
      logger: silent,
      publicClient: chain.publicClient,
      walletClient: node.checker.wallet as SubmitterWallet,
      clock: { currentEpoch: () => epoch, epochSeconds: Number(fx.deployment.epochSeconds) },
      metrics: createMetrics(),
      rankOf: (e) => node.duty.keeperRank(e),
      landedLeaves: async (e) => (await sync.ensure(e)).record,
    },
    {
      slashing: fx.deployment.contracts.slashing,
      epochReports: fx.deployment.contracts.epochReports,
      stepMs: 200,
    },
  );
}

/** Ticks every keeper, in turn, until `done` or `rounds` rounds (each 250 ms apart: a turn step is 200 ms). */
async function tickUntil(keepers: SlashKeeper[], done: () => Promise<boolean>, rounds = 20): Promise<void> {
  for (let r = 0; r < rounds && !(await done()); r++) {
    for (const k of keepers) await k.tick();
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Every checker FAILs provider 1; `omit(i)` is that view without checker i's FAIL (one omission: within maxOmitted). */
async function failingEpoch() {
  const epoch = await fx.c.reports.read.currentEpoch();
  const atts = await net.attestations(epoch, providers[1]);
  const omit = (i: number): SignedAttestation[] =>
    atts.filter(
      (s) => !(s.attestation.provider === providers[1] && s.attestation.checker === net.checkers[i]!.address),
    );
  return { epoch, atts, omit };
}

const pending = () => fx.c.slashing.read.pendingSlashCount([providers[1]!]);

describe("co-signed roots (review5 H1)", () => {
  it("opens the FAIL of a landed report that was not the first one its members co-signed", async () => {
    const all = await nodes();
    const { epoch, atts, omit } = await failingEpoch();
    const honest = all.slice(0, 3);
    const attacker = all[3]!;
    for (const n of honest) await n.db.putAttestations(atts);
    await attacker.db.putAttestations(omit(1));
    // The poison: R1 (without checker 0's FAIL) co-signed by every honest member first.
    const view = omit(0);
    const r1 = await attacker.duty.buildFromView(epoch, view);
    for (const h of honest)
      await h.duty.cosign({ header: r1.header, attestations: view }, attacker.host.peerId);
    // Then the attacker's own round: R2 (without checker 1's FAIL) lands.
    await attacker.duty.runEpoch(epoch, { waitForTurn: false });
    const landed = await fx.c.reports.read.reportOf([epoch]);
    expect(landed.submittedAt).toBeGreaterThan(0n);
    expect(landed.resultsRoot).not.toBe(r1.header.resultsRoot);
    for (const h of honest) await h.duty.runEpoch(epoch, { waitForTurn: false });
    // No honest node's record holds the landed root: each kept R1 (the review's reproduction).
    for (const h of honest)
      expect((await readReportRecord(h.db, epoch))?.header.resultsRoot).toBe(r1.header.resultsRoot);
    expect(await pending()).toBe(0n);

    const syncs = honest.map((h) => syncOf(h, [attacker], epoch));
    const keepers = honest.map((h, i) => keeperOf(h, syncs[i]!, epoch));
    await tickUntil(keepers, async () => (await pending()) === 1n);
    expect(await pending()).toBe(1n);
    // The landed leaves came from what each member co-signed, not from a peer (none serves them here).
    expect((await readReportRecord(honest[0]!.db, epoch))?.header.resultsRoot).toBe(landed.resultsRoot);
    expect(keepers.map((k) => k.leavesUnavailable().length)).toEqual([0, 0, 0]);
  }, 120_000);

  it("raises REPORT_LEAVES_UNAVAILABLE when the landed root's leaves cannot be had", async () => {
    // Node 0 is offline while the attacker gathers its co-signatures: it never co-signed the landed root.
    const all = await nodes([0]);
    const { epoch, atts, omit } = await failingEpoch();
    const [node0, , , attacker] = all as [DutyNode, DutyNode, DutyNode, DutyNode];
    for (const n of all.slice(0, 3)) await n.db.putAttestations(atts);
    await attacker.db.putAttestations(omit(1));
    // Node 0 co-signed the honest report (the full view) whose round never landed.
    const full = await node0.duty.buildFromView(epoch, atts);
    await node0.duty.cosign({ header: full.header, attestations: atts }, all[1]!.host.peerId);
    await attacker.duty.runEpoch(epoch, { waitForTurn: false });
    const landed = await fx.c.reports.read.reportOf([epoch]);
    expect(landed.submittedAt).toBeGreaterThan(0n);
    expect(landed.resultsRoot).not.toBe(full.header.resultsRoot);

    // Its only peer is the attacker, who does not serve the leaves.
    const keeper = keeperOf(node0, syncOf(node0, [attacker], epoch), epoch);
    await keeper.tick();
    expect(keeper.leavesUnavailable()).toEqual([epoch]);
    expect(await pending()).toBe(0n);
    const alerts = computeAlerts({
      chain: { configured: true, connected: true, lastError: null, rpcUrl: "edr" },
      peers: 1,
      meshPeers: 1,
      warmedUp: true,
      operator: {
        address: node0.checker.address,
        hasKey: true,
        registered: true,
        keyMatches: true,
        licenses: 1,
      },
      reports: [],
      leavesUnavailable: keeper.leavesUnavailable(),
    });
    expect(alerts.map((a) => a.code)).toEqual([AlertCode.REPORT_LEAVES_UNAVAILABLE]);
  }, 120_000);

  it("past 8 co-signed roots of an epoch, a member signs only for the epoch's ranked aggregators", async () => {
    const all = await nodes();
    const { epoch, atts } = await failingEpoch();
    const [member, ranked] = all as [DutyNode, DutyNode];
    await member.db.putAttestations(atts);
    // Nine valid reports with distinct roots: the full view, and the view less one attestation (a PASS on
    // provider 0 or a FAIL on provider 1, by each checker): each within maxOmitted, no verdict changed.
    const views = [atts, ...atts.map((_, i) => atts.filter((__, j) => j !== i))];
    const requests = [];
    for (const v of views.slice(0, 9))
      requests.push({ header: (await member.duty.buildFromView(epoch, v)).header, attestations: v });
    expect(new Set(requests.map((r) => `${r.header.resultsRoot}/${r.header.rewardsRoot}`)).size).toBe(9);
    // A requester the member cannot place (no peer id) is served for 8 roots, then refused.
    for (const r of requests.slice(0, 8)) await member.duty.cosign(r);
    await expect(member.duty.cosign(requests[8]!)).rejects.toThrow(/AGGREGATOR_ERROR_TOO_MANY_ROOTS/);
    // A root it kept is signed again; a ranked aggregator (every checker here) still gets the ninth.
    await member.duty.cosign(requests[0]!);
    await member.duty.cosign(requests[8]!, ranked.host.peerId);
  }, 120_000);
});
