import { gpuClass } from "@checkernet/protocol/challenges/gpu-classes";
import { pingCodec } from "@checkernet/protocol/challenges/latency";
import {
  generateMatmul,
  recomputeRow,
  sampleRows,
  solveMatmul,
} from "@checkernet/protocol/challenges/matmul";
import { cheaterSaving } from "@checkernet/protocol/challenges/matmul-detection";
import { CheckResult } from "@checkernet/protocol/types";
import {
  CHALLENGE_PROTOCOL,
  typedPayload as encodeAnswer,
  WireErrorCode as FrameErrorCode,
  FrameType as WireType,
} from "@checkernet/wire";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Libp2p } from "@libp2p/interface";
import { byteStream } from "@libp2p/utils";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CpuBackend } from "../src/backend/cpu.ts";
import { applyFault, type FaultOptions, selects } from "../src/faults/faults.ts";
import { parseFaultMode } from "../src/faults/mode.ts";
import { WrongRowsBackend } from "../src/faults/wrongRows.ts";
import { createProviderHost } from "../src/host.ts";
import { ChallengeServer } from "../src/serve/server.ts";
import {
  clientHost,
  hex32,
  silentLog,
  sleep,
  TEST_PROVIDER,
  TestChallenge,
  verifyCpuMatmul,
  walkVram,
} from "./helpers.ts";

const CPU = gpuClass("cpu-reference").code;

let backend: CpuBackend;
let checkers: Libp2p[];
const running: Array<() => Promise<void>> = [];

beforeAll(async () => {
  backend = new CpuBackend({ workers: 1, maxVramBytes: 1 << 20 });
  await backend.warmUp();
  checkers = await Promise.all(Array.from({ length: 6 }, () => clientHost()));
});
afterEach(async () => {
  for (const stop of running.splice(0)) await stop();
});
afterAll(async () => {
  await Promise.all((checkers ?? []).map((c) => c.stop()));
  await backend?.close();
});

/** A provider host + server running the given --fault flag. */
async function faultyProvider(flag: string, options: FaultOptions = {}): Promise<Libp2p> {
  const fault = applyFault(parseFaultMode(flag), backend, options);
  const host = await createProviderHost({
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    connectionGater: fault.connectionGater,
  });
  const server = new ChallengeServer({
    host,
    provider: TEST_PROVIDER,
    backend,
    behaviour: fault.behaviour,
    log: silentLog,
  });
  await server.start();
  fault.attach(host);
  running.push(async () => {
    fault.detach();
    await server.stop();
    await host.stop();
  });
  return host;
}

async function matmulOutcome(checker: Libp2p, provider: Libp2p, seed: `0x${string}`, n: number) {
  const run = await TestChallenge.open(checker, provider.getMultiaddrs());
  const out = await run.matmul(seed, n, CPU, (c) => sampleRows(hex32(0x31), c.root, n, 4));
  await run.close();
  return verifyCpuMatmul(seed, n, out, 1);
}

