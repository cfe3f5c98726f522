import { ChallengeClient } from "@checkernet/checker";
import { ReasonCode } from "@checkernet/protocol/challenges/common";
import { gpuClass } from "@checkernet/protocol/challenges/gpu-classes";
import { vramDatasetSeed } from "@checkernet/protocol/challenges/vram";
import { answerKeyAddress } from "@checkernet/protocol/fraud/answerSigning";
import { withParams } from "@checkernet/protocol/params";
import { ChallengeKind, CheckResult } from "@checkernet/protocol/types";
import { CHALLENGE_PROTOCOL_1_0, FrameType } from "@checkernet/wire";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Libp2p } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import type { Address, Hex } from "viem";
import { generatePrivateKey } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CpuBackend } from "../src/backend/cpu.ts";
import { answerSigner } from "../src/serve/answerSigner.ts";
import { ServeErrorCode } from "../src/serve/messages.ts";
import { type RunningProvider, runProvider } from "../src/serve/run.ts";
import { clientHost, hex32, silentLog, TestChallenge, verifyCpuMatmul } from "./helpers.ts";

/**
 * Review4 L3: anyone may register an entry naming an honest provider's peer id (the registry checks no
 * peer id). Checkers seated on that squatter's entry dial the peer id and reach the honest provider's
 * device. Here the honest provider is the real serve code (answer key, VRAM dataset of its own address)
 * and the checker is the real ChallengeClient on loopback; the squatter's tasks are what a checker builds
 * from its entry: its own address, the honest provider's class, and no answer key (setAnswerKey needs a
 * proof of possession over the squatter's address, so it cannot take the honest one's key).
 */
const params = withParams({ pingCount: 4, pingIntervalMs: 20, pingTimeoutMs: 800 });
const CPU = gpuClass("cpu-reference").code;
const HONEST: Address = "0x00000000000000000000000000000000000000aa";
const SQUATTER: Address = "0x00000000000000000000000000000000000000bb";
const CHECKER: Address = "0x00000000000000000000000000000000000000cc";
const DOMAIN = {
  chainId: 31337n,
  verifyingContract: "0x00000000000000000000000000000000000000a1" as Address,
};
const ANSWER_KEY: Hex = generatePrivateKey();
const SALT = hex32(0x5a);
const dataset = { seed: vramDatasetSeed(HONEST, SALT), blockCount: 8, blockSize: 4096 };

/** The real CPU backend, counting the timed computations (walks, products) the device runs. */
class CountingBackend extends CpuBackend {
  computed = 0;

  override vramWalk(...args: Parameters<CpuBackend["vramWalk"]>) {
    this.computed++;
    return super.vramWalk(...args);
  }

  override matmul(...args: Parameters<CpuBackend["matmul"]>) {
    this.computed++;
    return super.matmul(...args);
  }
}

let checker: Libp2p;
let client: ChallengeClient;
let backend: CountingBackend;
let honest: RunningProvider;

beforeAll(async () => {
  checker = await clientHost();
  client = new ChallengeClient({ host: checker, logger: silentLog }, { params, checkerRegion: 0 });
  backend = new CountingBackend({ workers: 1, maxVramBytes: 1 << 20 });
  honest = await runProvider({
    address: HONEST,
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    backend,
    vram: dataset,
    answerSigner: answerSigner(ANSWER_KEY, HONEST, DOMAIN),
    log: silentLog,
  });
});
afterAll(async () => {
  await honest?.stop();
  await checker?.stop();
});

/** The honest provider's registered peer id: both entries name it. */
function registeredPeer(): { peer: Multiaddr } {
  const addr = honest.host.getMultiaddrs()[0];
  if (addr === undefined) throw new Error("provider has no address");
  return { peer: addr };
}

/** The task a checker builds from an entry (checkingDuty's challengeTaskFor, by hand). */
function taskFor(provider: Address, kind: ChallengeKind, seedByte: number) {
  return {
    epoch: 1n,
    provider,
    checker: CHECKER,
    kind,
    seed: hex32(seedByte),
    classId: CPU,
    claimedRegion: 0,
    matmulN: 64,
    vram: { datasetSeed: vramDatasetSeed(provider, SALT), blockSize: 4096, blockCount: 8, steps: 16 },
    ...(provider === HONEST ? { answerKey: { key: answerKeyAddress(ANSWER_KEY), ...DOMAIN } } : {}),
  };
}

describe("a provider registering an honest provider's peer id (review4 L3)", () => {
  it("the honest provider's own runs PASS, signed", async () => {
    for (const [kind, seed] of [
      [ChallengeKind.MATMUL, 1],
      [ChallengeKind.VRAM, 2],
    ] as const) {
      const run = await client.run(registeredPeer(), taskFor(HONEST, kind, seed));
      expect(run.wireErrors).toEqual([]);
      expect(run.outcome.reasons).toEqual([]);
      expect(run.outcome.result).toBe(CheckResult.PASS);
    }
  });

  it("the squatter's matmul run is refused before the device (TIMEOUT), and the device computes nothing", async () => {
    const refusedBefore = honest.server.stats.errors[ServeErrorCode.WRONG_PROVIDER] ?? 0;
    const computedBefore = backend.computed;
    const run = await client.run(registeredPeer(), taskFor(SQUATTER, ChallengeKind.MATMUL, 3));
    // Before the fix: PASS, the honest device's product passing for the squatter's entry.
    expect(run.outcome.result).toBe(CheckResult.TIMEOUT);
    expect(run.outcome.reasons.map((r) => r.code)).toEqual([ReasonCode.NO_COMMITMENT]);
    expect(run.wireErrors).toContain("ADMISSION: FRAME_ERROR_REMOTE_ERROR");
    expect(backend.computed).toBe(computedBefore);
    expect(honest.server.stats.errors[ServeErrorCode.WRONG_PROVIDER]).toBe(refusedBefore + 1);
  });

  it("the squatter's VRAM run is refused the same way, before the queue", async () => {
    const refusedBefore = honest.server.stats.errors[ServeErrorCode.WRONG_PROVIDER] ?? 0;
    const run = await client.run(registeredPeer(), taskFor(SQUATTER, ChallengeKind.VRAM, 4));
    expect(run.outcome.result).toBe(CheckResult.TIMEOUT);
    expect(run.outcome.reasons.map((r) => r.code)).toEqual([ReasonCode.NO_RESPONSE]);
    expect(honest.server.stats.errors[ServeErrorCode.WRONG_PROVIDER]).toBe(refusedBefore + 1);
  });

  it("a checker of 1.0.0, whose ADMIT names no provider, is still served (PROTOCOL.md Versions)", async () => {
    const run = new TestChallenge(
      await checker.dialProtocol(honest.host.getMultiaddrs(), CHALLENGE_PROTOCOL_1_0),
    );
    await run.send(FrameType.ADMIT, Uint8Array.of(FrameType.MATMUL_REQUEST));
    await run.expect(FrameType.ADMITTED, 5_000);
    const seed = hex32(0x51);
    const answer = await run.matmul(seed, 32, CPU, () => [0, 31]);
    await run.close();
    expect(verifyCpuMatmul(seed, 32, answer, 1).result).toBe(CheckResult.PASS);
  });
});
