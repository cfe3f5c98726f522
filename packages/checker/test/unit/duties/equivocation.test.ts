import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadBlsBackend } from "@checkernet/protocol/bls/index";
import { signedAttestationCodec } from "@checkernet/protocol/encoding/attestation";
import { equivocationCodec } from "@checkernet/protocol/equivocation";
import { withParams } from "@checkernet/protocol/params";
import { CheckResult, type SignedAttestation } from "@checkernet/protocol/types";
import { createLogger } from "@checkernet/runtime";
import type { PrivateKey } from "@libp2p/interface";
import type { Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestChain } from "../../../../contracts/test/helpers/chain.ts";
import type { Checker, Fixture } from "../../../../contracts/test/helpers/fixture.ts";
import type { ChainDirectory } from "../../../src/chain/chainDirectory.ts";
import { CheckerDb } from "../../../src/db/checkerDb.ts";
import type { AggregatorDuty } from "../../../src/duties/aggregatorDuty.ts";
import { EquivocationDuty, submissionRank } from "../../../src/duties/equivocationDuty.ts";
import { createMetrics, type Metrics } from "../../../src/metrics/index.ts";
import { AttestationGossip } from "../../../src/network/gossip/attestations.ts";
import { EvidenceGossip } from "../../../src/network/gossip/evidence.ts";
import { GossipTopic } from "../../../src/network/gossip/topics.ts";
import { type CheckerHost, peerScore } from "../../../src/network/host.ts";
import { handleCosign } from "../../../src/network/reqresp/cosign.ts";
import { ReportStatus } from "../../../src/reports/aggregatorRecords.ts";
import type { EquivocationBook } from "../../../src/validation/equivocations.ts";
import { chainEpochClock } from "../../utils/chain.ts";
import { aggregatorDuty, gossipValidation } from "../../utils/duties.ts";
import { deployCheckerSet } from "../../utils/dutyNetwork.ts";
import { makeAttestation, signAttestation } from "../../utils/fixtures.ts";
import { loopbackHost } from "../../utils/hosts.ts";
import { waitFor } from "../../utils/waitFor.ts";

const silent = createLogger({ level: (process.env.TEST_LOG as never) ?? "silent", pretty: false });
const params = withParams({ committeeSize: 8, aggregatorBackups: 3 });

let chain: TestChain;
let fx: Fixture;
let checkers: Checker[];
let providers: Address[];
let directory: ChainDirectory;

interface Node {
  checker: Checker;
  host: CheckerHost;
  db: CheckerDb;
  book: EquivocationBook;
  gossip: AttestationGossip;
  metrics: Metrics;
  duty: AggregatorDuty;
}
const nodes: Node[] = [];
const attackers: CheckerHost[] = [];

beforeAll(async () => {
  let keys: PrivateKey[];
  ({
    chain,
    fx,
    checkers,
    providers,
    peerKeys: keys,
    directory,
  } = await deployCheckerSet({
    deploy: {
      reportCommitteeSize: 16,
      // 75 %: a report co-signed by one half of the mesh only (2 of 4 operators) does not land.
      reportQuorumBps: 7_500,
      genesisSeed: `0x${"cd".repeat(32)}`,
    },
    logger: silent,
  }));
  const clock = await chainEpochClock(fx);
  const bls = await loadBlsBackend("auto");
  for (const [i, checker] of checkers.entries()) {
    const host = await loopbackHost({ privateKey: keys[i]!, heartbeatIntervalMs: 100 });
    const db = await CheckerDb.open({ dataDir: mkdtempSync(join(tmpdir(), "checker-equiv-")) });
    const metrics = createMetrics();
    const logger = silent.child({ node: i });
    const { book, validation } = gossipValidation({ fx, directory, clock, db, bls, logger, params }, metrics);
    const gossip = new AttestationGossip(
      { host, logger, metrics, validation },
      {
        onAttestation: (att) => void db.putAttestation(att.signed),
        evidence: new EvidenceGossip({ host, logger, metrics, book }),
      },
    );
    gossip.start();
    const duty = aggregatorDuty(
      { fx, checker, directory, clock, db, bls, logger, params, host, equivocations: book },
      { backupTimeoutMs: 300, retryBaseMs: 50 },
    );
    await handleCosign(host, { logger, onRequest: (req) => duty.cosign(req) });
    nodes.push({ checker, host, db, book, gossip, metrics, duty });
  }
  // Two halves, {0, 1} and {2, 3}, joined by one link 1 - 2.
  const [a, b, c, d] = nodes.map((n) => n.host) as [CheckerHost, CheckerHost, CheckerHost, CheckerHost];
  await b.dial(a.getMultiaddrs()[0]!);
  await c.dial(b.getMultiaddrs()[0]!);
  await d.dial(c.getMultiaddrs()[0]!);
  // The co-sign protocol dials members by their registered peer ids.
  for (const x of nodes)
    for (const y of nodes)
      if (x !== y) await x.host.peerStore.merge(y.host.peerId, { multiaddrs: y.host.getMultiaddrs() });
  // The thief's two hosts: one next to node 0, one next to node 3.
  for (const next of [a, d]) {
    const h = await loopbackHost({ heartbeatIntervalMs: 100 });
    h.services.pubsub.subscribe(GossipTopic.ATTESTATION);
    h.services.pubsub.subscribe(GossipTopic.EQUIVOCATION);
    await h.dial(next.getMultiaddrs()[0]!);
    attackers.push(h);
  }
  // Each node knows both its neighbours on both topics before anything is published.
  for (const n of nodes)
    for (const topic of [GossipTopic.ATTESTATION, GossipTopic.EQUIVOCATION])
      await waitFor(() => n.host.services.pubsub.getSubscribers(topic).length >= 2, `${topic} subscribers`);
}, 90_000);

