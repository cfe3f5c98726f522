import type { Stream } from "@libp2p/interface";
import { Uint8ArrayList } from "uint8arraylist";
import { WireError, WireErrorCode } from "./errors.ts";
import { encodeFrame, FRAMING_LIMITS, type Frame, FrameType } from "./framing.ts";

/*
 * The typed reader: every read names the frame types it accepts and their
 * largest bodies, and has a deadline covering the whole frame, so a peer that
 * hangs, trickles bytes or declares a huge frame is cut off with bounded
 * memory. The checker reads every answer with it, and the evidence and
 * reports servers read their one request with it.
 */

/** Expected types for one read, each with its largest body. */
export type Expect = Partial<Record<FrameType, number>>;

/**
 * Reads frames from a libp2p stream. Holds at most one frame's bytes (plus
 * the rest of the last chunk the muxer delivered, itself bounded by the
 * muxer's receive window).
 */
export class FrameReader {
  private readonly iterator: AsyncIterator<Uint8Array | Uint8ArrayList>;
  private readonly buffer = new Uint8ArrayList();
  private readonly stream: Stream;
  private ended = false;
  /** Bytes received in total, for the transcript and metrics. */
  bytesRead = 0;

  constructor(stream: Stream) {
    this.stream = stream;
    this.iterator = stream[Symbol.asyncIterator]();
  }

  /**
   * The next frame, which must be one of `expect`'s types and fit its limit,
   * complete before `deadline` (ms since the epoch, Date.now() clock). On
   * timeout the stream is aborted.
   */
  async read(expect: Expect, deadline: number): Promise<Frame> {
    const maxBody = Math.max(0, ...Object.values(expect).map((v) => v ?? 0), FRAMING_LIMITS.maxErrorBytes);
    const maxLength = maxBody + 1;
    for (;;) {
      const parsed = this.tryParse(maxLength);
      if (parsed !== undefined) {
        const { type, body } = parsed;
        if (type === FrameType.ERROR) {
          if (body.length > FRAMING_LIMITS.maxErrorBytes) {
            throw new WireError(WireErrorCode.OVERSIZED, "ERROR frame body is too long", {
              size: body.length,
            });
          }
          throw new WireError(WireErrorCode.REMOTE_ERROR, "the provider answered with an error", {
            reason: new TextDecoder("utf-8", { fatal: false }).decode(body),
          });
        }
        const limit = expect[type as FrameType];
        if (limit === undefined) {
          throw new WireError(WireErrorCode.MALFORMED, "unexpected frame type", {
            type,
            expected: Object.keys(expect).map(Number),
          });
        }
        if (body.length > limit) {
          throw new WireError(WireErrorCode.OVERSIZED, "frame body above its message limit", {
            type,
            size: body.length,
            limit,
          });
        }
        return { type: type as FrameType, body };
      }
      if (this.ended) throw new WireError(WireErrorCode.CLOSED, "stream ended before a complete frame");
      await this.pull(deadline);
    }
  }

  /** Parses one frame from the buffer if complete; checks the declared length first. */
  private tryParse(maxLength: number): Frame | undefined {
    let length = 0;
    let shift = 0;
    let i = 0;
    for (;;) {
      if (i >= this.buffer.byteLength) return undefined;
      if (i >= FRAMING_LIMITS.maxLengthBytes) {
        throw new WireError(WireErrorCode.MALFORMED, "length prefix longer than 5 bytes");
      }
      const byte = this.buffer.get(i);
      length += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      i++;
      if ((byte & 0x80) === 0) break;
    }
    if (length === 0) throw new WireError(WireErrorCode.MALFORMED, "zero-length frame");
    if (length > maxLength) {
      throw new WireError(WireErrorCode.OVERSIZED, "declared frame length above the limit", {
        length,
        limit: maxLength,
      });
    }
    if (this.buffer.byteLength < i + length) return undefined;
    const frame = this.buffer.subarray(i, i + length);
    this.buffer.consume(i + length);
    return { type: frame[0] as FrameType, body: frame.slice(1) };
  }

  private async pull(deadline: number): Promise<void> {
    const remaining = deadline - Date.now();
    if (remaining <= 0) this.timeout();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), remaining);
    });
    const pending = this.iterator.next();
    // The stream is aborted on timeout, which rejects the pending read later:
    // that rejection is expected and must not surface as unhandled.
    pending.catch(() => undefined);
    try {
      const next = await Promise.race([pending, timedOut]);
      if (next === "timeout") this.timeout();
      if (next.done === true) {
        this.ended = true;
        return;
      }
      this.bytesRead += next.value.byteLength;
      this.buffer.append(next.value);
    } catch (e) {
      if (e instanceof WireError) throw e;
      this.ended = true;
      throw new WireError(WireErrorCode.CLOSED, "stream failed", { reason: (e as Error).message });
    } finally {
      clearTimeout(timer);
    }
  }

  private timeout(): never {
    this.stream.abort(new Error("challenge read deadline passed"));
    throw new WireError(WireErrorCode.TIMEOUT, "no complete frame before the deadline", {
      buffered: this.buffer.byteLength,
    });
  }
}

/** Writes one frame, waiting (up to the deadline) for the muxer to drain when its buffer is full. */
export async function writeFrame(
  stream: Stream,
  type: FrameType,
  body: Uint8Array,
  deadline: number,
): Promise<void> {
  if (stream.send(encodeFrame(type, body))) return;
  const remaining = deadline - Date.now();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => {
        cleanup();
        stream.abort(new Error("challenge write deadline passed"));
        reject(new WireError(WireErrorCode.TIMEOUT, "peer did not drain the stream before the deadline"));
      },
      Math.max(0, remaining),
    );
    const onDrain = () => {
      cleanup();
      resolve();
    };
    const onClose = () => {
      cleanup();
      reject(new WireError(WireErrorCode.CLOSED, "stream closed while writing"));
    };
    const cleanup = () => {
      clearTimeout(timer);
      stream.removeEventListener("drain", onDrain);
      stream.removeEventListener("close", onClose);
    };
    stream.addEventListener("drain", onDrain);
    stream.addEventListener("close", onClose);
  });
}