describe("fault modes, caught by the protocol's own verifiers over real libp2p", () => {
  it("honest passes what the faulty modes fail", async () => {
    const provider = await faultyProvider("honest");
    expect((await matmulOutcome(checkers[0] as Libp2p, provider, hex32(1), 64)).result).toBe(
      CheckResult.PASS,
    );
  });

  it("wrong-results:1 commits consistently to a wrong product, echoes wrong nonces, returns wrong digests", async () => {
    const provider = await faultyProvider("wrong-results:1");
    const outcome = await matmulOutcome(checkers[0] as Libp2p, provider, hex32(2), 64);
    expect(outcome.result).toBe(CheckResult.FAIL);
    // The proofs verify: only the recomputation catches it.
    const codes = outcome.reasons.map((r) => r.code).filter((c) => c !== "DEADLINE_EXCEEDED");
    expect(codes).toEqual(["WRONG_ROW", "WRONG_ROW", "WRONG_ROW", "WRONG_ROW"]);

    const run = await TestChallenge.open(checkers[0] as Libp2p, provider.getMultiaddrs());
    const { pong } = await run.ping({ seq: 3, nonce: hex32(3) });
    expect(pong.seq).toBe(3);
    expect(pong.nonce).not.toBe(hex32(3));
    await run.close();

    const { outcome: vram } = await walkVram(backend, checkers[0] as Libp2p, provider, {
      dataset: { seed: hex32(0x44), blockCount: 8, blockSize: 1024 },
      nonce: hex32(5),
      steps: 16,
      randomness: hex32(6),
      sampledBlocks: 4,
    });
    expect(vram.result).toBe(CheckResult.FAIL);
    expect(vram.reasons[0]?.code).toBe("WRONG_DIGEST");
  });

  it("wrong-rows:<f> makes ⌈f·n⌉ rows wrong, the cheater the protocol's detection odds model", () => {
    // 4.4 rows: rounding made 4, and the devnet's cheater saved less work than the odds it was judged by.
    for (const [f, n, rows] of [
      [0.11, 40, 5],
      [0.1, 40, 4],
      [0.001, 40, 1],
      [1, 40, 40],
    ] as const) {
      const wrong = new WrongRowsBackend(backend, f).wrongRowsOf(n);
      expect(wrong).toHaveLength(rows);
      expect(wrong).toHaveLength(cheaterSaving(n, f, n).wrongRows);
      expect(new Set(wrong).size).toBe(rows);
    }
    expect(new WrongRowsBackend(backend, 0).wrongRowsOf(40)).toEqual([]);
  });

  it("wrong-rows:<f> commits to a C with ⌈f·n⌉ wrong rows and opens it consistently", async () => {
    const n = 40;
    const seed = hex32(0x71);
    const wrong = new WrongRowsBackend(backend, 0.1);
    const job = await wrong.matmul(seed, n);
    const opened = await job.open(Array.from({ length: n }, (_, i) => i));
    job.release();
    const { a, b } = generateMatmul(seed, n);
    const honestC = solveMatmul(a, b, n);
    const bad = opened.rows.filter((row, i) => row.some((v, j) => v !== honestC[i * n + j]));
    expect(bad).toHaveLength(4);
    // Wrong in every entry, as a row whose work was skipped is: the checker's sampled entries all see it.
    const wholly = opened.rows.filter((row, i) => row.every((v, j) => v !== honestC[i * n + j]));
    expect(wholly).toHaveLength(4);
    expect(recomputeRow(a, b, n, 0)).toEqual(honestC.subarray(0, n));
    // Every row the checker asks for leads to the committed root (verifyMatmul finds only WRONG_ROW).
    const provider = await faultyProvider("wrong-rows:1");
    const outcome = await matmulOutcome(checkers[0] as Libp2p, provider, hex32(0x72), 64);
    const codes = outcome.reasons.map((r) => r.code).filter((c) => c !== "DEADLINE_EXCEEDED");
    expect(codes).toEqual(["WRONG_ROW", "WRONG_ROW", "WRONG_ROW", "WRONG_ROW"]);
    const run = await TestChallenge.open(checkers[0] as Libp2p, provider.getMultiaddrs());
    const { pong } = await run.ping({ seq: 1, nonce: hex32(8) });
    expect(pong.nonce).toBe(hex32(8));
    await run.close();
  });

  it("wrong-results:<fraction> fails about that fraction of challenges, one draw per challenge", async () => {
    let state = 7;
    // A fixed LCG so the test is deterministic: the draws are known in advance.
    const random = (): number => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31;
    };
    const provider = await faultyProvider("wrong-results:0.5", { random });
    let wrong = 0;
    for (let i = 0; i < 10; i++) {
      const run = await TestChallenge.open(checkers[1] as Libp2p, provider.getMultiaddrs());
      const nonce = hex32(0x80 + i);
      const { pong } = await run.ping({ seq: i, nonce });
      if (pong.nonce !== nonce) wrong++;
      await run.close();
    }
    expect(wrong).toBeGreaterThan(1);
    expect(wrong).toBeLessThan(9);
  });

  it("slow:50 misses the cpu-reference class deadline and says so in its elapsed time", async () => {
    // The n = 256 deadline (~1.28 s) is 8-16 honest products here (80-170 ms), and a fast laptop does one
    // in ~30 ms: 50 times slower is past the deadline on either.
    const provider = await faultyProvider("slow:50");
    const outcome = await matmulOutcome(checkers[2] as Libp2p, provider, hex32(7), 256);
    expect(outcome.reasons.map((r) => r.code)).toContain("DEADLINE_EXCEEDED");
    expect(outcome.reasons.map((r) => r.code)).not.toContain("WRONG_ROW");
    expect(outcome.reasons.map((r) => r.code)).not.toContain("ELAPSED_EXCEEDS_MEASURED");
  });

  it("ghost keeps every byte-level read busy but never completes a frame within a total deadline", async () => {
    const provider = await faultyProvider("ghost", { trickleIntervalMs: 100 });
    const stream = await (checkers[3] as Libp2p).dialProtocol(provider.getMultiaddrs(), CHALLENGE_PROTOCOL);
    const ping = encodeAnswer(WireType.PING, pingCodec.encode({ seq: 0, nonce: hex32(9) }));
    const bytes = byteStream(stream);
    await bytes.write(Uint8Array.from([ping.length, ...ping]));
    // A per-read idle timeout of 500 ms never fires: a byte comes every 100 ms...
    let received = 0;
    const started = performance.now();
    while (performance.now() - started < 1_500) {
      const chunk = await bytes.read({ bytes: 1, signal: AbortSignal.timeout(500) });
      received += chunk.byteLength;
    }
    // ...yet after 1.5 s the 66-byte frame (prefix, type, 64-byte pong) is nowhere near complete.
    expect(received).toBeGreaterThan(5);
    expect(received).toBeLessThan(66);
    stream.abort(new Error("total deadline passed"));
  });

  it("ghost is caught by a reader with a whole-frame deadline (FrameStream, as the checker reads)", async () => {
    const provider = await faultyProvider("ghost", { trickleIntervalMs: 100 });
    const run = await TestChallenge.open(checkers[3] as Libp2p, provider.getMultiaddrs());
    await run.send(WireType.PING, pingCodec.encode({ seq: 0, nonce: hex32(9) }));
    await expect(run.read(1_000)).rejects.toMatchObject({ code: FrameErrorCode.TIMEOUT });
    run.stream.abort(new Error("done"));
  });

  it("selective:0.5 answers exactly the checkers its salt picks; the others cannot even connect", async () => {
    // Peer ids are fresh each run: take the first salt that splits the six checkers into two non-empty groups.
    let salt = new Uint8Array(32);
    let picked: boolean[] = [];
    for (let k = 1; k < 256; k++) {
      salt = new Uint8Array(32).fill(k);
      picked = checkers.map((c) => selects(salt, c.peerId.toString(), 0.5));
      if (picked.some(Boolean) && picked.some((p) => !p)) break;
    }
    expect(picked.some(Boolean) && picked.some((p) => !p)).toBe(true);
    const provider = await faultyProvider("selective:0.5", { selectionSalt: salt });
    for (const [i, checker] of checkers.entries()) {
      const attempt = (async () => {
        const run = await TestChallenge.open(checker, provider.getMultiaddrs());
        const { pong } = await run.ping({ seq: i, nonce: hex32(i + 1) }, 1_000);
        await run.close();
        return pong.seq === i;
      })().catch((err: Error) => {
        if (picked[i]) console.error(err);
        return false;
      });
      expect(await attempt).toBe(picked[i]);
    }
  });

  it("offline-epochs drops live connections when its epoch begins, refuses dials during it, and comes back", async () => {
    let epoch = 0n;
    const provider = await faultyProvider("offline-epochs:1", { epochClock: () => epoch });
    const checker = checkers[4] as Libp2p;
    const ping = async (seq: number): Promise<boolean> => {
      try {
        const run = await TestChallenge.open(checker, provider.getMultiaddrs());
        const { pong } = await run.ping({ seq, nonce: hex32(seq + 1) }, 1_000);
        await run.close();
        return pong.seq === seq;
      } catch {
        return false;
      }
    };
    expect(await ping(0)).toBe(true);
    expect(checker.getConnections(provider.peerId).length).toBe(1);
    epoch = 1n;
    await sleep(300);
    expect(checker.getConnections(provider.peerId).length).toBe(0);
    expect(await ping(1)).toBe(false);
    epoch = 2n;
    await sleep(150);
    expect(await ping(2)).toBe(true);
  });
});
