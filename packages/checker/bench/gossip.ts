/**
 * Attestation propagation latency across a loopback mesh of real checker
 * nodes (TCP + Noise + Yamux + gossipsub, full validation with BLS):
 * time from publish on one node to acceptance on every other node.
 *
 *   npx tsx packages/checker/bench/gossip.ts [--nodes 20] [--messages 20] [--degree 4] [--out FILE]
 *
 * Prints p50/p90/p99/max and writes them as JSON.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { generateSecretKey, loadBlsBackend } from "@checkernet/protocol/bls/index";
import { attestationSigningRoot } from "@checkernet/protocol/encoding/attestation";
import { sortitionMessage } from "@checkernet/protocol/sortition";
import { ChallengeKind, CheckResult, type SignedAttestation } from "@checkernet/protocol/types";
import { createLogger } from "@checkernet/runtime";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { bytesToHex, getAddress, keccak256, toHex } from "viem";
import { EpochClock } from "../src/chain/clock.ts";
import { createMetrics } from "../src/metrics/index.ts";
import { AttestationGossip } from "../src/network/gossip/attestations.ts";
import { GossipTopic } from "../src/network/gossip/topics.ts";
import { type CheckerHost, createHost } from "../src/network/host.ts";
import { BlsBatchVerifier } from "../src/validation/bls/batchVerifier.ts";
import { type CheckerRecord, StaticKeyDirectory } from "../src/validation/keyDirectory.ts";
import { SeenAttestations } from "../src/validation/seenCache.ts";
import { StaticEpochSeeds } from "../src/validation/sortition.ts";

const { values } = parseArgs({
  options: {
    nodes: { type: "string", default: "20" },
    messages: { type: "string", default: "20" },
    degree: { type: "string", default: "4" },
    out: {
      type: "string",
      default: join(import.meta.dirname, "..", "..", "..", "bench", "results", "gossip.json"),
    },
  },
});
const N = Number(values.nodes);
const M = Number(values.messages);
const DEGREE = Number(values.degree);
const EPOCH = 2n;
const EPOCH_SECONDS = 600;
const domain = { chainId: 31_337n, verifyingContract: getAddress(`0x${"ab".repeat(20)}`) };
const seed = keccak256(toHex("bench-seed"));

const bls = await loadBlsBackend("auto");
const keys = new StaticKeyDirectory();
// One attestation per (epoch, provider, checker): message m uses provider ⌊m / N⌋.
const providers = Array.from({ length: Math.ceil(M / N) }, () => getAddress(bytesToHex(randomBytes(20))));
for (const p of providers) keys.addProvider(p);
const operators: (CheckerRecord & { secretKey: Uint8Array })[] = [];
for (let i = 0; i < N; i++) {
  const secretKey = generateSecretKey(randomBytes(32));
  const op = {
    address: getAddress(bytesToHex(randomBytes(20))),
    publicKey: bls.publicKey(secretKey),
    licenses: 1,
    secretKey,
  };
  operators.push(op);
  keys.setChecker(op);
}
// Genesis one epoch and a minute ago: the wall clock sits in EPOCH = 2.
const clock = new EpochClock({
  genesisMs: Date.now() - EPOCH_SECONDS * 1000 - 60_000,
  epochSeconds: EPOCH_SECONDS,
});
const epochs = new StaticEpochSeeds([[EPOCH, seed]]);
// committee size = N: every checker holds a seat on the provider's committee.
const silent = createLogger({ level: "silent", pretty: false });

const received = new Map<string, number[]>(); // transcriptHash -> arrival times
const hosts: CheckerHost[] = [];
const gossips: AttestationGossip[] = [];
for (let i = 0; i < N; i++) {
  const host = await createHost({
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    dht: false,
    nat: false,
    heartbeatIntervalMs: 200,
    allow: ["/ip4/127.0.0.0/ipcidr/8"],
  });
  const metrics = createMetrics();
  const gossip = new AttestationGossip(
    {
      host,
      logger: silent,
      metrics,
      validation: {
        domain,
        clock,
        keys,
        seen: new SeenAttestations(),
        verifier: new BlsBatchVerifier({ backend: bls, metrics }),
        committeeSize: N,
        epochs,
        verifiedVrf: new Set(),
      },
    },
    {
      onAttestation: (v) => {
        const t = performance.now();
        const list = received.get(v.signed.attestation.transcriptHash) ?? [];
        list.push(t);
        received.set(v.signed.attestation.transcriptHash, list);
      },
    },
  );
  gossip.start();
  hosts.push(host);
  gossips.push(gossip);
}
// A connected random mesh: node i dials up to DEGREE random earlier nodes.
for (let i = 1; i < N; i++) {
  const targets = new Set<number>([Math.floor(Math.random() * i)]);
  while (targets.size < Math.min(DEGREE, i)) targets.add(Math.floor(Math.random() * i));
  for (const t of targets) await hosts[i]!.dial(hosts[t]!.getMultiaddrs()[0]!);
}
// Let meshes form (a few heartbeats).
const deadline = Date.now() + 15_000;
while (
  Date.now() < deadline &&
  hosts.some((h) => h.services.pubsub.getSubscribers(GossipTopic.ATTESTATION).length === 0)
) {
  await new Promise((r) => setTimeout(r, 100));
}
await new Promise((r) => setTimeout(r, 2_000));

const latencies: number[] = [];
let incomplete = 0;
for (let m = 0; m < M; m++) {
  const i = m % N;
  const op = operators[i]!;
  const attestation = {
    epoch: EPOCH,
    provider: providers[Math.floor(m / N)]!,
    checker: op.address,
    kind: ChallengeKind.LATENCY,
    result: CheckResult.PASS,
    latencyP50Us: 1000 + m,
    latencyP95Us: 2000 + m,
    throughput: 0n,
    transcriptHash: keccak256(toHex(`bench-${m}-${Math.random()}`)),
  };
  const root = attestationSigningRoot(attestation, domain);
  const signed: SignedAttestation = {
    attestation,
    signature: bytesToHex(bls.sign(op.secretKey, root)),
    vrfProof: bytesToHex(bls.sign(op.secretKey, sortitionMessage(EPOCH, seed, domain))),
  };
  const t0 = performance.now();
  await gossips[i]!.publish(signed, bytesToHex(root));
  const until = Date.now() + 5_000;
  while (Date.now() < until && (received.get(attestation.transcriptHash)?.length ?? 0) < N - 1) {
    await new Promise((r) => setTimeout(r, 5));
  }
  const arrivals = received.get(attestation.transcriptHash) ?? [];
  if (arrivals.length < N - 1) incomplete++;
  for (const t of arrivals) latencies.push(t - t0);
}
latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? 0;
const result = {
  nodes: N,
  messages: M,
  degree: DEGREE,
  deliveries: latencies.length,
  expectedDeliveries: M * (N - 1),
  incompleteMessages: incomplete,
  p50Ms: Number(pct(50).toFixed(2)),
  p90Ms: Number(pct(90).toFixed(2)),
  p99Ms: Number(pct(99).toFixed(2)),
  maxMs: Number((latencies.at(-1) ?? 0).toFixed(2)),
  bls: bls.name,
  date: new Date().toISOString(),
};
console.log(JSON.stringify(result, null, 2));
mkdirSync(dirname(values.out!), { recursive: true });
writeFileSync(values.out!, `${JSON.stringify(result, null, 2)}\n`);
for (const g of gossips) g.stop();
await Promise.all(hosts.map((h) => h.stop()));