afterAll(async () => {
  for (const n of nodes) n.gossip.stop();
  await Promise.all([...nodes.map((n) => n.host.stop()), ...attackers.map((h) => h.stop())]);
  await Promise.all(nodes.map((n) => n.db.close()));
});

async function sign(c: Checker, epoch: bigint, provider: Address, result: CheckResult) {
  const seed = await fx.c.reports.read.seedOf([epoch]);
  return signAttestation(
    { ...c.key, address: c.address, licenses: 1 },
    makeAttestation(c.address, provider, epoch, { result }),
    seed,
    fx.domain,
  );
}

describe("equivocation: one stolen key, one attestation to each half of the mesh (libp2p on 127.0.0.1, Hardhat EDR)", () => {
  it("every node stores the evidence, leaves the equivocator out, and the report co-signs and lands", async () => {
    const epoch = await fx.c.reports.read.currentEpoch();
    const thief = checkers[3]!;
    // Everyone's honest attestations, as after gossip (every checker sits on every committee: k = 8 ≥ 4).
    const honest: SignedAttestation[] = [];
    for (const c of checkers)
      for (const p of providers) {
        if (c === thief && p === providers[0]) continue;
        honest.push(await sign(c, epoch, p, CheckResult.PASS));
      }
    for (const n of nodes) await n.db.putAttestations(honest);
    // The stolen key signs PASS for one half and FAIL for the other, published at both ends of the line.
    const pass = await sign(thief, epoch, providers[0]!, CheckResult.PASS);
    const fail = await sign(thief, epoch, providers[0]!, CheckResult.FAIL);
    const [left, right] = attackers as [CheckerHost, CheckerHost];
    const stored = async () =>
      (await Promise.all(nodes.map((n) => n.db.listEquivocations()))).map((l) => l.length);
    await expect
      .poll(
        async () => {
          for (const [h, s] of [
            [left, pass],
            [right, fail],
          ] as const)
            await h.services.pubsub
              .publish(GossipTopic.ATTESTATION, signedAttestationCodec.encode(s))
              .catch(() => undefined);
          return stored();
        },
        { timeout: 20_000, interval: 300 },
      )
      .toEqual([1, 1, 1, 1]);
    for (const n of nodes) {
      const [record] = await n.db.listEquivocations();
      expect(record).toMatchObject({ epoch, checker: thief.address, status: "pending" });
      const evidence = equivocationCodec.decode(
        Uint8Array.from(Buffer.from(record!.evidence.slice(2), "hex")),
      );
      expect(new Set([evidence.first.attestation.result, evidence.second.attestation.result])).toEqual(
        new Set([CheckResult.PASS, CheckResult.FAIL]),
      );
      expect([...n.book.equivocators(epoch)]).toEqual([thief.address.toLowerCase()]);
      const counted = (await n.metrics.equivocations.get()).values.reduce((a, v) => a + v.value, 0);
      expect(counted).toBe(1);
    }

    // The leader leaves all of the thief's attestations out; both halves co-sign and the report lands.
    const all = await Promise.all(nodes.map((n) => n.db.attestationsOfEpoch(epoch)));
    const ranks = nodes.map((n, i) => n.duty.rank(epoch, all[i]!).rank);
    const leader = nodes[ranks.indexOf(0)] ?? nodes[0]!;
    const outcome = await leader.duty.runEpoch(epoch, { waitForTurn: false });
    expect(outcome.record?.status).toBe(ReportStatus.SUBMITTED);
    expect(outcome.record?.header.attestationCount).toBe(honest.length - 1);
    expect(outcome.record?.signers).toBeGreaterThanOrEqual(12);
    expect((await fx.c.reports.read.reportOf([epoch])).submittedAt).toBeGreaterThan(0n);
  }, 90_000);

  it("evidence that does not verify is rejected and costs its sender peer score", async () => {
    const epoch = await fx.c.reports.read.currentEpoch();
    const [left] = attackers as [CheckerHost];
    const victim = checkers[1]!;
    const genuine = await sign(victim, epoch, providers[1]!, CheckResult.PASS);
    // A "second half" signed by another key: not the victim's signature.
    const forged = await sign(
      { ...checkers[0]!, address: victim.address },
      epoch,
      providers[1]!,
      CheckResult.FAIL,
    );
    const bytes = equivocationCodec.encode({ first: genuine, second: forged });
    const rejected = async () =>
      (await nodes[0]!.metrics.gossipValidationError.get()).values
        .filter((v) => v.labels.code === "EVIDENCE_ERROR_INVALID")
        .reduce((a, v) => a + v.value, 0);
    await expect
      .poll(
        async () => {
          await left.services.pubsub.publish(GossipTopic.EQUIVOCATION, bytes).catch(() => undefined);
          return rejected();
        },
        { timeout: 10_000, interval: 300 },
      )
      .toBeGreaterThan(0);
    expect(nodes[0]!.book.equivocators(epoch).has(victim.address.toLowerCase())).toBe(false);
    expect(await nodes[0]!.db.listEquivocations()).toHaveLength(1);
    expect(peerScore(nodes[0]!.host, left.peerId.toString())).toBeLessThan(0);
  }, 30_000);

  it("the stored evidence is submitted once: the first in order slashes the thief, the others find it done", async () => {
    const epoch = await fx.c.reports.read.currentEpoch();
    const thief = checkers[3]!;
    const [record] = await nodes[0]!.db.listEquivocations();
    expect(record?.status).toBe("pending");
    const committee = [...new Set(await fx.c.reports.read.reportCommittee([epoch]))];
    const ranks = nodes.map((n) => submissionRank(record!.id, committee, n.checker.address));
    expect([...ranks].sort()).toEqual([0, 1, 2, 3]);
    const duties = nodes.map(
      (n) =>
        new EquivocationDuty(
          {
            db: n.db,
            logger: silent,
            publicClient: chain.publicClient,
            walletClient: n.checker.wallet,
            operator: n.checker.address,
          },
          {
            slashing: fx.deployment.contracts.slashing,
            epochReports: fx.deployment.contracts.epochReports,
            stepMs: 1_500,
            pollMs: 100,
          },
        ),
    );
    const nonces = () =>
      Promise.all(nodes.map((n) => chain.publicClient.getTransactionCount({ address: n.checker.address })));
    const before = await nonces();
    for (const d of duties) d.start();
    try {
      const statuses = async () =>
        (await Promise.all(nodes.map((n) => n.db.listEquivocations()))).map((l) => l[0]?.status);
      await expect.poll(statuses, { timeout: 20_000, interval: 200 }).not.toContain("pending");
      const final = await statuses();
      const first = ranks.indexOf(0);
      expect(final[first]).toBe("landed");
      expect(final.filter((s) => s === "landed")).toHaveLength(1);
      expect(final.filter((s) => s === "already-slashed")).toHaveLength(3);
    } finally {
      await Promise.all(duties.map((d) => d.stop()));
    }
    expect(await fx.c.slashing.read.isEquivocationSlashed([thief.address, epoch])).toBe(true);
    // One transaction in all: only the first in order sent one.
    const after = await nonces();
    expect(after.map((n, i) => n - before[i]!).reduce((a, b) => a + b, 0)).toBe(1);
  }, 40_000);
});
