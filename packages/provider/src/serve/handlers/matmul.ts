import {
  type MatmulRequest,
  matmulCommitCodec,
  matmulOpenCodec,
  matmulRequestCodec,
  matmulRowsCodec,
} from "@checkernet/protocol/challenges/matmul";
import { TranscriptMessageType } from "@checkernet/protocol/challenges/transcript";
import type { AnswerMessage } from "@checkernet/protocol/fraud/answerSigning";
import { FrameType, typedPayload } from "@checkernet/wire";
import { decodeBody, expectType, ServeError, ServeErrorCode } from "../messages.ts";
import type { ExchangeContext } from "../session.ts";
import { serveRunSignature } from "./runSignature.ts";

const UINT32_MAX = 0xffff_ffff;

/**
 * Matmul exchange, commit then open:
 * MATMUL_REQUEST → (compute in the backend) → MATMUL_COMMIT {root, elapsedMs, signature}
 * → MATMUL_OPEN {rows} → MATMUL_ROWS {rows, proofs}.
 * The result stays in the backend between commit and open; only the asked
 * rows leave it. A checker that never opens frees its slot at the frame
 * deadline. The commitment is signed with the answer key (the server's
 * `signCommitment`, answerSigner.ts) over the request's epoch and checker;
 * without an answer key the signature is empty. After the rows, RUN_SIGN may
 * ask for the run signature (runSignature.ts).
 */
export async function handleMatmul(ctx: ExchangeContext, request: MatmulRequest): Promise<void> {
  const { n } = request;
  if (n > ctx.limits.maxMatmulSize) {
    throw new ServeError(
      ServeErrorCode.LIMIT,
      `n = ${n} is above the ${ctx.limits.maxMatmulSize} this provider serves`,
      {
        n,
        limit: ctx.limits.maxMatmulSize,
      },
    );
  }
  const release = ctx.acquireMatmulSlot();
  if (release === undefined) {
    throw new ServeError(ServeErrorCode.BUSY, "every matmul slot is taken", {
      limit: ctx.limits.maxConcurrentMatmul,
    });
  }
  let workload: AnswerMessage[] | undefined;
  try {
    const job = await ctx.backend.matmul(request.seed, n, { signal: ctx.signal });
    try {
      const elapsedMs = Math.min(UINT32_MAX, Math.round(job.elapsedMs));
      const signature = ctx.signCommitment?.(request, job.commitment) ?? "0x";
      const commit = matmulCommitCodec.encode({ root: job.commitment, elapsedMs, signature });
      await ctx.answer(typedPayload(FrameType.MATMUL_COMMIT, commit));
      // Timed part done: opening rows reads the kept result, so the next admitted run may start.
      ctx.releaseDevice();
      const frame = await ctx.next();
      if (frame === null) return;
      const body = expectType(frame, FrameType.MATMUL_OPEN);
      const maxRows = Math.min(ctx.limits.maxOpenRows, n);
      const open = decodeBody(() => matmulOpenCodec(n, maxRows).decode(body));
      const rows = matmulRowsCodec(n, open.rows.length).encode(await job.open(open.rows));
      await ctx.answer(typedPayload(FrameType.MATMUL_ROWS, rows));
      // The stream's messages in protocol order, as sent and received (answersHash, fraud-proofs.md).
      workload = [
        { type: TranscriptMessageType.MATMUL_REQUEST, payload: matmulRequestCodec.encode(request) },
        { type: TranscriptMessageType.MATMUL_COMMIT, payload: commit },
        { type: TranscriptMessageType.MATMUL_OPEN, payload: body },
        { type: TranscriptMessageType.MATMUL_ROWS, payload: rows },
      ];
    } finally {
      job.release();
    }
  } finally {
    release();
  }
  // The result and the slot are given back first: waiting for RUN_SIGN holds neither.
  if (workload === undefined) return;
  await serveRunSignature(ctx, workload, (s) => s.matmul === request.seed.toLowerCase(), request);
}
