import { ChallengeClient } from "@checkernet/checker";
import { gpuClass } from "@checkernet/protocol/challenges/gpu-classes";
import { vramDatasetSeed } from "@checkernet/protocol/challenges/vram";
import { answerKeyAddress } from "@checkernet/protocol/fraud/answerSigning";
import { withParams } from "@checkernet/protocol/params";
import { ChallengeKind, CheckResult } from "@checkernet/protocol/types";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Libp2p } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import type { Multiaddr } from "@multiformats/multiaddr";
import pino from "pino";
import { type Address, type Hex, zeroAddress } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningAgent, runProviderAgent } from "../src/serve/agent.ts";
import { answerSigner } from "../src/serve/answerSigner.ts";
import { ServeErrorCode } from "../src/serve/messages.ts";
import { clientHost, hex32, silentLog } from "./helpers.ts";

/**
 * One agent process serving three registered providers (serve/agent.ts),
 * driven by the checker's real ChallengeClient: each provider is reached at
 * its own peer id, answers from its own VRAM dataset and signs with its own
 * answer key, on one shared worker pool.
 */
const params = withParams({ pingCount: 4, pingIntervalMs: 20, pingTimeoutMs: 800 });
const CPU = gpuClass("cpu-reference").code;
const domain = {
  chainId: 31337n,
  verifyingContract: "0x00000000000000000000000000000000000000f0" as Address,
};
const SALT = hex32(0x5a);

interface Identity {
  address: Address;
  answerKey: Hex;
  peerKey: Awaited<ReturnType<typeof generateKeyPair>>;
}

let checker: Libp2p;
let client: ChallengeClient;
let agent: RunningAgent;
const identities: Identity[] = [];
/** The agent's log lines (messages in order), for the start-up order. */
const agentLog: string[] = [];

const dataset = (provider: Address) => ({
  seed: vramDatasetSeed(provider, SALT),
  blockCount: 8,
  blockSize: 4096,
});

beforeAll(async () => {
  for (let i = 0; i < 3; i++) {
    identities.push({
      address: privateKeyToAccount(generatePrivateKey()).address,
      answerKey: generatePrivateKey(),
      peerKey: await generateKeyPair("Ed25519"),
    });
  }
  agent = await runProviderAgent({
    identities: identities.map((id) => ({
      address: id.address,
      privateKey: id.peerKey,
      listen: ["/ip4/127.0.0.1/tcp/0"],
      answerSigner: answerSigner(id.answerKey, id.address, domain),
      vram: dataset(id.address),
    })),
    workers: 1,
    maxVramBytes: 1 << 20,
    log: pino(
      { level: "info" },
      {
        write: (line: string) => {
          agentLog.push((JSON.parse(line) as { msg: string }).msg);
        },
      },
    ),
  });
  checker = await clientHost();
  client = new ChallengeClient({ host: checker, logger: silentLog }, { params, checkerRegion: 0 });
  // A first run warms what the deadlines do not allow for here (the first signature's secp256k1 tables, JIT).
  for (const [i, id] of identities.entries()) await client.run(target(i), task(ChallengeKind.MATMUL, id, 1));
});
afterAll(async () => {
  await checker?.stop();
  await agent?.stop();
});

/** Where the checker dials provider `i`: its own port, with its registered peer id. */
function target(i: number): { peer: Multiaddr } {
  const addr = agent.providers[i]?.host.getMultiaddrs()[0];
  if (addr === undefined) throw new Error(`provider ${i} has no address`);
  return { peer: addr };
}

function task(
  kind: ChallengeKind,
  provider: Identity,
  seedByte: number,
  answerKey: Hex = provider.answerKey,
) {
  const d = dataset(provider.address);
  return {
    epoch: 1n,
    provider: provider.address,
    checker: "0x00000000000000000000000000000000000000cc" as const,
    kind,
    seed: hex32(seedByte),
    classId: CPU,
    claimedRegion: 0,
    matmulN: 64,
    vram: { datasetSeed: d.seed, blockSize: d.blockSize, blockCount: d.blockCount, steps: 16 },
    answerKey: { key: answerKeyAddress(answerKey), ...domain },
  };
}

describe("one agent, several registered providers", () => {
  it("each provider listens on its own address under its own peer id", () => {
    const peers = agent.providers.map((p) => p.host.peerId.toString());
    expect(peers).toEqual(identities.map((id) => peerIdFromPrivateKey(id.peerKey).toString()));
    const ports = new Set(agent.providers.map((p) => p.host.getMultiaddrs()[0]?.toString()));
    expect(ports.size).toBe(3);
  });

  it("fills every provider's dataset before any provider serves: a fill would race the first ones' timed answers", () => {
    const resident = agentLog.flatMap((m, i) => (m === "VRAM dataset resident" ? [i] : []));
    const serving = agentLog.flatMap((m, i) => (m === "provider serving" ? [i] : []));
    expect(resident).toHaveLength(3);
    expect(serving).toHaveLength(3);
    expect(Math.max(...resident)).toBeLessThan(Math.min(...serving));
  });

  it("each passes matmul and VRAM runs answered from its own dataset and signed with its own answer key", async () => {
    for (const [i, id] of identities.entries()) {
      const matmul = await client.run(target(i), task(ChallengeKind.MATMUL, id, 10 + i));
      expect(matmul.wireErrors).toEqual([]);
      expect(matmul.outcome.reasons).toEqual([]);
      expect(matmul.outcome.result).toBe(CheckResult.PASS);
      const vram = await client.run(target(i), task(ChallengeKind.VRAM, id, 20 + i));
      expect(vram.outcome.reasons).toEqual([]);
      expect(vram.outcome.result).toBe(CheckResult.PASS);
    }
  });

  it("an answer is bound to the provider dialled: another provider's key or dataset does not pass", async () => {
    const [a, b] = identities as [Identity, Identity];
    // Provider 1 signs with its own key, so a check that expects provider 0's key fails the signature rule.
    const signedByB = await client.run(target(1), task(ChallengeKind.MATMUL, b, 30, a.answerKey));
    expect(signedByB.outcome.result).toBe(CheckResult.FAIL);
    expect(signedByB.outcome.reasons.map((r) => r.code)).toContain("BAD_ANSWER_SIGNATURE");
    // Provider 1 holds its own dataset, not provider 0's.
    const walkOfA = await client.run(target(1), { ...task(ChallengeKind.VRAM, a, 31), provider: b.address });
    expect(walkOfA.outcome.result).not.toBe(CheckResult.PASS);
    // A run for another entry naming provider 0's peer id is refused before the device (review4 L3).
    const asOther = await client.run(target(0), {
      ...task(ChallengeKind.MATMUL, a, 32),
      provider: zeroAddress,
    });
    expect(asOther.outcome.result).toBe(CheckResult.TIMEOUT);
    expect(asOther.wireErrors).toContain("ADMISSION: FRAME_ERROR_REMOTE_ERROR");
    expect(agent.providers[0]?.server.stats.errors[ServeErrorCode.WRONG_PROVIDER]).toBe(1);
  });

  it("runs against different providers of one agent share its device queue: the device runs one at a time", async () => {
    const runs = await Promise.all(
      identities.flatMap((id, i) => [
        client.run(target(i), task(ChallengeKind.VRAM, id, 40 + i)),
        client.run(target(i), task(ChallengeKind.MATMUL, id, 50 + i)),
      ]),
    );
    for (const run of runs) {
      expect(run.wireErrors).toEqual([]);
      expect(run.outcome.reasons).toEqual([]);
      expect(run.outcome.result).toBe(CheckResult.PASS);
    }
  });
});
