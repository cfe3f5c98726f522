import { answerPing, pingCodec, pongCodec } from "@checkernet/protocol/challenges/latency";
import {
  commitRows,
  generateMatmul,
  type MatmulRequest,
  matmulCommitCodec,
  matmulOpenCodec,
  matmulRequestCodec,
  matmulRowsCodec,
  openRows,
  solveMatmul,
} from "@checkernet/protocol/challenges/matmul";
import { runSignedMessages, runSignRequestCodec } from "@checkernet/protocol/challenges/run-signature";
import { runSeeds, TranscriptMessageType as T } from "@checkernet/protocol/challenges/transcript";
import {
  answerVram,
  generateVramBlock,
  vramRequestCodec,
  vramResponseCodec,
} from "@checkernet/protocol/challenges/vram";
import type { AnswerMessage } from "@checkernet/protocol/fraud/answerSigning";
import {
  ADMIT_BODY_BYTES,
  CHALLENGE_PROTOCOL,
  encodeAdmitted,
  encodeFrame,
  encodeVarint,
  FrameReader,
  FrameType,
  writeFrame,
} from "@checkernet/wire";
import type { Stream } from "@libp2p/interface";
import { bytesToHex, type Hex, hexToBytes } from "viem";
import type { CheckerHost } from "../../src/network/host.ts";

/**
 * A small real provider for the challenge-client tests, answering with the
 * reference solvers of packages/protocol. Behaviours:
 * - honest: answers every message correctly;
 * - garbage: answers with a frame of the right type whose body does not decode;
 * - raw-garbage: answers with bytes that are not a frame at all;
 * - oversized: declares a 64 MiB frame and starts streaming it;
 * - huge-frame: declares a 600 MB frame and streams junk into it for JUNK_STREAM_MS, as fast as the stream
 *   drains, until the stream is reset (stats.junkBytes counts what it got through);
 * - pongs-then-junk: answers every ping correctly, then sends 64 KiB of junk after the last pong
 *   (`options.pingCount`, default 4);
 * - hang: reads and never answers;
 * - trickle: answers correctly, one byte every 50 ms;
 * - wrong-row: matmul with the first opened row corrupted in every entry (proofs still from the real tree, so
 *   whichever entries the checker samples, WRONG_ROW), VRAM with wrong digests;
 * - late: answers every VRAM walk correctly but LATE_MS late;
 * - late-once: answers this server's first VRAM walk LATE_MS late, every later one at once;
 * - wrong-product: computes every entry of C off by one (rows wrong whole, as skipped work leaves them: the
 *   checker recomputes only sampled entries) and commits to that C (consistent proofs).
 * Every behaviour but hang admits a timed request at once (ADMIT → ADMITTED); the answers after it show the behaviour.
 * `options.sign` signs each matmul commitment (an answer key); without it commitments are unsigned.
 * `options.signRun` answers RUN_SIGN with a RunTranscript signature; without it RUN_SIGN goes unanswered.
 */
export type ServerBehaviour =
  | "honest"
  | "garbage"
  | "raw-garbage"
  | "oversized"
  | "huge-frame"
  | "pongs-then-junk"
  | "hang"
  | "trickle"
  | "wrong-row"
  | "late"
  | "late-once"
  | "wrong-product";

export interface ServerOptions {
  sign?: (request: MatmulRequest, root: Hex) => Hex;
  signRun?: (run: { epoch: bigint; checker: Hex; seed: Hex }, messages: AnswerMessage[]) => Hex;
  /** pongs-then-junk: how many pongs come before the junk (the run's pingCount). */
  pingCount?: number;
  /** The protocol ids served (default CHALLENGE_PROTOCOL): [CHALLENGE_PROTOCOL_1_0] is a provider not yet upgraded. */
  protocols?: string[];
  /** Every ADMIT body received, as received. */
  admits?: Uint8Array[];
}

/** What a junk-sending behaviour got through to the checker. */
export interface ServerStats {
  /** Junk bytes the stream accepted (huge-frame, pongs-then-junk). */
  junkBytes: number;
  /** Resolves when a huge-frame stream stops: reset by the checker, or after JUNK_STREAM_MS. */
  junkDone: Promise<void>;
}

