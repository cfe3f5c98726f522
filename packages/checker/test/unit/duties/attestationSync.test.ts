import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BlsBackend, loadBlsBackend } from "@checkernet/protocol/bls/index";
import { withParams } from "@checkernet/protocol/params";
import { CheckResult, type SignedAttestation } from "@checkernet/protocol/types";
import { createLogger } from "@checkernet/runtime";
import { serveOnce } from "@checkernet/wire";
import type { PrivateKey } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import type { Address } from "viem";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { isolateTests, type TestChain } from "../../../../contracts/test/helpers/chain.ts";
import type { Checker, Fixture } from "../../../../contracts/test/helpers/fixture.ts";
import type { ChainDirectory } from "../../../src/chain/chainDirectory.ts";
import type { EpochClock } from "../../../src/chain/clock.ts";
import { CheckerDb } from "../../../src/db/checkerDb.ts";
import { AggregatorDuty } from "../../../src/duties/aggregatorDuty.ts";
import { AttestationSync } from "../../../src/duties/attestationSync.ts";
import { createMetrics } from "../../../src/metrics/index.ts";
import type { CheckerHost } from "../../../src/network/host.ts";
import {
  ATTESTATION_SYNC_PROTOCOL,
  type AttestationSyncError,
  AttestationSyncErrorCode,
  AttestationSyncFrameType,
  attestationSyncResponseCodec,
  handleAttestationSync,
  requestAttestations,
} from "../../../src/network/reqresp/attestations.ts";
import { CosignErrorCode, handleCosign, requestCosign } from "../../../src/network/reqresp/cosign.ts";
import { CheckerNode } from "../../../src/node.ts";
import { ReportStatus } from "../../../src/reports/aggregatorRecords.ts";
import type { EquivocationBook } from "../../../src/validation/equivocations.ts";
import { chainEpochClock } from "../../utils/chain.ts";
import { aggregatorDuty, gossipValidation } from "../../utils/duties.ts";
import { deployCheckerSet } from "../../utils/dutyNetwork.ts";
import { fixtureNodeOptions } from "../../utils/fixtureNode.ts";
import { makeAttestation, signAttestation } from "../../utils/fixtures.ts";
import { introduceAll, loopbackHost, stopHosts } from "../../utils/hosts.ts";

const silent = createLogger({ level: "silent", pretty: false });
const params = withParams({ committeeSize: 8, aggregatorBackups: 3 });
/** Set to print the measured sync latencies (docs/protocol/attestation-sync.md). */
const timing = process.env.SYNC_TIMING !== undefined;

let chain: TestChain;
let fx: Fixture;
let checkers: Checker[];
let providers: Address[];
let directory: ChainDirectory;
let clock: EpochClock;
let bls: BlsBackend;
const hosts: CheckerHost[] = [];
/** Hosts that answer attestation sync with garbage (test b). */
const liars: CheckerHost[] = [];

beforeAll(async () => {
  let peerKeys: PrivateKey[];
  ({ chain, fx, checkers, providers, peerKeys, directory } = await deployCheckerSet({
    deploy: {
      reportCommitteeSize: 16,
      // 75 %: the leader's seats and one member's are not enough, so a report members refuse does not land.
      reportQuorumBps: 7_500,
      genesisSeed: `0x${"5c".repeat(32)}`,
    },
    logger: silent,
  }));
  for (const key of peerKeys) hosts.push(await loopbackHost({ privateKey: key }));
  for (let i = 0; i < 2; i++) liars.push(await loopbackHost());
  await introduceAll([...hosts, ...liars]);
  // Sync asks connected peers: every node is connected to every other one (and node 0 to the liars).
  for (const [i, a] of hosts.entries()) for (const b of hosts.slice(i + 1)) await a.dial(b.peerId);
  for (const l of liars) await hosts[0]!.dial(l.peerId);
  clock = await chainEpochClock(fx);
  bls = await loadBlsBackend("auto");
}, 90_000);

afterAll(async () => {
  await stopHosts(hosts);
  await stopHosts(liars);
});

isolateTests(() => chain);

type SyncParts = ConstructorParameters<typeof AttestationSync>[0];

