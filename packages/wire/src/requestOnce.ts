import type { PeerId, Stream } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { WireError, WireErrorCode } from "./errors.ts";
import { FrameReader, writeFrame } from "./frameReader.ts";
import type { FrameType } from "./framing.ts";

/** The part of a libp2p host a one-shot request needs. */
export interface Dialer {
  dialProtocol(
    peer: PeerId | Multiaddr,
    protocol: string,
    options?: { signal?: AbortSignal; runOnLimitedConnection?: boolean },
  ): Promise<Stream>;
}

/** Why a one-shot request got no answer; each protocol turns it into its own error code. */
export const RequestFailure = {
  /** No stream, no answer in time, or the stream failed. */
  UNREACHABLE: "unreachable",
  /** The peer answered with an ERROR frame; the message is its reason. */
  REFUSED: "refused",
  /** The peer answered with a frame that breaks the protocol (oversized, malformed, wrong type). */
  INVALID: "invalid",
} as const;
export type RequestFailure = (typeof RequestFailure)[keyof typeof RequestFailure];

/**
 * The client half of the checker's request/response protocols (co-sign,
 * re-check, reports): open a stream, write one request frame, read one
 * answer frame of the expected type within `timeoutMs` in all, and close both
 * ends whatever happens, so a peer that keeps its side open keeps nothing
 * here. Framing as the challenge protocol (framing.ts).
 *
 * @returns a copy of the answer's body (a frame body may be a view into the muxer's buffer)
 * @throws what `fail(failure, message)` returns; `what` names the stream in messages
 */
export async function requestOnce(
  host: Dialer,
  peer: PeerId | Multiaddr,
  exchange: {
    protocol: string;
    what: string;
    request: { type: FrameType; body: Uint8Array };
    answer: { type: FrameType; maxBytes: number };
    timeoutMs: number;
  },
  fail: (failure: RequestFailure, message: string) => Error,
): Promise<Uint8Array> {
  const deadline = Date.now() + exchange.timeoutMs;
  let stream: Stream;
  try {
    stream = await host.dialProtocol(peer, exchange.protocol, {
      signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
      // One small request and answer: fine over a circuit relay (a checker behind NAT has only that path).
      runOnLimitedConnection: true,
    });
  } catch (e) {
    throw fail(RequestFailure.UNREACHABLE, `cannot open a ${exchange.what} stream: ${(e as Error).message}`);
  }
  try {
    try {
      await writeFrame(stream, exchange.request.type, exchange.request.body, deadline);
    } catch (e) {
      throw fail(
        RequestFailure.UNREACHABLE,
        `cannot send the ${exchange.what} request: ${(e as Error).message}`,
      );
    }
    try {
      const frame = await new FrameReader(stream).read(
        { [exchange.answer.type]: exchange.answer.maxBytes },
        deadline,
      );
      return Uint8Array.from(frame.body);
    } catch (e) {
      if (e instanceof WireError && e.code === WireErrorCode.REMOTE_ERROR) {
        throw fail(RequestFailure.REFUSED, String(e.details.reason));
      }
      // The peer answered, with a frame that breaks the protocol: not an unreachable peer.
      if (
        e instanceof WireError &&
        (e.code === WireErrorCode.OVERSIZED || e.code === WireErrorCode.MALFORMED)
      ) {
        throw fail(RequestFailure.INVALID, e.message);
      }
      throw fail(RequestFailure.UNREACHABLE, (e as Error).message);
    }
  } finally {
    await stream.closeRead().catch(() => undefined);
    await stream.close().catch(() => stream.abort(new Error(`${exchange.what} request done`)));
    if (stream.status === "open") stream.abort(new Error("peer kept its side of the stream open"));
  }
}
