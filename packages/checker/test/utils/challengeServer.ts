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
 * - hang: reads and never answers;
 * - trickle: answers correctly, one byte every 50 ms;
 * - wrong-row: matmul with one opened row corrupted (proofs still from the real tree), VRAM with wrong digests;
 * - late: answers every VRAM walk correctly but LATE_MS late;
 * - late-once: answers this server's first VRAM walk LATE_MS late, every later one at once;
 * - wrong-product: computes every row of C wrong in column 5 and commits to that C (consistent proofs).
 * Every behaviour but hang admits a timed request at once (ADMIT → ADMITTED); the answers after it show the behaviour.
 * `options.sign` signs each matmul commitment (an answer key); without it commitments are unsigned.
 * `options.signRun` answers RUN_SIGN with a RunTranscript signature; without it RUN_SIGN goes unanswered.
 */
export type ServerBehaviour =
  | "honest"
  | "garbage"
  | "raw-garbage"
  | "oversized"
  | "hang"
  | "trickle"
  | "wrong-row"
  | "late"
  | "late-once"
  | "wrong-product";

export interface ServerOptions {
  sign?: (request: MatmulRequest, root: Hex) => Hex;
  signRun?: (run: { epoch: bigint; checker: Hex; seed: Hex }, messages: AnswerMessage[]) => Hex;
}

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
): Promise<void> {
  let walks = 0;
  const lateWalk = () => behaviour === "late" || (behaviour === "late-once" && walks++ === 0);
  await host.handle(CHALLENGE_PROTOCOL, (stream) => {
    serve(stream, behaviour, lateWalk, options).catch(() => stream.abort(new Error("test server done")));
  });
}

async function send(
  stream: Stream,
  behaviour: ServerBehaviour,
  type: FrameType,
  body: Uint8Array,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  if (behaviour === "hang") return;
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
): Promise<void> {
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
      await send(stream, behaviour === "hang" ? "hang" : "honest", FrameType.ADMITTED, encodeAdmitted(0));
    } else if (frame.type === FrameType.PING) {
      const ping = pingCodec.decode(frame.body);
      await send(stream, behaviour, FrameType.PONG, pongCodec.encode(answerPing(ping)));
    } else if (frame.type === FrameType.MATMUL_REQUEST) {
      const req = matmulRequestCodec.decode(frame.body);
      workload.push({ type: T.MATMUL_REQUEST, payload: bytesToHex(frame.body) });
      const t0 = performance.now();
      const { a, b } = generateMatmul(req.seed, req.n);
      const c = solveMatmul(a, b, req.n);
      if (behaviour === "wrong-product") for (let i = 0; i < req.n; i++) c[i * req.n + 5]! += 1;
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
      );
    } else if (frame.type === FrameType.MATMUL_OPEN && matmul !== undefined) {
      const open = matmulOpenCodec(matmul.n, Math.min(64, matmul.n)).decode(frame.body);
      const rows = openRows(matmul.tree, matmul.c, open.rows);
      if (behaviour === "wrong-row") rows.rows[0]![0] = (rows.rows[0]![0] ?? 0) + 1;
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