interface Node {
  checker: Checker;
  host: CheckerHost;
  db: CheckerDb;
  sync: AttestationSync;
  /** What the node's sync was built over, to build another one over the same parts. */
  parts: SyncParts;
  duty: AggregatorDuty;
  book: EquivocationBook;
}
const open: CheckerDb[] = [];
const syncs: AttestationSync[] = [];
afterEach(async () => {
  await Promise.all(syncs.splice(0).map((s) => s.stop()));
  for (const h of [...hosts, ...liars]) {
    await h.unhandle("/checkernet/cosign/1.0.0").catch(() => undefined);
    await h.unhandle(ATTESTATION_SYNC_PROTOCOL).catch(() => undefined);
  }
  await Promise.all(open.splice(0).map((d) => d.close()));
});

/**
 * Four nodes over fresh databases, each serving attestation sync and co-sign requests. With
 * `sync: false` the duties run without the sync (the behaviour before it).
 */
async function nodes(options: { sync?: boolean; cosignMaxUnseen?: number } = {}): Promise<Node[]> {
  const out: Node[] = [];
  for (const [i, checker] of checkers.entries()) {
    const host = hosts[i]!;
    const logger = silent.child({ node: i });
    const db = await CheckerDb.open({ dataDir: mkdtempSync(join(tmpdir(), "checker-attsync-")) });
    open.push(db);
    const metrics = createMetrics();
    const { book, validation } = gossipValidation({ fx, directory, clock, db, bls, logger, params }, metrics);
    const parts: SyncParts = {
      db,
      logger,
      clock,
      // The gossip topic's context (services/gossip.ts attestationValidation), over this node's parts.
      validation,
      peers: () => host.getPeers().map(String),
      fetch: (peer, request, timeoutMs) =>
        requestAttestations(host, peerIdFromString(peer), request, { timeoutMs }),
    };
    const sync = new AttestationSync(parts, { deadlineMs: 5_000 });
    syncs.push(sync);
    const base = aggregatorDuty(
      { fx, checker, directory, clock, db, bls, logger, params, host, equivocations: book },
      { backupTimeoutMs: 300, retryBaseMs: 50 },
    );
    const duty = new AggregatorDuty(
      { ...base.components, ...(options.sync === false ? {} : { attestationSync: sync }) },
      {
        ...base.init,
        ...(options.cosignMaxUnseen === undefined ? {} : { cosignMaxUnseen: options.cosignMaxUnseen }),
      },
    );
    await handleAttestationSync(host, { db, domain: fx.domain, logger, epochMs: 60_000 });
    await handleCosign(host, { logger, onRequest: (req) => duty.cosign(req) });
    out.push({ checker, host, db, sync, parts, duty, book });
  }
  return out;
}

const signer = (c: Checker) => ({ ...c.key, address: c.address, licenses: 1 });

/** Every checker attests every provider (k = 8 ≥ 4 licenses: everyone sits on every committee). */
async function attestations(epoch: bigint): Promise<SignedAttestation[]> {
  const seed = await fx.c.reports.read.seedOf([epoch]);
  const out: SignedAttestation[] = [];
  for (const c of checkers)
    for (const p of providers)
      out.push(await signAttestation(signer(c), makeAttestation(c.address, p, epoch), seed, fx.domain));
  return out;
}

function leaderOf(all: Node[], epoch: bigint, atts: SignedAttestation[]): Node {
  return all.find((n) => n.duty.rank(epoch, atts).rank === 0)!;
}

