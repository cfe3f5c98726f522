import { randomBytes } from "node:crypto";
import { ReasonCode } from "@checkernet/protocol/challenges/common";
import { withParams } from "@checkernet/protocol/params";
import { CheckResult } from "@checkernet/protocol/types";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { bytesToHex, keccak256 } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChallengeClient, WireReasonCode } from "../../../src/challenges/client.ts";
import { FrameErrorCode } from "../../../src/challenges/framing.ts";
import { transcriptCodec } from "../../../src/challenges/transcript.ts";
import { createLogger } from "../../../src/logger.ts";
import { createMetrics } from "../../../src/metrics/index.ts";
import { type CheckerHost, createHost } from "../../../src/network/host.ts";
import { type ServerBehaviour, startChallengeServer } from "../../utils/challengeServer.ts";

const PARAMS = withParams({ pingCount: 4, pingIntervalMs: 20, pingTimeoutMs: 400, matmulSampledRows: 4 });
const CPU_CLASS = 1;
const N = 32;

const hosts: CheckerHost[] = [];
const providers = new Map<ServerBehaviour, CheckerHost>();
let client: ChallengeClient;

async function newHost(): Promise<CheckerHost> {
  const h = await createHost({
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    dht: false,
    nat: false,
  });
  hosts.push(h);
  return h;
}

function target(b: ServerBehaviour) {
  const p = providers.get(b)!;
  return {
    peer: p.getMultiaddrs()[0]!,
    peerBytes: p.peerId.toMultihash().bytes,
    claimedRegion: "local",
    classId: CPU_CLASS,
  };
}

const seed = () => bytesToHex(randomBytes(32));

beforeAll(async () => {
  const checker = await newHost();
  client = new ChallengeClient(
    { host: checker, logger: createLogger({ level: "silent", pretty: false }), metrics: createMetrics() },
    { params: PARAMS, checkerRegion: "local" },
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

describe("ChallengeClient latency", () => {
  it("PASSes an honest provider, with RTTs and a transcript whose hash is its keccak", async () => {
    const run = await client.runLatency(target("honest"), seed());
    expect(run.result).toBe(CheckResult.PASS);
    expect(run.outcome.lost).toBe(0);
    expect(run.outcome.p95Us).toBeGreaterThan(0);
    expect(run.outcome.p95Us).toBeLessThan(PARAMS.pingTimeoutMs * 1000);
    expect(run.transcript.frames.length).toBe(2 * PARAMS.pingCount);
    expect(run.transcriptHash).toBe(keccak256(run.encodedTranscript));
    expect(transcriptCodec.decode(run.encodedTranscript)).toEqual(run.transcript);
  });

  it("FAILs a provider answering with undecodable pongs", async () => {
    const run = await client.runLatency(target("garbage"), seed());
    expect(run.result).toBe(CheckResult.FAIL);
    expect(run.wireReasons[0]?.code).toBe(WireReasonCode.PROTOCOL_VIOLATION);
  });

  it("FAILs a provider sending bytes that are not frames", async () => {
    const run = await client.runLatency(target("raw-garbage"), seed());
    expect(run.result).toBe(CheckResult.FAIL);
    expect(run.transcript.wireError).toBe(FrameErrorCode.MALFORMED);
  });

  it("FAILs an oversized frame on its length prefix, without buffering it", async () => {
    const run = await client.runLatency(target("oversized"), seed());
    expect(run.result).toBe(CheckResult.FAIL);
    expect(run.transcript.wireError).toBe(FrameErrorCode.OVERSIZED);
    // Only our own pings are in the transcript: none of the 1 MiB was kept.
    expect(run.encodedTranscript.length).toBeLessThan(4096);
  });

  it("TIMEOUTs a provider that hangs, within the ping deadline", async () => {
    const t0 = Date.now();
    const run = await client.runLatency(target("hang"), seed());
    expect(run.result).toBe(CheckResult.TIMEOUT);
    expect(run.outcome.reasons.map((r) => r.code)).toContain(ReasonCode.TOO_MANY_LOST);
    expect(run.transcript.wireError).toBe(FrameErrorCode.TIMEOUT);
    expect(Date.now() - t0).toBeLessThan(
      PARAMS.pingCount * PARAMS.pingIntervalMs * 2 + PARAMS.pingTimeoutMs + 1_000,
    );
  });

  it("TIMEOUTs a provider that trickles its answer byte by byte", async () => {
    const run = await client.runLatency(target("trickle"), seed());
    expect(run.result).toBe(CheckResult.TIMEOUT);
    expect(run.transcript.wireError).toBe(FrameErrorCode.TIMEOUT);
  });

  it("TIMEOUTs a peer that does not speak the protocol", async () => {
    const plain = await newHost();
    const run = await client.runLatency(
      {
        peer: plain.getMultiaddrs()[0]!,
        peerBytes: plain.peerId.toMultihash().bytes,
        claimedRegion: "local",
      },
      seed(),
    );
    expect(run.result).toBe(CheckResult.TIMEOUT);
  });
});

describe("ChallengeClient matmul", () => {
  const task = () => ({ seed: seed(), randomness: seed(), n: N, networkRttMs: 1 });

  it("PASSes an honest provider and credits a throughput", async () => {
    const run = await client.runMatmul(target("honest"), task());
    expect(run.outcome.reasons).toEqual([]);
    expect(run.result).toBe(CheckResult.PASS);
    expect(run.outcome.throughput).toBeGreaterThan(0n);
    expect(run.transcript.frames.map((f) => f.type)).toEqual([0x10, 0x11, 0x12, 0x13]);
  });

  it("FAILs a provider that opens a wrong row", async () => {
    const run = await client.runMatmul(target("wrong-row"), task());
    expect(run.result).toBe(CheckResult.FAIL);
    expect(run.outcome.reasons.map((r) => r.code)).toContain(ReasonCode.WRONG_ROW);
  });

  it("TIMEOUTs a provider that never commits, and FAILs garbage commitments", async () => {
    const hang = await client.runMatmul(target("hang"), task());
    expect(hang.result).toBe(CheckResult.TIMEOUT);
    expect(hang.outcome.reasons.map((r) => r.code)).toContain(ReasonCode.NO_COMMITMENT);
    const garbage = await client.runMatmul(target("garbage"), task());
    expect(garbage.result).toBe(CheckResult.FAIL);
    const oversized = await client.runMatmul(target("oversized"), task());
    expect(oversized.result).toBe(CheckResult.FAIL);
    expect(oversized.transcript.wireError).toBe(FrameErrorCode.OVERSIZED);
  });
});
