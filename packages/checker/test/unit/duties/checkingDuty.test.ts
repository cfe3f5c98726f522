import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { evaluateTranscript, transcriptCodec } from "@checkernet/protocol/challenges/transcript";
import { attestationSigningRoot } from "@checkernet/protocol/encoding/attestation";
import { decodeMatmulFraudProof } from "@checkernet/protocol/fraud/matmulFraud";
import { CheckResult } from "@checkernet/protocol/types";
import { createLogger } from "@checkernet/runtime";
import { EvidenceError, fetchEvidence } from "@checkernet/wire";
import { peerIdFromString } from "@libp2p/peer-id";
import { multiaddr } from "@multiformats/multiaddr";
import { hexToBytes, keccak256 } from "viem";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { EpochClock } from "../../../src/chain/clock.ts";
import { ChallengeClient } from "../../../src/challenges/client.ts";
import { CheckerDb } from "../../../src/db/checkerDb.ts";
import { CheckingDuty, type CheckingDutyInit } from "../../../src/duties/checkingDuty.ts";
import { NO_TRANSCRIPT } from "../../../src/duties/memberCheck.ts";
import { parseCheckerFaults } from "../../../src/faults/faults.ts";
import { createMetrics } from "../../../src/metrics/index.ts";
import { AttestationGossip } from "../../../src/network/gossip/attestations.ts";
import { GossipTopic } from "../../../src/network/gossip/topics.ts";
import type { CheckerHost } from "../../../src/network/host.ts";
import { handleEvidence } from "../../../src/network/reqresp/evidence.ts";
import { BlsBatchVerifier } from "../../../src/validation/bls/batchVerifier.ts";
import { StaticKeyDirectory } from "../../../src/validation/keyDirectory.ts";
import {
  type ProviderRecord,
  StaticProviderDirectory,
  type UnusableProvider,
} from "../../../src/validation/providerDirectory.ts";
import { SeenAttestations } from "../../../src/validation/seenCache.ts";
import { StaticEpochSeeds } from "../../../src/validation/sortition.ts";
import { startChallengeServer } from "../../utils/challengeServer.ts";
import { bls, DOMAIN, makeChecker, randomAddress, seedFor, type TestChecker } from "../../utils/fixtures.ts";
import { loopbackHost } from "../../utils/hosts.ts";
import { SMALL_CHALLENGE_PARAMS, wrongProductProvider } from "../../utils/smallChallenges.ts";
import { waitFor } from "../../utils/waitFor.ts";

const EPOCH = 4n;
const EPOCH_SECONDS = 60;
const PARAMS = SMALL_CHALLENGE_PARAMS;
const silent = createLogger({ level: "silent", pretty: false });

interface Checker {
  who: TestChecker;
  host: CheckerHost;
  db: CheckerDb;
  gossip: AttestationGossip;
  duty: CheckingDuty;
}

const hosts: CheckerHost[] = [];
const checkers: Checker[] = [];
let honest: ProviderRecord;
let faulty: ProviderRecord;
const keys = new StaticKeyDirectory();
const genesisMs = Date.now() - Number(EPOCH - 1n) * EPOCH_SECONDS * 1000 - 5_000;
const clock = new EpochClock({ genesisMs, epochSeconds: EPOCH_SECONDS });
const epochs = new StaticEpochSeeds([[EPOCH, seedFor(EPOCH)]]);

async function newHost(): Promise<CheckerHost> {
  const h = await loopbackHost({ heartbeatIntervalMs: 100 });
  hosts.push(h);
  return h;
}

async function provider(behaviour: "honest" | "wrong-row"): Promise<ProviderRecord> {
  const h = await newHost();
  await startChallengeServer(h, behaviour);
  return {
    address: randomAddress(),
    peerId: h.peerId.toString(),
    multiaddrs: h.getMultiaddrs().map(String),
    classId: 1,
    region: 0,
    vramBytes: 4096,
    vramSalt: keccak256("0x02"),
  };
}

async function checker(
  who: TestChecker,
  providers: StaticProviderDirectory,
  extra: Partial<CheckingDutyInit> = {},
): Promise<Checker> {
  const host = await newHost();
  const metrics = createMetrics();
  const backend = await bls();
  const db = await CheckerDb.open({ dataDir: mkdtempSync(join(tmpdir(), "checker-duty-")) });
  const gossip = new AttestationGossip(
    {
      host,
      logger: silent,
      metrics,
      validation: {
        domain: DOMAIN,
        clock,
        keys,
        seen: new SeenAttestations(),
        verifier: new BlsBatchVerifier({ backend, metrics }),
        committeeSize: PARAMS.committeeSize,
        epochs,
        verifiedVrf: new Set(),
      },
    },
    { onAttestation: (v) => void db.putAttestation(v.signed) },
  );
  gossip.start();
  const client = new ChallengeClient({ host, logger: silent, metrics }, { params: PARAMS, checkerRegion: 0 });
  const duty = new CheckingDuty(
    {
      clock,
      epochs,
      keys,
      providers,
      client,
      db,
      bls: backend,
      logger: silent,
      publish: (s, root) => gossip.publish(s, root),
      addPeerAddresses: async (peerId, addrs) => {
        await host.peerStore.merge(peerIdFromString(peerId), { multiaddrs: addrs.map((a) => multiaddr(a)) });
      },
    },
    { checker: who.address, secretKey: who.secretKey, domain: DOMAIN, params: PARAMS, ...extra },
  );
  return { who, host, db, gossip, duty };
}

