import { randomBytes } from "node:crypto";
import { ReasonCode } from "@checkernet/protocol/challenges/common";
import { vramDeadlineMs } from "@checkernet/protocol/challenges/gpu-classes";
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
import { ChallengeClient, type ChallengeTask, type SecondChance } from "../../../src/challenges/client.ts";
import { createMetrics } from "../../../src/metrics/index.ts";
import type { CheckerHost } from "../../../src/network/host.ts";
import {
  JUNK_STREAM_MS,
  type ServerBehaviour,
  type ServerStats,
  startChallengeServer,
} from "../../utils/challengeServer.ts";
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
const stats = new Map<ServerBehaviour, ServerStats>();
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
    "late",
    "late-once",
    "huge-frame",
    "pongs-then-junk",
  ];
  for (const b of behaviours) {
    const h = await newHost();
    stats.set(b, await startChallengeServer(h, b, { pingCount: PARAMS.pingCount }));
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

  it("FAILs bytes that are not frames and an oversized frame on its length prefix, keeping only the frame's first bytes", async () => {
    const raw = await client.run(target("raw-garbage"), task(ChallengeKind.LATENCY));
    expect(raw.wireErrors).toContain(FrameErrorCode.MALFORMED);
    expect(raw.outcome.result).toBe(CheckResult.FAIL);
    expect(raw.outcome.reasons.map((r) => r.code)).toContain(ReasonCode.PROTOCOL_VIOLATION);
    const big = await client.run(target("oversized"), task(ChallengeKind.LATENCY));
    expect(big.wireErrors).toContain(FrameErrorCode.OVERSIZED);
    expect(big.outcome.result).toBe(CheckResult.FAIL);
    expect(big.outcome.reasons.map((r) => r.code)).toContain(ReasonCode.PROTOCOL_VIOLATION);
    // Our own pings and, in a pong's place, the offending frame's first bytes: none of the 1 MiB pushed.
    expect(big.encodedTranscript.length).toBeLessThan(4096);
    const pongs = big.transcript.messages.filter((m) => m.type === TranscriptMessageType.PONG);
    expect(pongs.map((m) => m.payload.slice(0, 10))).toEqual(["0x80808020"]);
    // Anyone re-checking the transcript reaches the same FAIL.
    expect(evaluateTranscript(transcriptCodec.decode(big.encodedTranscript), PARAMS)).toEqual(big.outcome);
  });

  it("a provider that declares a 600 MB frame and streams junk for seconds: FAIL PROTOCOL_VIOLATION, the stream is reset, and this process's memory grows by less than 16 MiB", async () => {
    const junk = stats.get("huge-frame")!;
    const MiB = 2 ** 20;
    const before = process.memoryUsage();
    const peak = { rss: before.rss, arrayBuffers: before.arrayBuffers };
    const sample = setInterval(() => {
      const m = process.memoryUsage();
      peak.rss = Math.max(peak.rss, m.rss);
      peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers);
    }, 20);
    const t0 = Date.now();
    const run = await client.run(target("huge-frame"), task(ChallengeKind.LATENCY));
    // Measured while the junk streams: until the provider's stream stops (reset), or its JUNK_STREAM_MS pass.
    await junk.junkDone;
    await new Promise((r) => setTimeout(r, 200));
    clearInterval(sample);
    const grew = { rss: peak.rss - before.rss, arrayBuffers: peak.arrayBuffers - before.arrayBuffers };
    console.info(
      `huge-frame: ${(junk.junkBytes / MiB).toFixed(1)} MiB of junk got through in ${Date.now() - t0} ms; ` +
        `peak growth rss ${(grew.rss / MiB).toFixed(1)} MiB, arrayBuffers ${(grew.arrayBuffers / MiB).toFixed(1)} MiB`,
    );
    expect(run.outcome.result).toBe(CheckResult.FAIL);
    expect(run.outcome.reasons.map((r) => r.code)).toContain(ReasonCode.PROTOCOL_VIOLATION);
    expect(run.wireErrors).toContain(FrameErrorCode.OVERSIZED);
    // The reset stopped the provider at once (the muxer's window, not JUNK_STREAM_MS of junk).
    expect(Date.now() - t0).toBeLessThan(JUNK_STREAM_MS);
    expect(junk.junkBytes).toBeLessThan(16 * MiB);
    expect(grew.arrayBuffers).toBeLessThan(16 * MiB);
    expect(grew.rss).toBeLessThan(16 * MiB);
  });

  it("correct pongs, then junk: FAIL PROTOCOL_VIOLATION, not PASS or TIMEOUT (the junk is recorded in a pong's place)", async () => {
    const run = await client.run(target("pongs-then-junk"), task(ChallengeKind.LATENCY));
    expect(run.outcome.result).toBe(CheckResult.FAIL);
    expect(run.outcome.reasons.map((r) => r.code)).toEqual([ReasonCode.PROTOCOL_VIOLATION]);
    expect(run.wireErrors).toEqual([`TRAILING: ${FrameErrorCode.MALFORMED}`]);
    const pongs = run.transcript.messages.filter((m) => m.type === TranscriptMessageType.PONG);
    expect(pongs).toHaveLength(PARAMS.pingCount + 1);
    expect(pongs.at(-1)!.payload).toBe(`0x${"ee".repeat(31)}`);
    expect(evaluateTranscript(transcriptCodec.decode(run.encodedTranscript), PARAMS)).toEqual(run.outcome);
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

describe("ChallengeClient: a workload answer that breaks the framing", () => {
  it("an oversized MatmulCommit and bytes that are not frames in place of a VRAM answer: FAIL PROTOCOL_VIOLATION", async () => {
    const big = await client.run(target("oversized"), task(ChallengeKind.MATMUL));
    expect(big.outcome.result).toBe(CheckResult.FAIL);
    expect(big.outcome.reasons.map((r) => r.code)).toContain(ReasonCode.PROTOCOL_VIOLATION);
    expect(big.wireErrors).toContain(FrameErrorCode.OVERSIZED);
    expect(big.encodedTranscript.length).toBeLessThan(8192);
    const raw = await client.run(target("raw-garbage"), task(ChallengeKind.VRAM));
    expect(raw.outcome.result).toBe(CheckResult.FAIL);
    expect(raw.outcome.reasons.map((r) => r.code)).toContain(ReasonCode.PROTOCOL_VIOLATION);
    for (const run of [big, raw])
      expect(evaluateTranscript(transcriptCodec.decode(run.encodedTranscript), PARAMS)).toEqual(run.outcome);
  });
});

describe("ChallengeClient: this checker's own lag never blames the provider", () => {
  /** Keeps the main thread busy, as a CPU-heavy task in the checker's process would. */
  function blockFor(ms: number): void {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      // spin
    }
  }

  /**
   * A client whose host stalls this process for `ms` right after it sends the
   * VRAM query (the second frame on the run's second stream, after the latency
   * pings' stream and the ADMIT), so the provider's answer is read late by the
   * checker's own fault.
   */
  async function stallingClient(ms: number): Promise<ChallengeClient> {
    const host = await newHost();
    let dials = 0;
    const stalling = {
      dialProtocol: async (...args: Parameters<CheckerHost["dialProtocol"]>) => {
        const stream = await host.dialProtocol(...args);
        if (++dials % 2 === 0) {
          const send = stream.send.bind(stream);
          let sends = 0;
          stream.send = (data) => {
            const drained = send(data);
            if (++sends === 2) setTimeout(() => blockFor(ms), 0);
            return drained;
          };
        }
        return stream;
      },
    };
    return new ChallengeClient(
      { host: stalling, logger: createLogger({ level: "silent", pretty: false }), metrics: createMetrics() },
      { params: PARAMS, checkerRegion: LOCAL_REGION },
    );
  }

  const vramTask = () => task(ChallengeKind.VRAM);
  // The walk's answer deadline at a 1 ms RTT (16 steps over 64-byte blocks, CPU class): about 52 ms
  // plus twice the run's measured RTT. The provider answers in well under a millisecond.
  const deadlineMs = () => vramDeadlineMs(CPU_CLASS, 64, 16, 1);

  it("an honest answer read after the deadline because this process stalled: the run abstains instead of FAILing", async () => {
    // A stall between one and two deadlines makes the answer late but still read (DEADLINE_EXCEEDED).
    // The deadline grows with the RTT the run measures, which a busy machine raises, so the stall
    // steps up until one lands there: these cover RTTs from 0 to about 50 ms.
    const runs = [];
    for (const factor of [1.4, 1.8, 2.3, 2.9]) {
      const run = await (await stallingClient(Math.ceil(deadlineMs() * factor))).run(
        target("honest"),
        vramTask(),
      );
      runs.push(run);
      if (run.outcome.reasons.some((r) => r.code === ReasonCode.DEADLINE_EXCEEDED)) break;
    }
    const late = runs.at(-1)!;
    // What the clock saw is kept as evidence, but it is not attested.
    expect(late.outcome.reasons.map((r) => r.code)).toEqual([ReasonCode.DEADLINE_EXCEEDED]);
    expect(late.abstain?.ownStallMs).toBeGreaterThanOrEqual(deadlineMs());
    expect(late.abstain?.reason).toMatch(/without that the run passes/);
    // No stalled run is ever attested as a failure.
    for (const run of runs)
      expect(run.outcome.result === CheckResult.PASS || run.abstain !== undefined).toBe(true);
  });

  it("a stall over the whole wait (the wait's timer runs before the waiting answer is read): abstains instead of TIMEOUT", async () => {
    // Past the wait (two deadlines). The wait grows with the RTT the run measures, which a busy machine
    // raises (a run with one core kept busy measured enough to PASS through a 4-deadline stall), so the
    // stall steps up until one outlasts the wait: these cover RTTs from 0 to about 400 ms.
    const runs = [];
    for (const factor of [4, 8, 16]) {
      const run = await (await stallingClient(Math.ceil(deadlineMs() * factor))).run(
        target("honest"),
        vramTask(),
      );
      runs.push(run);
      if (run.outcome.result !== CheckResult.PASS) break;
    }
    const stalled = runs.at(-1)!;
    expect(stalled.outcome.result).not.toBe(CheckResult.PASS);
    expect(stalled.abstain).toBeDefined();
    // A run the stall did not outlast passed on its own; none is ever attested as a failure.
    for (const run of runs)
      expect(run.outcome.result === CheckResult.PASS || run.abstain !== undefined).toBe(true);
  });

  it("no stall: a silent provider is TIMEOUT and a wrong answer is FAIL, attested as measured", async () => {
    const hang = await client.run(target("hang"), vramTask());
    expect(hang.outcome.result).toBe(CheckResult.TIMEOUT);
    expect(hang.abstain).toBeUndefined();
    // A wrong digest is objective: even a stalled checker attests it.
    const wrong = await (await stallingClient(Math.ceil(deadlineMs() * 1.4))).run(
      target("wrong-row"),
      vramTask(),
    );
    expect(wrong.outcome.result).toBe(CheckResult.FAIL);
    expect(wrong.abstain).toBeUndefined();
  });
});

describe("ChallengeClient: a provider that was only late gets one more run (secondChance.ts)", () => {
  const chance = (endByMs = Date.now() + 60_000): SecondChance => ({
    freshSeed: () => bytesToHex(randomBytes(32)),
    endByMs,
    nowMs: () => Date.now(),
  });
  const results = async (m: ReturnType<typeof createMetrics>) =>
    (await m.challengeRuns.get()).values.map((v) => `${v.labels.result}:${v.value}`).sort();

  it("late once, then on time: the second run passes and is the one returned; the first counts as retried", async () => {
    const metrics = createMetrics();
    const c = new ChallengeClient(
      { host: await newHost(), logger: createLogger({ level: "silent", pretty: false }), metrics },
      { params: PARAMS, checkerRegion: LOCAL_REGION },
    );
    const t = task(ChallengeKind.VRAM);
    const run = await c.run(target("late-once"), t, chance());
    expect(run.outcome.result).toBe(CheckResult.PASS);
    // A fresh seed: the provider could not have prepared the second run.
    expect(run.transcript.seed).not.toBe(t.seed);
    expect(await results(metrics)).toEqual(["pass:1", "retried:1"]);
  });

  it("late on both runs: the second run's failure stands; without a second chance the first one does", async () => {
    const twice = await client.run(target("late"), task(ChallengeKind.VRAM), chance());
    expect(twice.outcome.result).not.toBe(CheckResult.PASS);
    expect(
      twice.outcome.reasons.every(
        (r) => r.code === ReasonCode.DEADLINE_EXCEEDED || r.code === ReasonCode.NO_RESPONSE,
      ),
    ).toBe(true);
    const once = await client.run(target("late"), task(ChallengeKind.VRAM));
    expect(once.outcome.result).not.toBe(CheckResult.PASS);
  });

  it("a wrong answer is never run again, and no second run starts that would end after endByMs", async () => {
    const metrics = createMetrics();
    const c = new ChallengeClient(
      { host: await newHost(), logger: createLogger({ level: "silent", pretty: false }), metrics },
      { params: PARAMS, checkerRegion: LOCAL_REGION },
    );
    const wrong = await c.run(target("wrong-row"), task(ChallengeKind.VRAM), chance());
    expect(wrong.outcome.result).toBe(CheckResult.FAIL);
    const t = task(ChallengeKind.VRAM);
    const late = await c.run(target("late"), t, chance(Date.now() + 100));
    expect(late.transcript.seed).toBe(t.seed);
    expect(late.outcome.result).not.toBe(CheckResult.PASS);
    expect(await results(metrics)).not.toContain(expect.stringMatching(/^retried/));
  });
});
