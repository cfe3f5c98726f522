import { TranscriptMessageType } from "@checkernet/protocol/challenges/transcript";
import { type VramRequest, vramRequestCodec, vramResponseCodec } from "@checkernet/protocol/challenges/vram";
import { FrameType, typedPayload } from "@checkernet/wire";
import { ServeError, ServeErrorCode } from "../messages.ts";
import type { ExchangeContext } from "../session.ts";
import { serveRunSignature } from "./runSignature.ts";

/**
 * VRAM exchange, one round trip: VRAM_QUERY {seed, blockSize, blockCount,
 * nonce, steps} → VRAM_ANSWER {digests}. The walk reads the resident dataset;
 * a request for any other dataset is refused rather than generated on demand,
 * so a checker cannot make the provider evict its real dataset. After the
 * answer, RUN_SIGN may ask for the run signature (runSignature.ts).
 */
export async function handleVram(ctx: ExchangeContext, request: VramRequest): Promise<void> {
  if (request.steps > ctx.limits.maxVramSteps) {
    throw new ServeError(
      ServeErrorCode.LIMIT,
      `a walk of ${request.steps} steps is above the ${ctx.limits.maxVramSteps} served`,
      {
        steps: request.steps,
        limit: ctx.limits.maxVramSteps,
      },
    );
  }
  const resident = ctx.backend.vramResident();
  if (
    resident === undefined ||
    resident.seed.toLowerCase() !== request.seed.toLowerCase() ||
    resident.blockCount !== request.blockCount ||
    resident.blockSize !== request.blockSize
  ) {
    throw new ServeError(ServeErrorCode.NOT_RESIDENT, "the asked VRAM dataset is not resident", {
      seed: request.seed,
      blockCount: request.blockCount,
      blockSize: request.blockSize,
    });
  }
  const response = vramResponseCodec.encode(await ctx.backend.vramWalk(request, { signal: ctx.signal }));
  await ctx.answer(typedPayload(FrameType.VRAM_ANSWER, response));
  ctx.releaseDevice();
  const workload = [
    { type: TranscriptMessageType.VRAM_REQUEST, payload: vramRequestCodec.encode(request) },
    { type: TranscriptMessageType.VRAM_RESPONSE, payload: response },
  ];
  await serveRunSignature(ctx, workload, (s) => s.vramNonce === request.nonce.toLowerCase());
}
