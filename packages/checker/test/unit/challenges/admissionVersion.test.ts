import { randomBytes } from "node:crypto";
import { withParams } from "@checkernet/protocol/params";
import { ChallengeKind, CheckResult } from "@checkernet/protocol/types";
import { createLogger } from "@checkernet/runtime";
import { CHALLENGE_PROTOCOL, CHALLENGE_PROTOCOL_1_0, decodeAdmit, FrameType } from "@checkernet/wire";
import { bytesToHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChallengeClient, type ChallengeTask } from "../../../src/challenges/client.ts";
import type { CheckerHost } from "../../../src/network/host.ts";
import { startChallengeServer } from "../../utils/challengeServer.ts";
import { randomAddress } from "../../utils/fixtures.ts";
import { loopbackHost } from "../../utils/hosts.ts";

/**
 * ADMIT names the provider since `/checkernet/challenge/1.1.0` (review4 L3; PROTOCOL.md "Versions"). The
 * checker offers 1.1.0 first and 1.0.0 after it, so a provider not yet upgraded is still checked (its
 * ADMIT the type byte alone), and an upgraded one always gets the provider's address.
 */
const PARAMS = withParams({ pingCount: 4, pingIntervalMs: 20, pingTimeoutMs: 400, matmulSampledRows: 4 });
const PROVIDER = randomAddress();
const hosts: CheckerHost[] = [];
let client: ChallengeClient;

async function newHost(): Promise<CheckerHost> {
  const h = await loopbackHost();
  hosts.push(h);
  return h;
}

function task(kind: ChallengeKind): ChallengeTask {
  return {
    epoch: 4n,
    provider: PROVIDER,
    checker: randomAddress(),
    kind,
    seed: bytesToHex(randomBytes(32)),
    classId: 1,
    claimedRegion: 0,
    matmulN: 32,
    vram: { datasetSeed: `0x${"71".repeat(32)}`, blockSize: 4096, blockCount: 8, steps: 8 },
  };
}

beforeAll(async () => {
  client = new ChallengeClient(
    { host: await newHost(), logger: createLogger({ level: "silent", pretty: false }) },
    { params: PARAMS, checkerRegion: 0 },
  );
});
afterAll(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
});

describe("ChallengeClient: the challenge protocol's versions", () => {
  it("names the provider in ADMIT to a provider of 1.1.0", async () => {
    const server = await newHost();
    const admits: Uint8Array[] = [];
    await startChallengeServer(server, "honest", { protocols: [CHALLENGE_PROTOCOL], admits });
    for (const kind of [ChallengeKind.MATMUL, ChallengeKind.VRAM]) {
      const run = await client.run({ peer: server.getMultiaddrs()[0]! }, task(kind));
      expect(run.outcome.result).toBe(CheckResult.PASS);
    }
    expect(admits.map((b) => decodeAdmit(b, CHALLENGE_PROTOCOL))).toEqual([
      { request: FrameType.MATMUL_REQUEST, provider: PROVIDER },
      { request: FrameType.VRAM_QUERY, provider: PROVIDER },
    ]);
  });

  it("still checks a provider of 1.0.0 alone: its ADMIT is the type byte, and the run PASSes", async () => {
    const server = await newHost();
    const admits: Uint8Array[] = [];
    await startChallengeServer(server, "honest", { protocols: [CHALLENGE_PROTOCOL_1_0], admits });
    const run = await client.run({ peer: server.getMultiaddrs()[0]! }, task(ChallengeKind.MATMUL));
    expect(run.wireErrors).toEqual([]);
    expect(run.outcome.result).toBe(CheckResult.PASS);
    expect(admits.map((b) => [...b])).toEqual([[FrameType.MATMUL_REQUEST]]);
  });
});
