import { attestationSigningRoot, signedAttestationCodec } from "@checkernet/protocol/encoding/attestation";
import { CheckResult, type SignedAttestation } from "@checkernet/protocol/types";
import { createLogger } from "@checkernet/runtime";
import { type Address, bytesToHex, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EpochClock } from "../../../src/chain/clock.ts";
import { createMetrics, type Metrics } from "../../../src/metrics/index.ts";
import { AttestationGossip } from "../../../src/network/gossip/attestations.ts";
import { GossipTopic } from "../../../src/network/gossip/topics.ts";
import { type CheckerHost, peerScore } from "../../../src/network/host.ts";
import type { ValidatedAttestation } from "../../../src/validation/attestation.ts";
import { BlsBatchVerifier } from "../../../src/validation/bls/batchVerifier.ts";
import { StaticKeyDirectory } from "../../../src/validation/keyDirectory.ts";
import { SeenAttestations } from "../../../src/validation/seenCache.ts";
import { StaticEpochSeeds } from "../../../src/validation/sortition.ts";
import {
  bls,
  DOMAIN,
  makeAttestation,
  makeChecker,
  randomAddress,
  seedFor,
  signAttestation,
  type TestChecker,
} from "../../utils/fixtures.ts";
import { loopbackHost } from "../../utils/hosts.ts";
import { waitFor } from "../../utils/waitFor.ts";

const EPOCH = 5n;
const EPOCH_SECONDS = 60;

interface TestNode {
  host: CheckerHost;
  gossip: AttestationGossip;
  metrics: Metrics;
  received: ValidatedAttestation[];
}

const nodes: TestNode[] = [];
let attacker: CheckerHost;
let alice: TestChecker;
let bob: TestChecker;
let provider: Address;
const keys = new StaticKeyDirectory();

async function newHost(): Promise<CheckerHost> {
  return loopbackHost({ heartbeatIntervalMs: 100 });
}

async function newNode(): Promise<TestNode> {
  const host = await newHost();
  const metrics = createMetrics();
  const received: ValidatedAttestation[] = [];
  // Genesis chosen so that the wall clock sits in the middle of EPOCH.
  const genesisMs = Date.now() - Number(EPOCH - 1n) * EPOCH_SECONDS * 1000 - (EPOCH_SECONDS * 1000) / 2;
  const gossip = new AttestationGossip(
    {
      host,
      metrics,
      logger: createLogger({ level: (process.env.TEST_LOG as never) ?? "silent", pretty: false }),
      validation: {
        domain: DOMAIN,
        clock: new EpochClock({ genesisMs, epochSeconds: EPOCH_SECONDS }),
        keys,
        seen: new SeenAttestations(),
        verifier: new BlsBatchVerifier({ backend: await bls(), metrics }),
        committeeSize: 8,
        epochs: new StaticEpochSeeds([
          [EPOCH, seedFor(EPOCH)],
          [EPOCH - 5n, seedFor(EPOCH - 5n)],
        ]),
        verifiedVrf: new Set(),
      },
    },
    { onAttestation: (att) => received.push(att) },
  );
  gossip.start();
  return { host, gossip, metrics, received };
}

function rootOf(signed: SignedAttestation): Hex {
  return bytesToHex(attestationSigningRoot(signed.attestation, DOMAIN));
}

async function counter(m: Metrics, code: string): Promise<number> {
  const v = (await m.gossipValidationError.get()).values.find((x) => x.labels.code === code);
  return v?.value ?? 0;
}

beforeAll(async () => {
  alice = await makeChecker();
  bob = await makeChecker();
  provider = randomAddress();
  keys.setChecker(alice);
  keys.setChecker(bob);
  keys.addProvider(provider);
  for (let i = 0; i < 3; i++) nodes.push(await newNode());
  // A line a - b - c: c only hears a's messages through b.
  const [a, b, c] = nodes as [TestNode, TestNode, TestNode];
  await b.host.dial(a.host.getMultiaddrs()[0]!);
  await c.host.dial(b.host.getMultiaddrs()[0]!);
  attacker = await newHost();
  attacker.services.pubsub.subscribe(GossipTopic.ATTESTATION);
  await attacker.dial(a.host.getMultiaddrs()[0]!);
  await waitFor(
    () => a.host.services.pubsub.getSubscribers(GossipTopic.ATTESTATION).length === 2,
    "a's subscribers",
  );
  await waitFor(
    () => c.host.services.pubsub.getSubscribers(GossipTopic.ATTESTATION).length === 1,
    "c's subscribers",
  );
});

