import { gpuClass } from "@checkernet/protocol/challenges/gpu-classes";
import { pingCodec } from "@checkernet/protocol/challenges/latency";
import { matmulRequestCodec, sampleRows } from "@checkernet/protocol/challenges/matmul";
import { CheckResult } from "@checkernet/protocol/types";
import { encodeVarint, FrameType as WireType } from "@checkernet/wire";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Libp2p } from "@libp2p/interface";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CpuBackend } from "../src/backend/cpu.ts";
import { createProviderHost } from "../src/host.ts";
import { ServeErrorCode } from "../src/serve/messages.ts";
import { ChallengeServer } from "../src/serve/server.ts";
import {
  clientHost,
  hex32,
  silentLog,
  sleep,
  TEST_CHECKER,
  TEST_PROVIDER,
  TestChallenge,
  verifyCpuMatmul,
  walkVram,
} from "./helpers.ts";

const CPU = gpuClass("cpu-reference").code;

describe("provider serve: the challenge protocol over real libp2p (TCP + Noise + Yamux)", () => {
  let provider: Libp2p;
  let backend: CpuBackend;
  let server: ChallengeServer;
  let checkers: Libp2p[];

  beforeAll(async () => {
    provider = await createProviderHost({
      privateKey: await generateKeyPair("Ed25519"),
      listen: ["/ip4/127.0.0.1/tcp/0"],
    });
    backend = new CpuBackend({ workers: 1, maxVramBytes: 1 << 20 });
    await backend.warmUp();
    server = new ChallengeServer({
      host: provider,
      provider: TEST_PROVIDER,
      backend,
      log: silentLog,
      limits: { firstFrameTimeoutMs: 500, maxMatmulSize: 1024, maxConcurrentMatmul: 4 },
    });
    await server.start();
    checkers = await Promise.all([clientHost(), clientHost(), clientHost()]);
  });

  afterAll(async () => {
    await server?.stop();
    await Promise.all([provider?.stop(), ...(checkers ?? []).map((c) => c.stop())]);
    await backend?.close();
  });

  const checker = (i: number): Libp2p => checkers[i] as Libp2p;

  it("echoes every ping on one stream, and the answer comes from the provider's authenticated peer id", async () => {
    const run = await TestChallenge.open(checker(0), provider.getMultiaddrs());
    const conn = checker(0).getConnections(provider.peerId)[0];
    expect(conn?.remotePeer.equals(provider.peerId)).toBe(true);
    for (let seq = 0; seq < 8; seq++) {
      const nonce = hex32(seq + 1);
      const { pong } = await run.ping({ seq, nonce });
      expect(pong).toEqual({ seq, nonce });
    }
    await run.close();
    expect(await run.read(2_000)).toBeNull();
  });

  it("commits to a matmul and opens the rows the checker picks after the commit", async () => {
    const seed = hex32(0xab);
    const run = await TestChallenge.open(checker(0), provider.getMultiaddrs());
    const n = 96;
    const out = await run.matmul(seed, n, CPU, (c) => sampleRows(hex32(0x77), c.root, n, 4));
    const outcome = verifyCpuMatmul(seed, n, out, 1);
    expect(outcome.reasons).toEqual([]);
    expect(outcome.result).toBe(CheckResult.PASS);
    // The provider keeps the stream for a RUN_SIGN until the checker ends it.
    await run.close();
    expect(await run.read(2_000)).toBeNull();
  });

  it("serves matmuls to several checkers at once", async () => {
    const n = 128;
    const runs = await Promise.all(
      [0, 1, 2].map(async (i) => {
        const seed = hex32(0x10 + i);
        const run = await TestChallenge.open(checker(i), provider.getMultiaddrs());
        const out = await run.matmul(seed, n, CPU, (c) => sampleRows(hex32(0x20 + i), c.root, n, 3));
        return verifyCpuMatmul(seed, n, out, 0);
      }),
    );
    // One worker serves the three in turn, so the last may miss the cpu-reference deadline:
    // what must hold is that every answer is right.
    for (const outcome of runs)
      expect(outcome.reasons.filter((r) => r.code !== "DEADLINE_EXCEEDED")).toEqual([]);
  });

  it("walks the resident VRAM dataset and refuses any other", async () => {
    const { request, outcome } = await walkVram(backend, checker(1), provider, {
      dataset: { seed: hex32(0x5e), blockCount: 16, blockSize: 4096 },
      nonce: hex32(0x01),
      steps: 32,
      randomness: hex32(0x99),
      sampledBlocks: 8,
    });
    expect(outcome.result).toBe(CheckResult.PASS);

    const other = await TestChallenge.open(checker(1), provider.getMultiaddrs());
    await expect(other.vram({ ...request, seed: hex32(0x5f) })).rejects.toThrow(ServeErrorCode.NOT_RESIDENT);
  });

  it("test 4: answers latency pings within their deadline while a large matmul runs", async () => {
    // n = 640 is ~2.6·10^8 multiply-accumulates: hundreds of ms of solid CPU in the worker.
    const n = 640;
    const matmul = await TestChallenge.open(checker(2), provider.getMultiaddrs());
    let committedAt = 0;
    const job = matmul
      .matmul(hex32(0x42), n, CPU, (c) => {
        committedAt = performance.now();
        return sampleRows(hex32(0x43), c.root, n, 2);
      })
      .then((out) => out);
    await sleep(30);
    const pings = await TestChallenge.open(checker(0), provider.getMultiaddrs());
    const rtts: number[] = [];
    const pingTimes: number[] = [];
    for (let seq = 0; seq < 8; seq++) {
      const { pong, rttMs } = await pings.ping({ seq, nonce: hex32(0xc0 + seq) }, 2_000);
      expect(pong.seq).toBe(seq);
      rtts.push(rttMs);
      pingTimes.push(performance.now());
      await sleep(10);
    }
    await pings.close();
    await job;
    // The pings were answered while the matmul was still computing...
    expect(pingTimes.filter((t) => t < committedAt).length).toBeGreaterThanOrEqual(4);
    // ...each far inside the protocol's pingTimeoutMs (2 s) and the liveness threshold.
    expect(Math.max(...rtts)).toBeLessThan(250);
  });

  it("refuses an oversized first frame from its length alone", async () => {
    const run = await TestChallenge.open(checker(0), provider.getMultiaddrs());
    await run.frames.writeRaw(encodeVarint(server.limits.maxRequestFrameBytes + 1));
    const reply = await run.read(2_000).catch((err: Error) => err);
    expect(reply instanceof Error || reply === null || reply.type === WireType.ERROR).toBe(true);
    expect(server.stats.errors.FRAME_ERROR_OVERSIZED).toBeGreaterThanOrEqual(1);
  });

  it("answers an unknown request type, an out-of-range open and an oversized n with an ERROR frame", async () => {
    const unknown = await TestChallenge.open(checker(0), provider.getMultiaddrs());
    await unknown.send(0x55, new Uint8Array(10));
    await expect(unknown.expect(WireType.PONG, 2_000)).rejects.toThrow(ServeErrorCode.UNEXPECTED_TYPE);

    const garbled = await TestChallenge.open(checker(0), provider.getMultiaddrs());
    await garbled.send(WireType.PING, new Uint8Array(63));
    await expect(garbled.expect(WireType.PONG, 2_000)).rejects.toThrow(ServeErrorCode.BAD_MESSAGE);

    const big = await TestChallenge.open(checker(0), provider.getMultiaddrs());
    await big.send(
      WireType.MATMUL_REQUEST,
      matmulRequestCodec.encode({ seed: hex32(1), n: 2048, classId: CPU, epoch: 1n, checker: TEST_CHECKER }),
    );
    await expect(big.expect(WireType.MATMUL_COMMIT, 2_000)).rejects.toThrow(ServeErrorCode.LIMIT);

    const open = await TestChallenge.open(checker(0), provider.getMultiaddrs());
    await open.send(
      WireType.MATMUL_REQUEST,
      matmulRequestCodec.encode({ seed: hex32(2), n: 32, classId: CPU, epoch: 1n, checker: TEST_CHECKER }),
    );
    await open.expect(WireType.MATMUL_COMMIT, 5_000);
    // Row 40 of a 32-row result: the open codec refuses it.
    const { matmulOpenCodec } = await import("@checkernet/protocol/challenges/matmul");
    await open.send(WireType.MATMUL_OPEN, matmulOpenCodec(64, 1).encode({ rows: [40] }));
    await expect(open.expect(WireType.MATMUL_ROWS, 2_000)).rejects.toThrow(ServeErrorCode.BAD_MESSAGE);

    // A ping in the middle of a ping stream is fine; a matmul request there is not.
    const mixed = await TestChallenge.open(checker(0), provider.getMultiaddrs());
    await mixed.ping({ seq: 0, nonce: hex32(9) });
    await mixed.send(
      WireType.MATMUL_REQUEST,
      matmulRequestCodec.encode({ seed: hex32(3), n: 8, classId: CPU, epoch: 1n, checker: TEST_CHECKER }),
    );
    await expect(mixed.expect(WireType.PONG, 2_000)).rejects.toThrow(ServeErrorCode.UNEXPECTED_TYPE);
  });

  it("drops a checker that opens a stream and says nothing", async () => {
    const before = server.stats.errors.FRAME_ERROR_TIMEOUT ?? 0;
    const run = await TestChallenge.open(checker(1), provider.getMultiaddrs());
    await sleep(800);
    expect(server.stats.errors.FRAME_ERROR_TIMEOUT).toBe(before + 1);
    await run.close();
  });

  it("still pings after all of the above (no handler leaked a failure)", async () => {
    const run = await TestChallenge.open(checker(2), provider.getMultiaddrs());
    expect((await run.ping({ seq: 7, nonce: hex32(0xee) })).pong.seq).toBe(7);
    await run.close();
    expect(pingCodec.encode({ seq: 1, nonce: hex32(1) }).length).toBe(64);
  });
});