beforeAll(async () => {
  honest = await provider("honest");
  faulty = await provider("wrong-row");
  keys.addProvider(honest.address);
  keys.addProvider(faulty.address);
  const providers = new StaticProviderDirectory([honest, faulty]);
  for (let i = 0; i < 2; i++) {
    const who = await makeChecker(1);
    keys.setChecker(who);
    checkers.push(await checker(who, providers));
  }
  const [a, b] = checkers as [Checker, Checker];
  await b.host.dial(a.host.getMultiaddrs()[0]!);
  await waitFor(
    () => a.host.services.pubsub.getSubscribers(GossipTopic.ATTESTATION).length === 1,
    "gossip peers",
  );
});

afterAll(async () => {
  for (const c of checkers) c.gossip.stop();
  await Promise.all(hosts.map((h) => h.stop()));
  await Promise.all(checkers.map((c) => c.db.close()));
});

describe("CheckingDuty", () => {
  it("challenges its committee's providers, signs safely, keeps evidence and gossips the attestations", async () => {
    const [a, b] = checkers as [Checker, Checker];
    // Two licenses in all and k = 8: both checkers sit on both committees.
    const ra = await a.duty.runEpoch(EPOCH, { waitForPublishPhase: false });
    expect(ra.seats.map((s) => s.provider).sort()).toEqual([honest.address, faulty.address].sort());
    expect(ra.skipped).toEqual([]);
    const byProvider = new Map(ra.attestations.map((s) => [s.attestation.provider, s]));
    expect(byProvider.get(honest.address)?.attestation.result).toBe(CheckResult.PASS);
    expect(byProvider.get(faulty.address)?.attestation.result).toBe(CheckResult.FAIL);

    // The evidence is stored and re-evaluates to what was attested.
    for (const s of ra.attestations) {
      const raw = await a.db.getTranscript(s.attestation.transcriptHash);
      expect(raw).toBeDefined();
      expect(keccak256(raw!)).toBe(s.attestation.transcriptHash);
      expect(evaluateTranscript(transcriptCodec.decode(raw!), PARAMS).result).toBe(s.attestation.result);
    }

    // B validated (BLS signature, VRF ticket) and stored A's attestations.
    await waitFor(
      async () => (await b.db.attestationsOfEpoch(EPOCH)).length === 2,
      "b to store a's attestations",
    );

    // A second run of the same epoch (a restart) re-publishes, never signs anew.
    const again = await a.duty.runEpoch(EPOCH, { waitForPublishPhase: false });
    expect(again.attestations.map((s) => s.signature).sort()).toEqual(
      ra.attestations.map((s) => s.signature).sort(),
    );
  });

  it("serves its evidence to anyone who asks, and says when it has none", async () => {
    const [a, b] = checkers as [Checker, Checker];
    await handleEvidence(a.host, { db: a.db, checker: a.who.address, logger: silent });
    const ev = await fetchEvidence(b.host, a.host.peerId, { epoch: EPOCH, provider: faulty.address });
    expect(ev.attestation.attestation.checker).toBe(a.who.address);
    expect(ev.attestation.attestation.result).toBe(CheckResult.FAIL);
    const backend = await bls();
    const root = attestationSigningRoot(ev.attestation.attestation, DOMAIN);
    expect(backend.verify(a.who.publicKey, root, hexToBytes(ev.attestation.signature))).toBe(true);
    expect("transcript" in ev && evaluateTranscript(ev.transcript, PARAMS).result).toBe(CheckResult.FAIL);

    const missing = await fetchEvidence(b.host, a.host.peerId, {
      epoch: EPOCH,
      provider: randomAddress(),
    }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(EvidenceError);
    expect((missing as EvidenceError).code).toBe("EVIDENCE_ERROR_NOT_FOUND");
  });

  it("has no duty without the epoch seed", async () => {
    const [a] = checkers as [Checker];
    const r = await a.duty.runEpoch(EPOCH + 1n, { waitForPublishPhase: false });
    expect(r.seats).toEqual([]);
    expect(r.attestations).toEqual([]);
  });

  it("stores a fraud proof from a signed wrong product; a vouch-pass checker attests PASS and stores none", async () => {
    // A provider whose workload in EPOCH is MATMUL, with an answer key, committing to a wrong C it signs.
    const cheat = await wrongProductProvider(
      await newHost(),
      { seed: seedFor(EPOCH), epoch: EPOCH },
      `0x${"7c".repeat(32)}`,
    );
    const { address } = cheat;
    keys.addProvider(address);
    const providers = new StaticProviderDirectory([cheat]);
    const [whoA, whoB] = [await makeChecker(1), await makeChecker(1)];
    keys.setChecker(whoA);
    keys.setChecker(whoB);
    const honestChecker = await checker(whoA, providers);
    const voucher = await checker(whoB, providers, {
      faults: parseCheckerFaults(["vouch-pass"]),
    });
    checkers.push(honestChecker, voucher);

    const r = await honestChecker.duty.runEpoch(EPOCH, { waitForPublishPhase: false });
    expect(r.skipped).toEqual([]);
    expect(r.attestations.map((s) => s.attestation.result)).toEqual([CheckResult.FAIL]);
    const [stored] = await honestChecker.db.listFraudProofs();
    expect(stored?.status).toBe("pending");
    const proof = decodeMatmulFraudProof(stored!.proof);
    expect(proof).toMatchObject({
      epoch: EPOCH,
      provider: address,
      checker: honestChecker.who.address,
    });

    const v = await voucher.duty.runEpoch(EPOCH, { waitForPublishPhase: false });
    expect(v.attestations.map((s) => s.attestation.result)).toEqual([CheckResult.PASS]);
    expect(await voucher.db.listFraudProofs()).toEqual([]);
  });

  it("attests TIMEOUT without a dial for a member whose registry entry it cannot use, and says why once (review3 P1-1, review4 M1)", async () => {
    // In the epoch's set (gossip rule 6 accepts attestations of it) with a GPU model no checker knows: skipped,
    // its verdict was left to whoever attested it anyway (PASS from an adversary's seats, never an honest FAIL).
    const broken: UnusableProvider = {
      address: randomAddress(),
      unusable: { field: "gpuModel", reason: 'unknown GPU model "none"' },
    };
    keys.addProvider(broken.address);
    const who = await makeChecker(1);
    keys.setChecker(who);
    const c = await checker(who, new StaticProviderDirectory([honest, broken]));
    checkers.push(c);
    const dialed: string[] = [];
    const dial = c.host.dialProtocol.bind(c.host);
    c.host.dialProtocol = ((peer: Parameters<typeof dial>[0], ...rest: [never, never]) => {
      dialed.push(String(peer));
      return dial(peer, ...rest);
    }) as typeof dial;
    const warn = vi.spyOn(silent, "warn");
    try {
      const r = await c.duty.runEpoch(EPOCH, { waitForPublishPhase: false });
      expect(r.seats.map((s) => s.provider).sort()).toEqual([honest.address, broken.address].sort());
      expect(r.skipped).toEqual([]);
      const att = r.attestations.find((s) => s.attestation.provider === broken.address)?.attestation;
      // TIMEOUT: it fails the provider's verdict like FAIL but accuses nobody (issue 14: an honest node of an
      // older release says the same of a class or region it does not know).
      expect(att).toMatchObject({
        result: CheckResult.TIMEOUT,
        latencyP50Us: 0,
        transcriptHash: NO_TRANSCRIPT,
      });
      // Only the honest provider was dialed (its run's pings and workload streams).
      expect(dialed.length).toBeGreaterThan(0);
      expect(new Set(dialed)).toEqual(new Set([honest.peerId]));
      const said = warn.mock.calls.filter(
        ([fields]) => (fields as { provider?: string }).provider === broken.address,
      );
      expect(said).toHaveLength(1);
      expect(said[0]?.[0]).toMatchObject({ epoch: String(EPOCH), field: "gpuModel" });

      // Its evidence is the signed TIMEOUT and why there was no run (the registry field to fix), not "not found".
      await handleEvidence(c.host, { db: c.db, checker: who.address, logger: silent });
      const asker = (checkers[0] as Checker).host;
      const at = c.host.getMultiaddrs()[0]!;
      const ev = await fetchEvidence(asker, at, { epoch: EPOCH, provider: broken.address });
      expect(ev.attestation.attestation).toEqual(att);
      expect("noRun" in ev && ev.noRun).toEqual({
        code: "UNUSABLE_REGISTRY_ENTRY",
        field: "gpuModel",
        message: 'registry entry not usable (gpuModel): unknown GPU model "none"',
      });
    } finally {
      warn.mockRestore();
    }
  });
});
