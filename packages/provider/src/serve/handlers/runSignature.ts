import { runSignedMessages, runSignRequestCodec } from "@checkernet/protocol/challenges/run-signature";
import { runSeeds } from "@checkernet/protocol/challenges/transcript";
import type { AnswerMessage } from "@checkernet/protocol/fraud/answerSigning";
import { FrameType, typedPayload } from "@checkernet/wire";
import { hexToBytes } from "viem";
import { decodeBody, expectType, ServeError, ServeErrorCode } from "../messages.ts";
import type { ExchangeContext } from "../session.ts";

/**
 * The end of a run (PROTOCOL.md, "Run signature"): after the workload's last
 * answer has been written, the checker may send RUN_SIGN {seed, epoch,
 * checker, pongs}; the provider answers RUN_SIGNATURE, its answer key's
 * RunTranscript signature over the pings the checker received and this
 * stream's messages. Nothing is timed here any more, so signing delays no
 * answer. `ownsSeed` checks that the revealed run seed is the one this
 * stream's request came from, so a checker cannot get a signature over
 * another run's seed. A clean end of the stream (an old checker) is no error.
 */
export async function serveRunSignature(
  ctx: ExchangeContext,
  workload: readonly AnswerMessage[],
  ownsSeed: (seeds: ReturnType<typeof runSeeds>) => boolean,
  run?: { epoch: bigint; checker: string },
): Promise<void> {
  const frame = await ctx.next();
  if (frame === null) return;
  const request = decodeBody(() => runSignRequestCodec.decode(expectType(frame, FrameType.RUN_SIGN)));
  if (ctx.signRun === undefined) {
    throw new ServeError(ServeErrorCode.LIMIT, "this provider has no answer key to sign the run with");
  }
  const seeds = runSeeds(request.seed);
  if (!ownsSeed(seeds)) {
    throw new ServeError(ServeErrorCode.BAD_MESSAGE, "the revealed run seed is not this run's");
  }
  if (
    run !== undefined &&
    (run.epoch !== request.epoch || run.checker.toLowerCase() !== request.checker.toLowerCase())
  ) {
    throw new ServeError(
      ServeErrorCode.BAD_MESSAGE,
      "RUN_SIGN names another epoch or checker than the request",
    );
  }
  const messages = runSignedMessages(seeds.latency, request.pongs, workload);
  const signature = ctx.signRun(
    { epoch: request.epoch, checker: request.checker, seed: request.seed },
    messages,
  );
  await ctx.answer(typedPayload(FrameType.RUN_SIGNATURE, hexToBytes(signature)));
}
