/**
 * Drill (issue 14): split-view equivocation with a real checker key. Four
 * checker nodes in this process over real libp2p/TCP on loopback, a `hardhat
 * node`, one honest `provider serve`. In epoch 3, a second before the publish
 * phase, a thief holding checker 4's real BLS key publishes PASS for the
 * provider next to checker 1 and FAIL next to checker 4 from two rogue peers
 * (and checker 4's own node publishes its genuine attestation on time). Epochs
 * 2–4 must each land a report, every node must store the evidence, and the
 * thief must be slashed on chain (Slashing.slashEquivocation).
 * docs/protocol/equivocation.md.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CheckerNode, createHost } from "@checkernet/checker";
import { epochReportsAbi, slashingAbi } from "@checkernet/contracts";
import { loadBlsBackend } from "@checkernet/protocol/bls/index";
import { attestationSigningRoot, signedAttestationCodec } from "@checkernet/protocol/encoding/attestation";
import { withParams } from "@checkernet/protocol/params";
import { sortitionMessage } from "@checkernet/protocol/sortition";
import {
  type Attestation,
  ChallengeKind,
  CheckResult,
  type SignedAttestation,
} from "@checkernet/protocol/types";
import { createLogger } from "@checkernet/runtime";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { bytesToHex, keccak256 } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type InProcessNetwork, poll, startInProcessNetwork } from "../helpers/inProcessNetwork.ts";

const EPOCH_SECONDS = 20;
const GENESIS_DELAY_SECONDS = 30;
const PARAMS = withParams({ epochSeconds: EPOCH_SECONDS, vramSampledBlocks: 4 });
const OWNER_INDEX = 100;
/**
 * Epoch 1 is the warm-up: four nodes and a provider starting on one shared CPU may all abstain
 * (their runs fail on time alone while their own event loops stall) and leave it unreported, with
 * no attack at all. The drill asserts the epoch before the attack, the attacked one and the next.
 */
const FIRST_EPOCH = 2n;
const ATTACKED_EPOCH = 3n;
const LAST_EPOCH = 4n;
const ATTESTATIONS_TOPIC = "/checkernet/1/attestations/abi";

const dataDir = mkdtempSync(join(tmpdir(), "checkernet-equivocation-"));
const logger = createLogger({ level: process.env.CHAOS_TEST_LOG === "1" ? "info" : "silent", pretty: false });
let network: InProcessNetwork | undefined;
const rogues: Awaited<ReturnType<typeof createHost>>[] = [];

beforeAll(async () => {
  network = await startInProcessNetwork({
    dataDir,
    epochSeconds: EPOCH_SECONDS,
    genesisDelaySeconds: GENESIS_DELAY_SECONDS,
    providerFaults: ["honest"],
    licenses: [1, 1, 1, 1],
    ownerIndex: OWNER_INDEX,
    params: PARAMS,
    logger,
    faultsOf: () => [],
    fraudProofs: false,
  });
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(rogues.map((h) => h.stop()));
  await network?.stop();
}, 60_000);

describe("chaos: split-view equivocation with a stolen checker key", () => {
  it("reports land every epoch, every node stores the evidence, the thief is slashed on chain", async () => {
    const { chain, deployment, nodes, operators, providers } = network as InProcessNetwork;
    const [first, , , owner] = nodes as [CheckerNode, CheckerNode, CheckerNode, CheckerNode];
    const thief = operators[3]!;
    const read = <T>(address: `0x${string}`, abi: unknown, functionName: string, args: unknown[] = []) =>
      chain.publicClient.readContract({ address, abi, functionName, args } as never) as Promise<T>;

    // Two rogue peers, one next to each end of the mesh.
    for (const next of [first, owner]) {
      const h = await createHost({
        privateKey: await generateKeyPair("Ed25519"),
        listen: ["/ip4/127.0.0.1/tcp/0"],
        allowPrivateAddresses: true,
        allow: ["/ip4/127.0.0.1/ipcidr/8"],
        dht: false,
        nat: false,
      });
      h.services.pubsub.subscribe(ATTESTATIONS_TOPIC);
      await h.dial(next.host.getMultiaddrs()[0]!);
      rogues.push(h);
    }

    // A second before epoch 3's publish phase, with the thief's real key: PASS to one side, FAIL to the other.
    const publishStart = first.clock.bounds(ATTACKED_EPOCH).publishStartMs;
    await new Promise((r) => setTimeout(r, Math.max(0, publishStart - 1_000 - Date.now())));
    const bls = await loadBlsBackend("auto");
    const seed = await read<`0x${string}`>(deployment.contracts.epochReports, epochReportsAbi, "seedOf", [
      ATTACKED_EPOCH,
    ]);
    const sign = (result: CheckResult): SignedAttestation => {
      const attestation: Attestation = {
        epoch: ATTACKED_EPOCH,
        provider: providers[0]!.address,
        checker: thief.address,
        kind: ChallengeKind.LATENCY,
        result,
        latencyP50Us: 1_000,
        latencyP95Us: 2_000,
        throughput: 0n,
        transcriptHash: keccak256(new TextEncoder().encode(`stolen-${result}`)),
      };
      return {
        attestation,
        signature: bytesToHex(bls.sign(thief.secretKey, attestationSigningRoot(attestation, first.domain))),
        vrfProof: bytesToHex(bls.sign(thief.secretKey, sortitionMessage(ATTACKED_EPOCH, seed, first.domain))),
      };
    };
    const [left, right] = rogues as [(typeof rogues)[0], (typeof rogues)[0]];
    const pass = signedAttestationCodec.encode(sign(CheckResult.PASS));
    const fail = signedAttestationCodec.encode(sign(CheckResult.FAIL));
    await Promise.all([
      left.services.pubsub.publish(ATTESTATIONS_TOPIC, pass).catch(() => undefined),
      right.services.pubsub.publish(ATTESTATIONS_TOPIC, fail).catch(() => undefined),
    ]);

    // Every node stores the evidence against the thief for the attacked epoch.
    await poll("evidence on every node", 30_000, async () => {
      const held = await Promise.all(nodes.map((n) => n.db.listEquivocations()));
      return held.every((l) => l.some((r) => r.checker === thief.address && r.epoch === ATTACKED_EPOCH))
        ? true
        : undefined;
    });
    for (const n of nodes) expect((await n.status()).gossip.equivocations).toBeGreaterThanOrEqual(1);

    // Reports land for every epoch, the attacked one included.
    const genesisMs = Number(deployment.genesisTime) * 1000;
    await poll(
      "reports of epochs 2-4",
      genesisMs + Number(LAST_EPOCH + 1n) * EPOCH_SECONDS * 1000 - Date.now(),
      async () => {
        for (let e = FIRST_EPOCH; e <= LAST_EPOCH; e++) {
          const report = await read<{ submittedAt: bigint }>(
            deployment.contracts.epochReports,
            epochReportsAbi,
            "reportOf",
            [e],
          );
          if (report.submittedAt === 0n) throw new Error(`no report for epoch ${e} yet`);
        }
        return true;
      },
    );

    // The thief is slashed on chain, with one of the nodes' evidence.
    await poll("the thief slashed", 20_000, async () =>
      (await read<boolean>(deployment.contracts.slashing, slashingAbi, "isEquivocationSlashed", [
        thief.address,
        ATTACKED_EPOCH,
      ]))
        ? true
        : undefined,
    );
    const records = (await Promise.all(nodes.map((n) => n.db.listEquivocations()))).flat();
    expect(records.filter((r) => r.status === "landed")).toHaveLength(1);
  }, 150_000);
});