/** How long huge-frame streams its junk: seconds, as a hostile provider would. */
export const JUNK_STREAM_MS = 3_000;

/** How late the "late" behaviours answer a walk: past the test walks' deadline (tens of ms) and wait. */
const LATE_MS = 400;

const ANY = {
  [FrameType.PING]: pingCodec.maxBytes,
  [FrameType.MATMUL_REQUEST]: matmulRequestCodec.maxBytes,
  [FrameType.MATMUL_OPEN]: 96 + 32 * 64,
  [FrameType.VRAM_QUERY]: vramRequestCodec.maxBytes,
  [FrameType.RUN_SIGN]: runSignRequestCodec.maxBytes,
  [FrameType.ADMIT]: ADMIT_BODY_BYTES,
};

export async function startChallengeServer(
  host: CheckerHost,
  behaviour: ServerBehaviour,
  options: ServerOptions = {},
): Promise<ServerStats> {
  let walks = 0;
  const lateWalk = () => behaviour === "late" || (behaviour === "late-once" && walks++ === 0);
  let done = () => {};
  const stats: ServerStats = { junkBytes: 0, junkDone: new Promise<void>((r) => (done = r)) };
  const junk = { stats, done: () => done() };
  await host.handle(options.protocols ?? CHALLENGE_PROTOCOL, (stream) => {
    serve(stream, behaviour, lateWalk, options, junk).catch(() =>
      stream.abort(new Error("test server done")),
    );
  });
  return stats;
}

type Junk = { stats: ServerStats; done: () => void };

/** Sends `chunk` again and again, waiting for each drain, until `ms` pass or the stream stops taking it. */
async function streamJunk(stream: Stream, junk: Junk, ms: number): Promise<void> {
  const chunk = new Uint8Array(64 * 1024).fill(7);
  const end = Date.now() + ms;
  try {
    while (Date.now() < end && stream.status === "open" && stream.writeStatus === "writable") {
      const drained = stream.send(chunk);
      junk.stats.junkBytes += chunk.byteLength;
      if (!drained) await stream.onDrain({ signal: AbortSignal.timeout(Math.max(1, end - Date.now())) });
      // One chunk per turn of the event loop: the checker in this process reads, and its memory is sampled.
      await new Promise((r) => setImmediate(r));
    }
  } catch {
    // reset by the checker, or no drain before the end
  } finally {
    junk.done();
  }
}

async function send(
  stream: Stream,
  behaviour: ServerBehaviour,
  type: FrameType,
  body: Uint8Array,
  junk?: Junk,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  if (behaviour === "hang") return;
  if (behaviour === "huge-frame" && junk !== undefined) {
    // A 600 MB frame declared, then junk into it for seconds: the reader must refuse on the prefix and
    // reset the stream, or the muxer keeps taking it in (its window grows as bytes arrive, read or not).
    stream.send(encodeVarint(600 * 2 ** 20));
    await streamJunk(stream, junk, JUNK_STREAM_MS);
    return;
  }
  if (behaviour === "garbage") {
    await writeFrame(stream, type, new Uint8Array(body.length).fill(0xee), deadline);
    return;
  }
  if (behaviour === "raw-garbage") {
    stream.send(new Uint8Array(16).fill(0xff));
    return;
  }
  if (behaviour === "oversized") {
    // uvarint(64 MiB) then 1 MiB of filler: the reader must refuse on the prefix.
    stream.send(new Uint8Array([0x80, 0x80, 0x80, 0x20]));
    for (let i = 0; i < 16; i++) stream.send(new Uint8Array(64 * 1024).fill(7));
    return;
  }
  if (behaviour === "trickle") {
    for (const byte of encodeFrame(type, body)) {
      if (stream.status !== "open") return;
      stream.send(new Uint8Array([byte]));
      await new Promise((r) => setTimeout(r, 50));
    }
    return;
  }
  await writeFrame(stream, type, body, deadline);
}

