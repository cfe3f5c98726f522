import type { Connection, PeerId, Stream } from "@libp2p/interface";
import { type Expect, FrameReader, writeFrame } from "./frameReader.ts";
import { errorBody, type Frame, FrameType } from "./framing.ts";

/** The part of a libp2p host that serves a protocol. */
export interface Listener {
  handle(
    protocol: string,
    handler: (stream: Stream, connection: Connection) => void,
    options?: { maxInboundStreams?: number; runOnLimitedConnection?: boolean },
  ): Promise<void>;
}

/** What the server half of a one-request protocol reads and how long it waits. */
export interface ServedProtocol {
  protocol: string;
  /** Names the protocol in log lines ("co-sign", "reports", ...). */
  what: string;
  /** The request frame types accepted, each with its largest body. */
  request: Expect;
  limits: { requestTimeoutMs: number; responseTimeoutMs: number; maxInboundStreams: number };
}

/**
 * Answers one request: resolves with the answer frame, or throws an Error
 * whose message goes back to the peer in an ERROR frame.
 */
export type Answer = (request: Frame, from: PeerId) => Promise<Frame>;

/**
 * The server half of the checker's request/response protocols (evidence,
 * reports, co-sign, re-check), the counterpart of `requestOnce`: for each
 * inbound stream read one request frame within `requestTimeoutMs`, answer it
 * with `answer`'s frame or an ERROR frame carrying the reason it threw, and
 * close. A stream that breaks the framing is aborted and logged at debug.
 */
export async function serveOnce(
  host: Listener,
  served: ServedProtocol,
  answer: Answer,
  log: { debug(fields: object, message: string): void },
): Promise<void> {
  await host.handle(
    served.protocol,
    (stream, connection) => {
      answerOne(stream, connection.remotePeer, served, answer).catch((e: unknown) => {
        log.debug({ err: e }, `${served.what} request failed`);
        stream.abort(e as Error);
      });
    },
    // Answered over a circuit relay too: a checker behind NAT is reached only that way (requestOnce).
    { maxInboundStreams: served.limits.maxInboundStreams, runOnLimitedConnection: true },
  );
}

async function answerOne(
  stream: Stream,
  from: PeerId,
  served: ServedProtocol,
  answer: Answer,
): Promise<void> {
  const request = await new FrameReader(stream).read(
    served.request,
    Date.now() + served.limits.requestTimeoutMs,
  );
  // One request per stream: whatever else the peer sends is dropped, not buffered until it closes.
  await stream.closeRead();
  const deadline = Date.now() + served.limits.responseTimeoutMs;
  let reply: Frame;
  try {
    reply = await answer(request, from);
  } catch (e) {
    reply = { type: FrameType.ERROR, body: errorBody((e as Error).message) };
  }
  await writeFrame(stream, reply.type, reply.body, deadline);
  await stream.close({ signal: AbortSignal.timeout(served.limits.requestTimeoutMs) });
}

/** `decode(body)`, or an Error the peer reads as "malformed request: <why>". */
export function decodeRequest<T>(decode: (body: Uint8Array) => T, body: Uint8Array): T {
  try {
    return decode(body);
  } catch (e) {
    throw new Error(`malformed request: ${(e as Error).message}`);
  }
}
