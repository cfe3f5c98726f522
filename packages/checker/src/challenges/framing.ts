import type { Stream } from "@libp2p/interface";
import { Uint8ArrayList } from "uint8arraylist";

/**
 * Framing of the challenge protocol (PROTOCOL.md beside this file):
 *
 *   frame = uvarint(length) ‖ type (1 byte) ‖ body (length − 1 bytes)
 *
 * The reader always knows which message types it expects next and their
 * largest encoding, so a frame's declared length is checked before a single
 * body byte is buffered, and every read has a deadline covering the whole
 * frame: a peer that hangs, trickles bytes or declares a huge frame is cut
 * off with bounded memory.
 */
export const CHALLENGE_PROTOCOL = "/checkernet/challenge/1.0.0";

/** Message type bytes. */
export const FrameType = {
  PING: 0x01,
  PONG: 0x02,
  MATMUL_REQUEST: 0x10,
  MATMUL_COMMIT: 0x11,
  MATMUL_OPEN: 0x12,
  MATMUL_ROWS: 0x13,
  VRAM_QUERY: 0x20,
  VRAM_ANSWER: 0x21,
  /** `/checkernet/evidence/1.0.0` (network/reqresp/evidence.ts). */
  EVIDENCE_REQUEST: 0x30,
  EVIDENCE_RESPONSE: 0x31,
  /** Provider refuses (unsupported kind, busy): body is a UTF-8 reason of at most 256 bytes. */
  ERROR: 0x7f,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export const FRAMING_LIMITS = {
  /** A uvarint of 5 bytes encodes up to 2^35: more than any frame may declare. Longer prefixes are refused. */
  maxLengthBytes: 5,
  /** ERROR frame bodies. */
  maxErrorBytes: 256,
} as const;

export const FrameErrorCode = {
  /** No complete frame before the deadline (hang or trickle). */
  TIMEOUT: "FRAME_ERROR_TIMEOUT",
  /** The declared length is above what the expected message types allow. */
  OVERSIZED: "FRAME_ERROR_OVERSIZED",
  /** A length prefix longer than 5 bytes, a zero length, or an unexpected type byte. */
  MALFORMED: "FRAME_ERROR_MALFORMED",
  /** The stream ended (cleanly or not) before a complete frame. */
  CLOSED: "FRAME_ERROR_CLOSED",
  /** The peer answered with an ERROR frame. */
  REMOTE_ERROR: "FRAME_ERROR_REMOTE_ERROR",
} as const;
export type FrameErrorCode = (typeof FrameErrorCode)[keyof typeof FrameErrorCode];

export class FrameError extends Error {
  override name = "FrameError";
  readonly code: FrameErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: FrameErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(`${message} [${code}]`);
    this.code = code;
    this.details = details;
  }
}

export interface Frame {
  type: FrameType;
  body: Uint8Array;
}

export function encodeFrame(type: FrameType, body: Uint8Array): Uint8Array {
  const length = body.length + 1;
  const prefix: number[] = [];
  let v = length;
  while (v >= 0x80) {
    prefix.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  prefix.push(v);
  const out = new Uint8Array(prefix.length + length);
  out.set(prefix, 0);
  out[prefix.length] = type;
  out.set(body, prefix.length + 1);
  return out;
}

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
            throw new FrameError(FrameErrorCode.OVERSIZED, "ERROR frame body is too long", {
              size: body.length,
            });
          }
          throw new FrameError(FrameErrorCode.REMOTE_ERROR, "the provider answered with an error", {
            reason: new TextDecoder("utf-8", { fatal: false }).decode(body),
          });
        }
        const limit = expect[type as FrameType];
        if (limit === undefined) {
          throw new FrameError(FrameErrorCode.MALFORMED, "unexpected frame type", {
            type,
            expected: Object.keys(expect).map(Number),
          });
        }
        if (body.length > limit) {
          throw new FrameError(FrameErrorCode.OVERSIZED, "frame body above its message limit", {
            type,
            size: body.length,
            limit,
          });
        }
        return { type: type as FrameType, body };
      }
      if (this.ended) throw new FrameError(FrameErrorCode.CLOSED, "stream ended before a complete frame");
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
        throw new FrameError(FrameErrorCode.MALFORMED, "length prefix longer than 5 bytes");
      }
      const byte = this.buffer.get(i);
      length += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      i++;
      if ((byte & 0x80) === 0) break;
    }
    if (length === 0) throw new FrameError(FrameErrorCode.MALFORMED, "zero-length frame");
    if (length > maxLength) {
      throw new FrameError(FrameErrorCode.OVERSIZED, "declared frame length above the limit", {
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
      if (e instanceof FrameError) throw e;
      this.ended = true;
      throw new FrameError(FrameErrorCode.CLOSED, "stream failed", { reason: (e as Error).message });
    } finally {
      clearTimeout(timer);
    }
  }

  private timeout(): never {
    this.stream.abort(new Error("challenge read deadline passed"));
    throw new FrameError(FrameErrorCode.TIMEOUT, "no complete frame before the deadline", {
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
        reject(new FrameError(FrameErrorCode.TIMEOUT, "peer did not drain the stream before the deadline"));
      },
      Math.max(0, remaining),
    );
    const onDrain = () => {
      cleanup();
      resolve();
    };
    const onClose = () => {
      cleanup();
      reject(new FrameError(FrameErrorCode.CLOSED, "stream closed while writing"));
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
