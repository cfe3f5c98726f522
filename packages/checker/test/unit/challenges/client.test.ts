import { randomBytes } from "node:crypto";
import { ReasonCode } from "@checkernet/protocol/challenges/common";
import {
  evaluateTranscript,
  TranscriptMessageType,
  transcriptCodec,
} from "@checkernet/protocol/challenges/transcript";
import { vramDatasetSeed } from "@checkernet/protocol/challenges/vram";
import { withParams } from "@checkernet/protocol/params";
import { ChallengeKind, CheckResult } from "@checkernet/protocol/types";
import { createLogger } from "@checkernet/runtime";
import { WireErrorCode as FrameErrorCode } from "@checkernet/wire";
import { bytesToHex, keccak256 } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChallengeClient, type ChallengeTask } from "../../../src/challenges/client.ts";
import { createMetrics } from "../../../src/metrics/index.ts";
import type { CheckerHost } from "../../../src/network/host.ts";
import { type ServerBehaviour, startChallengeServer } from "../../utils/challengeServer.ts";
import { randomAddress } from "../../utils/fixtures.ts";
import { loopbackHost } from "../../utils/hosts.ts";

// Small and fast: 4 pings 20 ms apart, n = 32 matmul, a 16-step walk over 64-byte blocks.
const PARAMS = withParams({
  pingCount: 4,
  pingIntervalMs: 20,
  pingTimeoutMs: 400,
  matmulSampledRows: 4,
  vramSampledBlocks: 4,
});
const CPU_CLASS = 1;
const LOCAL_REGION = 0;

const hosts: CheckerHost[] = [];
const providers = new Map<ServerBehaviour, CheckerHost>();
let client: ChallengeClient;

async function newHost(): Promise<CheckerHost> {
  const h = await loopbackHost();
  hosts.push(h);
  return h;
}

function target(b: ServerBehaviour) {
  return { peer: providers.get(b)!.getMultiaddrs()[0]! };
}

function task(kind: ChallengeKind): ChallengeTask {
  const provider = randomAddress();
  return {
    epoch: 7n,
    provider,
    checker: randomAddress(),
    kind,
    seed: bytesToHex(randomBytes(32)),
    classId: CPU_CLASS,
    claimedRegion: LOCAL_REGION,
    matmulN: 32,
    vram: {
      datasetSeed: vramDatasetSeed(provider, keccak256("0x01")),
      blockSize: 64,
      blockCount: 32,
      steps: 16,
    },
  };
}

beforeAll(async () => {
  const checker = await newHost();
  client = new ChallengeClient(
    { host: checker, logger: createLogger({ level: "silent", pretty: false }), metrics: createMetrics() },
    { params: PARAMS, checkerRegion: LOCAL_REGION },
  );
  const behaviours: ServerBehaviour[] = [
    "honest",
    "garbage",
    "raw-garbage",
    "oversized",
    "hang",
    "trickle",
    "wrong-row",
  ];
  for (const b of behaviours) {
    const h = await newHost();
    await startChallengeServer(h, b);
    providers.set(b, h);
  }
});

afterAll(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
});

