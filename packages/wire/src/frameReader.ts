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
 *
 * A peer that breaks the framing (a declared length above the limit, a bad
 * prefix, an unexpected type) gets its stream aborted at once: a yamux stream
 * cannot be closed for reading (closeRead sends nothing, and the muxer keeps
 * granting window as bytes arrive), and a stream iterator that is no longer
 * pulled keeps queuing what arrives, so only a reset stops a peer from
 * filling this process's memory.
 */

/**
 * How many bytes of an offending frame a violation carries (`details.head`),
 * from its length prefix on: enough to show the declared length and type,
 * and never a whole 32-byte ABI word, so no message codec decodes them (the
 * challenge client records them as the provider's answer, which
 * evaluateTranscript then FAILs as undecodable).
 */
const VIOLATION_HEAD_BYTES = 31;

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
   * timeout, and on a frame that breaks the framing or `expect` (OVERSIZED,
   * MALFORMED, with the frame's first bytes as `details.head`), the stream is
   * aborted.
   */
  async read(expect: Expect, deadline: number): Promise<Frame> {
    const maxBody = Math.max(0, ...Object.values(expect).map((v) => v ?? 0), FRAMING_LIMITS.maxErrorBytes);
    const maxLength = maxBody + 1;
    for (;;) {
      const parsed = this.tryParse(maxLength);
      if (parsed !== undefined) {
        const { type, body, head } = parsed;
        if (type === FrameType.ERROR) {
          if (body.length > FRAMING_LIMITS.maxErrorBytes) {
            this.violation(head, WireErrorCode.OVERSIZED, "ERROR frame body is too long", {
              size: body.length,
            });
          }
          throw new WireError(WireErrorCode.REMOTE_ERROR, "the provider answered with an error", {
            reason: new TextDecoder("utf-8", { fatal: false }).decode(body),
          });
        }
        const limit = expect[type as FrameType];
        if (limit === undefined) {
          this.violation(head, WireErrorCode.MALFORMED, "unexpected frame type", {
            type,
            expected: Object.keys(expect).map(Number),
          });
        }
        if (body.length > limit) {
          this.violation(head, WireErrorCode.OVERSIZED, "frame body above its message limit", {
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

  /**
   * Waits, until `deadline`, for the peer to end its side of the stream after
   * the exchange's last frame. True when it did (cleanly or by a reset),
   * false when the deadline passed first (the stream is then aborted). Any
   * byte that arrives first is a violation (MALFORMED, `details.head`; the
   * stream is aborted): the exchange has no frame left to send.
   */
  async expectEnd(deadline: number): Promise<boolean> {
    for (;;) {
      if (this.buffer.byteLength > 0) {
        this.violation(
          this.head(this.buffer.byteLength),
          WireErrorCode.MALFORMED,
          "bytes after the last frame",
          {
            buffered: this.buffer.byteLength,
          },
        );
      }
      if (this.ended) return true;
      try {
        await this.pull(deadline);
      } catch (e) {
        if (e instanceof WireError && e.code === WireErrorCode.TIMEOUT) return false;
        // The stream failed or was reset: ended, unless it delivered bytes first.
        if (this.buffer.byteLength === 0) return true;
      }
    }
  }

  /**
   * Done with the stream: aborts it unless both sides already closed it, so
   * nothing the peer sends later is queued, and stops the stream's iterator
   * (it keeps queuing incoming data for as long as it is not finished).
   */
  discard(reason: string): void {
    this.buffer.consume(this.buffer.byteLength);
    this.ended = true;
    // A no-op on a stream both sides closed, or one already aborted or reset.
    this.stream.abort(new Error(reason));
    this.iterator.return?.().catch(() => undefined);
  }

  /** Parses one frame from the buffer if complete; checks the declared length first. */
  private tryParse(maxLength: number): (Frame & { head: Uint8Array }) | undefined {
    let length = 0;
    let shift = 0;
    let i = 0;
    for (;;) {
      if (i >= this.buffer.byteLength) return undefined;
      if (i >= FRAMING_LIMITS.maxLengthBytes) {
        this.violation(this.head(i), WireErrorCode.MALFORMED, "length prefix longer than 5 bytes");
      }
      const byte = this.buffer.get(i);
      length += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      i++;
      if ((byte & 0x80) === 0) break;
    }
    if (length === 0) this.violation(this.head(i), WireErrorCode.MALFORMED, "zero-length frame");
    if (length > maxLength) {
      this.violation(
        this.head(Math.min(this.buffer.byteLength, i + length)),
        WireErrorCode.OVERSIZED,
        "declared frame length above the limit",
        { length, limit: maxLength },
      );
    }
    if (this.buffer.byteLength < i + length) return undefined;
    const head = this.head(i + length);
    const frame = this.buffer.subarray(i, i + length);
    this.buffer.consume(i + length);
    return { type: frame[0] as FrameType, body: frame.slice(1), head };
  }

  /** The buffer's first bytes (at most VIOLATION_HEAD_BYTES of the first `available`), copied. */
  private head(available: number): Uint8Array {
    return this.buffer.subarray(0, Math.min(available, VIOLATION_HEAD_BYTES)).slice();
  }

  /** A frame broke the protocol: the stream is aborted before the error is thrown, so nothing more is queued. */
  private violation(
    head: Uint8Array,
    code: typeof WireErrorCode.OVERSIZED | typeof WireErrorCode.MALFORMED,
    message: string,
    details: Record<string, unknown> = {},
  ): never {
    this.discard("challenge frame broke the protocol");
    throw new WireError(code, message, { ...details, head });
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
    const buffered = this.buffer.byteLength;
    this.discard("challenge read deadline passed");
    throw new WireError(WireErrorCode.TIMEOUT, "no complete frame before the deadline", { buffered });
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