describe("attestation sync (4 checkers over libp2p on 127.0.0.1, real BLS and level dbs, contracts on EDR)", () => {
  it("a leader restarted mid-epoch with only its own attestations syncs the rest, and its report gets the quorum", async () => {
    const epoch = await fx.c.reports.read.currentEpoch();
    const atts = await attestations(epoch);
    for (const withSync of [false, true]) {
      const all = await nodes({ sync: withSync });
      const leader = leaderOf(all, epoch, atts);
      // The others heard the whole epoch's gossip; the leader restarted and holds only what it signed.
      for (const n of all) {
        await n.db.putAttestations(
          n === leader ? atts.filter((a) => a.attestation.checker === n.checker.address) : atts,
        );
      }
      const t0 = Date.now();
      const outcome = await leader.duty.runEpoch(epoch, { waitForTurn: false });
      if (timing) {
        console.log(
          `restart, sync ${withSync}: round ${Date.now() - t0} ms, sync ${leader.sync.totals.lastMs} ms`,
        );
      }
      if (!withSync) {
        // Before the sync: members refuse a report that omits 6 of their 8 (TOO_MANY_OMITTED), and the view never grows.
        expect(outcome.record?.status).toBe(ReportStatus.FAILED);
        expect(await leader.db.attestationsOfEpoch(epoch)).toHaveLength(2);
        await Promise.all(syncs.splice(0).map((s) => s.stop()));
        for (const h of hosts) {
          await h.unhandle("/checkernet/cosign/1.0.0");
          await h.unhandle(ATTESTATION_SYNC_PROTOCOL);
        }
        await Promise.all(open.splice(0).map((d) => d.close()));
        continue;
      }
      expect(outcome.role.rank).toBe(0);
      expect(outcome.record?.status).toBe(ReportStatus.SUBMITTED);
      expect(outcome.record?.header.attestationCount).toBe(atts.length);
      expect((await fx.c.reports.read.reportOf([epoch])).submittedAt).toBeGreaterThan(0n);
      expect(leader.sync.totals.stored).toBe(atts.length - 2);
    }
  }, 90_000);

  it("a node restarted with an empty view syncs, ranks first and leads; start-up sync fetches the current epoch", async () => {
    const epoch = await fx.c.reports.read.currentEpoch();
    const atts = await attestations(epoch);
    const all = await nodes();
    const leader = leaderOf(all, epoch, atts);
    for (const n of all) if (n !== leader) await n.db.putAttestations(atts);
    // Without a view it would rank nobody (rank null) and stand by.
    expect(leader.duty.rank(epoch, []).rank).toBeNull();
    const outcome = await leader.duty.runEpoch(epoch, { waitForTurn: false });
    expect(outcome.role.rank).toBe(0);
    expect(outcome.record?.status).toBe(ReportStatus.SUBMITTED);
    expect(outcome.record?.header.attestationCount).toBe(atts.length);

    // At start a node syncs the current (and previous) epoch in the background.
    const other = all.find((n) => n !== leader)!;
    await other.db.prune(epoch + 1n);
    expect(await other.db.attestationsOfEpoch(epoch)).toHaveLength(0);
    other.sync.start();
    await expect
      .poll(async () => (await other.db.attestationsOfEpoch(epoch)).length, { timeout: 10_000 })
      .toBe(atts.length);
  }, 90_000);

  it("a peer answering forged, wrong-epoch or over-sized attestations gets nothing stored and is dropped; the server rate-limits", async () => {
    const epoch = await fx.c.reports.read.currentEpoch();
    const atts = await attestations(epoch);
    const all = await nodes();
    const victim = all[0]!;
    const honest = all[1]!;
    await honest.db.putAttestations(atts);
    // Liar 0 answers a well-formed attestation of checker 2 signed with checker 1's key; liar 1 an answer over the size cap.
    const seed = await fx.c.reports.read.seedOf([epoch]);
    const genuine = atts.find(
      (a) => a.attestation.checker === checkers[2]!.address && a.attestation.provider === providers[0],
    )!;
    const forged = {
      ...(await signAttestation(
        { ...signer(checkers[1]!), address: checkers[2]!.address },
        makeAttestation(checkers[2]!.address, providers[0]!, epoch, { latencyP50Us: 1_234 }),
        seed,
        fx.domain,
      )),
      vrfProof: genuine.vrfProof,
    };
    const asked = [0, 0];
    const [forger, flooder] = liars as [CheckerHost, CheckerHost];
    const served = {
      protocol: ATTESTATION_SYNC_PROTOCOL,
      what: "liar",
      request: { [AttestationSyncFrameType.SYNC_REQUEST]: 1 << 20 },
      limits: { requestTimeoutMs: 5_000, responseTimeoutMs: 5_000, maxInboundStreams: 4 },
    };
    await serveOnce(
      forger,
      served,
      async () => {
        asked[0]!++;
        return {
          type: AttestationSyncFrameType.SYNC_RESPONSE,
          body: attestationSyncResponseCodec.encode([forged]),
        };
      },
      silent,
    );
    await serveOnce(
      flooder,
      served,
      async () => {
        asked[1]!++;
        return {
          type: AttestationSyncFrameType.SYNC_RESPONSE,
          body: new Uint8Array(attestationSyncResponseCodec.maxBytes + 1),
        };
      },
      silent,
    );
    // Only the honest node and the two liars are asked (the other nodes hold nothing).
    const peers = [honest.host, forger, flooder].map((h) => h.peerId.toString());
    const victimSync = new AttestationSync({ ...victim.parts, peers: () => peers }, { deadlineMs: 5_000 });
    syncs.push(victimSync);
    const r = await victimSync.syncEpoch(epoch);
    expect(r.answered).toBe(2);
    expect(r.stored).toBe(atts.length);
    const held = await victim.db.getAttestation(epoch, providers[0]!, checkers[2]!.address);
    expect(held?.signature).toBe(genuine.signature);
    const dropped = victimSync.dropped();
    expect(dropped.get(forger.peerId.toString())?.code).toBe(AttestationSyncErrorCode.REJECTED);
    expect(dropped.get(forger.peerId.toString())?.reason).toMatch(/ATTESTATION_ERROR_INVALID_SIGNATURE/);
    expect(dropped.get(flooder.peerId.toString())?.code).toBe(AttestationSyncErrorCode.INVALID);
    expect(dropped.has(honest.host.peerId.toString())).toBe(false);
    // A dropped peer is not asked again.
    await victimSync.syncEpoch(epoch);
    expect(asked).toEqual([1, 1]);

    // An answer with an attestation of another epoch drops its peer before any check.
    const stale = await signAttestation(
      signer(checkers[3]!),
      makeAttestation(checkers[3]!.address, providers[1]!, epoch + 1n),
      seed,
      fx.domain,
    );
    await forger.unhandle(ATTESTATION_SYNC_PROTOCOL);
    await serveOnce(
      forger,
      served,
      async () => ({
        type: AttestationSyncFrameType.SYNC_RESPONSE,
        body: attestationSyncResponseCodec.encode([stale]),
      }),
      silent,
    );
    const fresh = new AttestationSync({ ...victim.parts, peers: () => [forger.peerId.toString()] });
    syncs.push(fresh);
    await fresh.syncEpoch(epoch);
    expect(fresh.dropped().get(forger.peerId.toString())?.code).toBe(AttestationSyncErrorCode.WRONG_EPOCH);

    // An answer that does not decode drops its peer before any check.
    await flooder.unhandle(ATTESTATION_SYNC_PROTOCOL);
    await serveOnce(
      flooder,
      served,
      async () => ({ type: AttestationSyncFrameType.SYNC_RESPONSE, body: new Uint8Array(100).fill(7) }),
      silent,
    );
    const garbage = new AttestationSync({ ...victim.parts, peers: () => [flooder.peerId.toString()] });
    expect((await garbage.syncEpoch(epoch)).stored).toBe(0);
    expect(garbage.dropped().get(flooder.peerId.toString())?.reason).toMatch(/answer does not decode/);

    // The server answers one peer at most `requestsPerPeer` times per epoch.
    await honest.host.unhandle(ATTESTATION_SYNC_PROTOCOL);
    await handleAttestationSync(honest.host, {
      db: honest.db,
      domain: fx.domain,
      logger: silent,
      epochMs: 60_000,
      requestsPerPeer: 2,
    });
    const ask = () =>
      requestAttestations(victim.host, honest.host.peerId, { epoch, have: new Uint8Array() }).catch(
        (e: unknown) => e as Error,
      );
    expect(await ask()).toHaveLength(atts.length);
    expect(await ask()).toHaveLength(atts.length);
    const limited = await ask();
    expect((limited as AttestationSyncError).code).toBe(AttestationSyncErrorCode.REFUSED);
    expect((limited as Error).message).toMatch(/rate limited/);
  }, 90_000);

  it("a conflicting attestation found by sync is recorded as equivocation evidence, and the held one kept", async () => {
    const epoch = await fx.c.reports.read.currentEpoch();
    const atts = await attestations(epoch);
    const all = await nodes();
    const [victim, peer] = all as [Node, Node];
    const thief = checkers[2]!;
    const seed = await fx.c.reports.read.seedOf([epoch]);
    // The stolen key signed a second attestation for one slot; only the peer received it.
    const second = await signAttestation(
      signer(thief),
      makeAttestation(thief.address, providers[0]!, epoch, { result: CheckResult.FAIL }),
      seed,
      fx.domain,
    );
    const first = atts.find(
      (a) => a.attestation.checker === thief.address && a.attestation.provider === providers[0],
    )!;
    await victim.db.putAttestations(atts);
    await peer.db.putAttestations([...atts.filter((a) => a !== first), second]);
    const r = await new AttestationSync({
      ...victim.parts,
      peers: () => [peer.host.peerId.toString()],
    }).syncEpoch(epoch);
    expect(r.answered).toBe(1);
    expect(r.received).toBe(1);
    expect(r.stored).toBe(0);
    await expect.poll(async () => (await victim.db.listEquivocations()).length, { timeout: 5_000 }).toBe(1);
    expect(victim.book.equivocators(epoch).has(thief.address.toLowerCase())).toBe(true);
    expect((await victim.db.getAttestation(epoch, providers[0]!, thief.address))?.signature).toBe(
      first.signature,
    );
  }, 60_000);

  it("a co-signer that lacks attestations of the proposal syncs them and co-signs", async () => {
    const epoch = await fx.c.reports.read.currentEpoch();
    const atts = await attestations(epoch);
    for (const withSync of [false, true]) {
      // maxUnseen 2 stands for the 1,024 of a large network: the member lacks 4 of the proposal's 8.
      const all = await nodes({ sync: withSync, cosignMaxUnseen: 2 });
      const leader = leaderOf(all, epoch, atts);
      const committee = await fx.c.reports.read.reportCommittee([epoch]);
      const member = all.find((n) => n !== leader && committee.includes(n.checker.address))!;
      const missed = checkers
        .filter((c) => c.address !== member.checker.address && c.address !== leader.checker.address)
        .slice(0, 2);
      for (const n of all) {
        await n.db.putAttestations(
          n === member ? atts.filter((a) => !missed.some((c) => c.address === a.attestation.checker)) : atts,
        );
      }
      const t0 = Date.now();
      const answer = await requestCosign(leader.host, member.host.peerId, {
        header: (await leader.duty.buildFromView(epoch, atts)).header,
        attestations: atts,
      }).catch((e: unknown) => e as Error);
      if (timing) {
        console.log(
          `co-sign, sync ${withSync}: answer ${Date.now() - t0} ms, sync ${member.sync.totals.lastMs} ms`,
        );
      }
      if (!withSync) {
        expect((answer as Error).message).toMatch(/AGGREGATOR_ERROR_TOO_MANY_UNSEEN/);
        expect((answer as { code?: string }).code).toBe(CosignErrorCode.REFUSED);
      } else {
        expect(answer).toBeInstanceOf(Uint8Array);
        expect((answer as Uint8Array).length).toBe(96);
        expect(await member.db.attestationsOfEpoch(epoch)).toHaveLength(atts.length);
        expect(member.sync.totals.stored).toBe(4);
      }
      await Promise.all(syncs.splice(0).map((s) => s.stop()));
      for (const h of hosts) {
        await h.unhandle("/checkernet/cosign/1.0.0");
        await h.unhandle(ATTESTATION_SYNC_PROTOCOL);
      }
      await Promise.all(open.splice(0).map((d) => d.close()));
    }
  }, 90_000);

  it("CheckerNode serves the protocol and runs the sync service", async () => {
    const node = await CheckerNode.create(
      fixtureNodeOptions(fx, checkers[0]!, { dataDirPrefix: "checker-attsync-node-", logger: silent }),
    );
    await node.start();
    try {
      expect(node.host.getProtocols()).toContain(ATTESTATION_SYNC_PROTOCOL);
      // Another node asks it: it answers (nothing held) rather than refusing.
      const epoch = await fx.c.reports.read.currentEpoch();
      await hosts[1]!.peerStore.merge(node.host.peerId, { multiaddrs: node.host.getMultiaddrs() });
      expect(
        await requestAttestations(hosts[1]!, node.host.peerId, { epoch, have: new Uint8Array() }),
      ).toEqual([]);
    } finally {
      await node.stop();
    }
    expect(node.host.getProtocols()).not.toContain(ATTESTATION_SYNC_PROTOCOL);
  }, 60_000);
});