describe("ChallengeClient: latency", () => {
  it("PASSes an honest provider; the transcript re-evaluates to the same outcome and hashes to transcriptHash", async () => {
    const run = await client.run(target("honest"), task(ChallengeKind.LATENCY));
    expect(run.outcome.reasons).toEqual([]);
    expect(run.outcome.result).toBe(CheckResult.PASS);
    expect(run.outcome.p95Us).toBeGreaterThan(0);
    expect(run.transcript.messages.length).toBe(2 * PARAMS.pingCount);
    expect(run.wireErrors).toEqual([]);
    expect(run.transcriptHash).toBe(keccak256(run.encodedTranscript));
    const decoded = transcriptCodec.decode(run.encodedTranscript);
    expect(evaluateTranscript(decoded, PARAMS)).toEqual(run.outcome);
  });

  it("FAILs undecodable pongs (recorded as evidence: MALFORMED_MESSAGE)", async () => {
    const run = await client.run(target("garbage"), task(ChallengeKind.LATENCY));
    expect(run.outcome.result).toBe(CheckResult.FAIL);
    expect(run.outcome.reasons.map((r) => r.code)).toContain(ReasonCode.MALFORMED_MESSAGE);
  });

  it("cuts off bytes that are not frames and an oversized frame on its length prefix, without buffering it", async () => {
    const raw = await client.run(target("raw-garbage"), task(ChallengeKind.LATENCY));
    expect(raw.wireErrors).toContain(FrameErrorCode.MALFORMED);
    expect(raw.outcome.result).toBe(CheckResult.TIMEOUT);
    const big = await client.run(target("oversized"), task(ChallengeKind.LATENCY));
    expect(big.wireErrors).toContain(FrameErrorCode.OVERSIZED);
    expect(big.outcome.result).toBe(CheckResult.TIMEOUT);
    // Only our own pings are kept: none of the 1 MiB the provider pushed.
    expect(big.encodedTranscript.length).toBeLessThan(4096);
    expect(big.transcript.messages.every((m) => m.type === TranscriptMessageType.PING)).toBe(true);
  });

  it("TIMEOUTs a provider that hangs, within the ping deadline", async () => {
    const t0 = Date.now();
    const run = await client.run(target("hang"), task(ChallengeKind.LATENCY));
    expect(run.outcome.result).toBe(CheckResult.TIMEOUT);
    expect(run.outcome.reasons.map((r) => r.code)).toContain(ReasonCode.TOO_MANY_LOST);
    expect(run.wireErrors).toEqual([FrameErrorCode.TIMEOUT]);
    expect(Date.now() - t0).toBeLessThan(
      PARAMS.pingCount * PARAMS.pingIntervalMs * 2 + PARAMS.pingTimeoutMs + 1_500,
    );
  });

  it("TIMEOUTs a provider that trickles its answers byte by byte", async () => {
    const run = await client.run(target("trickle"), task(ChallengeKind.LATENCY));
    expect(run.outcome.result).toBe(CheckResult.TIMEOUT);
    expect(run.wireErrors).toEqual([FrameErrorCode.TIMEOUT]);
  });

  it("TIMEOUTs a peer that does not speak the protocol (and the transcript still evaluates)", async () => {
    const plain = await newHost();
    const run = await client.run({ peer: plain.getMultiaddrs()[0]! }, task(ChallengeKind.MATMUL));
    expect(run.outcome.result).toBe(CheckResult.TIMEOUT);
    expect(run.wireErrors[0]).toMatch(/^OPEN_FAILED/);
  });
});

describe("ChallengeClient: matmul and VRAM", () => {
  it("PASSes an honest provider on both workloads and credits a matmul throughput", async () => {
    const m = await client.run(target("honest"), task(ChallengeKind.MATMUL));
    expect(m.outcome.reasons).toEqual([]);
    expect(m.outcome.result).toBe(CheckResult.PASS);
    expect(m.outcome.throughput).toBeGreaterThan(0n);
    expect(m.transcript.messages.slice(-4).map((x) => x.type)).toEqual([3, 4, 5, 6]);
    const v = await client.run(target("honest"), task(ChallengeKind.VRAM));
    expect(v.outcome.reasons).toEqual([]);
    expect(v.outcome.result).toBe(CheckResult.PASS);
    expect(evaluateTranscript(transcriptCodec.decode(v.encodedTranscript), PARAMS)).toEqual(v.outcome);
  });

  it("FAILs a wrong matmul row and a wrong VRAM digest", async () => {
    const m = await client.run(target("wrong-row"), task(ChallengeKind.MATMUL));
    expect(m.outcome.result).toBe(CheckResult.FAIL);
    expect(m.outcome.reasons.map((r) => r.code)).toContain(ReasonCode.WRONG_ROW);
    const v = await client.run(target("wrong-row"), task(ChallengeKind.VRAM));
    expect(v.outcome.result).toBe(CheckResult.FAIL);
  });

  it("TIMEOUTs silence and FAILs garbage answers", async () => {
    const hang = await client.run(target("hang"), task(ChallengeKind.MATMUL));
    expect(hang.outcome.result).toBe(CheckResult.TIMEOUT);
    expect(hang.outcome.reasons.map((r) => r.code)).toContain(ReasonCode.NO_COMMITMENT);
    const garbage = await client.run(target("garbage"), task(ChallengeKind.VRAM));
    expect(garbage.outcome.result).toBe(CheckResult.FAIL);
    expect(garbage.outcome.reasons.map((r) => r.code)).toContain(ReasonCode.MALFORMED_MESSAGE);
  });
});