async function serve(
  stream: Stream,
  behaviour: ServerBehaviour,
  lateWalk: () => boolean,
  options: ServerOptions,
  junk: Junk,
): Promise<void> {
  let pongs = 0;
  const reader = new FrameReader(stream);
  let matmul: { n: number; c: Int32Array; tree: ReturnType<typeof commitRows>["tree"] } | undefined;
  // This stream's messages as sent and received: what a RUN_SIGN signs after the pings.
  const workload: AnswerMessage[] = [];
  for (;;) {
    const frame = await reader.read(ANY, Date.now() + 30_000);
    if (frame.type === FrameType.RUN_SIGN) {
      const run = runSignRequestCodec.decode(frame.body);
      if (options.signRun === undefined) continue;
      const messages = runSignedMessages(runSeeds(run.seed).latency, run.pongs, workload);
      const signature = options.signRun(run, messages);
      await writeFrame(stream, FrameType.RUN_SIGNATURE, hexToBytes(signature), Date.now() + 30_000);
      continue;
    }
    if (frame.type === FrameType.ADMIT) {
      options.admits?.push(frame.body.slice());
      await send(stream, behaviour === "hang" ? "hang" : "honest", FrameType.ADMITTED, encodeAdmitted(0));
    } else if (frame.type === FrameType.PING) {
      const ping = pingCodec.decode(frame.body);
      if (behaviour === "pongs-then-junk") {
        await send(stream, "honest", FrameType.PONG, pongCodec.encode(answerPing(ping)));
        if (++pongs === (options.pingCount ?? 4)) {
          const bytes = new Uint8Array(64 * 1024).fill(0xee);
          stream.send(bytes);
          junk.stats.junkBytes += bytes.byteLength;
        }
        continue;
      }
      await send(stream, behaviour, FrameType.PONG, pongCodec.encode(answerPing(ping)), junk);
    } else if (frame.type === FrameType.MATMUL_REQUEST) {
      const req = matmulRequestCodec.decode(frame.body);
      workload.push({ type: T.MATMUL_REQUEST, payload: bytesToHex(frame.body) });
      const t0 = performance.now();
      const { a, b } = generateMatmul(req.seed, req.n);
      const c = solveMatmul(a, b, req.n);
      if (behaviour === "wrong-product") for (let at = 0; at < c.length; at++) c[at]! += 1;
      const { root, tree } = commitRows(c, req.n);
      matmul = { n: req.n, c, tree };
      const elapsedMs = Math.floor(performance.now() - t0);
      const signature = options.sign?.(req, root) ?? "0x";
      const commit = matmulCommitCodec.encode({ root, elapsedMs, signature });
      workload.push({ type: T.MATMUL_COMMIT, payload: commit });
      await send(
        stream,
        behaviour === "wrong-product" ? "honest" : behaviour,
        FrameType.MATMUL_COMMIT,
        commit,
        junk,
      );
    } else if (frame.type === FrameType.VRAM_QUERY) {
      const req = vramRequestCodec.decode(frame.body);
      workload.push({ type: T.VRAM_REQUEST, payload: bytesToHex(frame.body) });
      const answer = answerVram(req, (i) => generateVramBlock(req.seed, i, req.blockSize));
      if (behaviour === "wrong-row")
        answer.digests = answer.digests.map(() => `0x${"00".repeat(32)}` as const);
      if (lateWalk()) await new Promise((r) => setTimeout(r, LATE_MS));
      const response = vramResponseCodec.encode(answer);
      workload.push({ type: T.VRAM_RESPONSE, payload: response });
      await send(
        stream,
        ["wrong-row", "late", "late-once", "wrong-product"].includes(behaviour) ? "honest" : behaviour,
        FrameType.VRAM_ANSWER,
        response,
        junk,
      );
    } else if (frame.type === FrameType.MATMUL_OPEN && matmul !== undefined) {
      const open = matmulOpenCodec(matmul.n, Math.min(64, matmul.n)).decode(frame.body);
      const rows = openRows(matmul.tree, matmul.c, open.rows);
      if (behaviour === "wrong-row") rows.rows[0] = rows.rows[0]!.map((v) => v + 1);
      const codec = matmulRowsCodec(matmul.n, open.rows.length);
      const body = codec.encode(rows);
      workload.push({ type: T.MATMUL_OPEN, payload: bytesToHex(frame.body) });
      workload.push({ type: T.MATMUL_ROWS, payload: body });
      await send(
        stream,
        behaviour === "wrong-row" || behaviour === "wrong-product" ? "honest" : behaviour,
        FrameType.MATMUL_ROWS,
        body,
      );
    }
  }
}