afterAll(async () => {
  for (const n of nodes) n.gossip.stop();
  await Promise.all([...nodes.map((n) => n.host.stop()), attacker?.stop()]);
});

describe("attestation gossip", () => {
  it("propagates a valid attestation across three nodes (two hops)", async () => {
    const [a, b, c] = nodes as [TestNode, TestNode, TestNode];
    expect(c.host.getPeers().map(String)).not.toContain(a.host.peerId.toString());
    const signed = await signAttestation(alice, makeAttestation(alice.address, provider, EPOCH));
    const root = rootOf(signed);
    // The mesh forms on heartbeats: retry publishing until it carries (duplicates are ignored).
    await expect
      .poll(
        async () => {
          if (c.received.length === 0) await a.gossip.publish(signed, root);
          return c.received.length;
        },
        { timeout: 10_000, interval: 300 },
      )
      .toBe(1);
    expect(b.received.length).toBe(1);
    expect(c.received[0]!.signed).toEqual(signed);
    expect(c.received[0]!.signingRoot).toBe(root);
  });

  it("rejects malformed, wrongly signed, replayed and wrong-epoch messages, scores the sender down and keeps running", async () => {
    const [a, , c] = nodes as [TestNode, TestNode, TestNode];
    const pub = (data: Uint8Array) => attacker.services.pubsub.publish(GossipTopic.ATTESTATION, data);
    const good = await signAttestation(bob, makeAttestation(bob.address, provider, EPOCH));
    const goodBytes = signedAttestationCodec.encode(good);
    // A valid delivery first: a peer that never made one is hung up at its first REJECT decided from
    // the message alone (network/gossip/graylist.ts), and the rest of this list would go unread.
    // (Published once a is seen subscribed: a publish to nobody would leave a duplicate behind.)
    await waitFor(
      () =>
        attacker.services.pubsub.getSubscribers(GossipTopic.ATTESTATION).some((p) => p.equals(a.host.peerId)),
      "a seen by the attacker",
    );
    await pub(goodBytes);
    await expect.poll(() => a.received.length, { timeout: 5_000 }).toBe(1);

    await pub(new TextEncoder().encode("definitely not an attestation"));
    await pub(goodBytes.subarray(0, 200));
    const forged = await signAttestation(
      alice,
      makeAttestation(bob.address, provider, EPOCH, { result: CheckResult.FAIL }),
    );
    await pub(signedAttestationCodec.encode(forged));
    const old = await signAttestation(bob, makeAttestation(bob.address, provider, EPOCH - 5n));
    await pub(signedAttestationCodec.encode(old));
    await pub(new Uint8Array(signedAttestationCodec.maxBytes + 1).fill(1));
    // Beyond the RPC frame limit gossipsub's decoder drops the frame before validation.
    await pub(new Uint8Array(512 * 1024).fill(2)).catch(() => undefined);

    await expect
      .poll(() => counter(a.metrics, "ATTESTATION_ERROR_INVALID_ENCODING"), { timeout: 5_000 })
      .toBe(2);
    await expect.poll(() => counter(a.metrics, "ATTESTATION_ERROR_OVERSIZED"), { timeout: 5_000 }).toBe(1);
    await expect
      .poll(() => counter(a.metrics, "ATTESTATION_ERROR_INVALID_SORTITION_PROOF"), { timeout: 5_000 })
      .toBe(1);
    await expect.poll(() => counter(a.metrics, "ATTESTATION_ERROR_STALE_EPOCH"), { timeout: 5_000 }).toBe(1);
    await expect
      .poll(() => peerScore(a.host, attacker.peerId.toString()), { timeout: 5_000 })
      .toBeLessThan(-100);

    // A replay of the attestation already propagated: IGNOREd as already known,
    // which costs no score (an honest peer may relay late).
    const replay = await signAttestation(alice, makeAttestation(alice.address, provider, EPOCH));
    const replayBytes = signedAttestationCodec.encode(replay);
    await pub(replayBytes);

    // Nothing invalid reached the far side, and the mesh carried the valid one on.
    await expect
      .poll(() => c.received.map((r) => r.signed.attestation.checker), { timeout: 10_000 })
      .toContain(bob.address);
    expect(c.received.every((r) => r.signed.attestation.epoch === EPOCH)).toBe(true);
    expect(c.received.length).toBe(2);
    expect(await counter(c.metrics, "ATTESTATION_ERROR_INVALID_ENCODING")).toBe(0);
    expect(a.host.status).toBe("started");
  });
});
