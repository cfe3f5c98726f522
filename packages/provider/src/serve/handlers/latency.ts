import type { Ping } from "@checkernet/protocol/challenges/latency";
import { pingCodec, pongCodec } from "@checkernet/protocol/challenges/latency";
import { FrameType, typedPayload } from "@checkernet/wire";
import { decodeBody, expectType, ServeError, ServeErrorCode } from "../messages.ts";
import type { ExchangeContext } from "../session.ts";

/**
 * Latency exchange: answer every ping at once, on this stream, until the
 * checker closes its side. Pings are answered on the event loop; no compute
 * job can delay them because compute runs in the backend's workers.
 */
export async function handleLatency(ctx: ExchangeContext, first: Ping): Promise<void> {
  let ping: Ping | null = first;
  let served = 0;
  while (ping !== null) {
    if (served >= ctx.limits.maxPingsPerStream) {
      throw new ServeError(
        ServeErrorCode.LIMIT,
        `more than ${ctx.limits.maxPingsPerStream} pings on one stream`,
        {
          limit: ctx.limits.maxPingsPerStream,
        },
      );
    }
    await ctx.answer(typedPayload(FrameType.PONG, pongCodec.encode(ctx.session.pong(ping))));
    served++;
    const frame = await ctx.next();
    if (frame === null) break;
    const body = expectType(frame, FrameType.PING);
    ping = decodeBody(() => pingCodec.decode(body));
  }
}
