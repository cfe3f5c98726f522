import { gpuClass } from "@checkernet/protocol/challenges/gpu-classes";
import { type Ping, type Pong, pingCodec, pongCodec } from "@checkernet/protocol/challenges/latency";
import {
  type MatmulCommit,
  type MatmulOutcome,
  type MatmulRows,
  matmulCommitCodec,
  matmulOpenCodec,
  matmulRequestCodec,
  matmulRowsCodec,
  verifyMatmul,
} from "@checkernet/protocol/challenges/matmul";
import {
  type VramOutcome,
  type VramRequest,
  type VramResponse,
  verifyVram,
  vramRequestCodec,
  vramResponseCodec,
} from "@checkernet/protocol/challenges/vram";
import {
  CHALLENGE_PROTOCOL,
  typedPayload as encodeAnswer,
  FrameStream,
  FrameType as WireType,
} from "@checkernet/wire";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Libp2p, Stream } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { pino } from "pino";
import type { ComputeBackend, VramDataset } from "../src/backend/backend.ts";
import { createProviderHost } from "../src/host.ts";

/** The registry address of the provider the test servers are (what a checker's ADMIT names). */
export const TEST_PROVIDER = "0x00000000000000000000000000000000000000B0" as const;

/** The checker address test requests name (the commitment's `checker`). */
export const TEST_CHECKER = "0x00000000000000000000000000000000000000C1" as const;

export const silentLog = pino({ level: "silent" });

export async function clientHost(): Promise<Libp2p> {
  return createProviderHost({ privateKey: await generateKeyPair("Ed25519"), listen: [] });
}

/** Largest answer the test client accepts: 64 rows of n = 1024 with proofs is well below. */
const MAX_ANSWER = 2 * 1024 * 1024;

/** A minimal checker-side client over the same framing, for driving the server in tests. */
export class TestChallenge {
  readonly stream: Stream;
  readonly frames: FrameStream;
  constructor(stream: Stream) {
    this.stream = stream;
    this.frames = new FrameStream(stream);
  }

  static async open(client: Libp2p, provider: Multiaddr[]): Promise<TestChallenge> {
    return new TestChallenge(await client.dialProtocol(provider, CHALLENGE_PROTOCOL));
  }

  send(type: number, body: Uint8Array): Promise<void> {
    return this.frames.write(encodeAnswer(type as WireType, body));
  }

  /** Reads one frame and splits it into type and body; null when the provider closed. */
  async read(timeoutMs: number): Promise<{ type: number; body: Uint8Array } | null> {
    const frame = await this.frames.read(MAX_ANSWER, AbortSignal.timeout(timeoutMs));
    if (frame === null) return null;
    return { type: frame[0] as number, body: frame.subarray(1) };
  }

  async expect(type: number, timeoutMs: number): Promise<Uint8Array> {
    const got = await this.read(timeoutMs);
    if (got === null) throw new Error("provider closed the stream");
    if (got.type === WireType.ERROR) throw new Error(`provider error: ${new TextDecoder().decode(got.body)}`);
    if (got.type !== type) throw new Error(`expected type ${type}, got ${got.type}`);
    return got.body;
  }

  async ping(p: Ping, timeoutMs = 2_000): Promise<{ pong: Pong; rttMs: number }> {
    const started = performance.now();
    await this.send(WireType.PING, pingCodec.encode(p));
    const pong = pongCodec.decode(await this.expect(WireType.PONG, timeoutMs));
    return { pong, rttMs: performance.now() - started };
  }

  async matmul(
    seed: `0x${string}`,
    n: number,
    classId: number,
    chooseRows: (commit: MatmulCommit) => number[],
    timeoutMs = 20_000,
  ): Promise<{ commit: MatmulCommit; measuredMs: number; rows: number[]; openings: MatmulRows }> {
    const started = performance.now();
    await this.send(
      WireType.MATMUL_REQUEST,
      matmulRequestCodec.encode({ seed, n, classId, epoch: 1n, checker: TEST_CHECKER }),
    );
    const commit = matmulCommitCodec.decode(await this.expect(WireType.MATMUL_COMMIT, timeoutMs));
    const measuredMs = performance.now() - started;
    const rows = chooseRows(commit);
    await this.send(WireType.MATMUL_OPEN, matmulOpenCodec(n, rows.length).encode({ rows }));
    const openings = matmulRowsCodec(n, rows.length).decode(await this.expect(WireType.MATMUL_ROWS, 5_000));
    return { commit, measuredMs, rows, openings };
  }

  async vram(
    request: VramRequest,
    timeoutMs = 10_000,
  ): Promise<{ response: VramResponse; measuredMs: number }> {
    const started = performance.now();
    await this.send(WireType.VRAM_QUERY, vramRequestCodec.encode(request));
    const response = vramResponseCodec.decode(await this.expect(WireType.VRAM_ANSWER, timeoutMs));
    return { response, measuredMs: performance.now() - started };
  }

  async close(): Promise<void> {
    await this.stream.close().catch(() => {});
  }
}

/** What {@link TestChallenge.matmul} read back from the provider. */
type MatmulAnswer = Awaited<ReturnType<TestChallenge["matmul"]>>;

/** Verifies a matmul answer for `seed` and size `n` as a checker of the CPU reference class would. */
export function verifyCpuMatmul(
  seed: `0x${string}`,
  n: number,
  answer: MatmulAnswer,
  networkRttMs: number,
): MatmulOutcome {
  return verifyMatmul({
    seed,
    n,
    classId: gpuClass("cpu-reference").code,
    commitment: answer.commit,
    requestedRows: answer.rows,
    // Any randomness: it only picks the entries of an opened row that are recomputed, all of them at n <= 64.
    randomness: answer.commit.root,
    openings: answer.openings,
    measuredMs: answer.measuredMs,
    networkRttMs,
    params: { matmulMaxSize: 4096 },
  });
}

/** One VRAM walk of a checker against `provider`, over `dataset` made resident on `backend` first. */
export interface VramWalk {
  dataset: VramDataset;
  nonce: `0x${string}`;
  steps: number;
  /** The checker's randomness choosing the blocks it samples. */
  randomness: `0x${string}`;
  sampledBlocks: number;
}

/**
 * Prepares the walk's dataset on `backend`, walks it once from `client` and
 * verifies the answer as a checker of the CPU reference class would.
 */
export async function walkVram(
  backend: ComputeBackend,
  client: Libp2p,
  provider: Libp2p,
  walk: VramWalk,
): Promise<{ request: VramRequest; outcome: VramOutcome }> {
  await backend.vramPrepare(walk.dataset);
  const request = { ...walk.dataset, nonce: walk.nonce, steps: walk.steps };
  const run = await TestChallenge.open(client, provider.getMultiaddrs());
  const { response } = await run.vram(request);
  const outcome = verifyVram({
    request,
    response,
    randomness: walk.randomness,
    classId: gpuClass("cpu-reference").code,
    measuredMs: 1,
    networkRttMs: 0,
    params: { vramSampledBlocks: walk.sampledBlocks },
  });
  return { request, outcome };
}

export function hex32(byte: number): `0x${string}` {
  return `0x${byte.toString(16).padStart(2, "0").repeat(32)}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
