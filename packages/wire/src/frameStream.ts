import type { AbortOptions, Stream } from "@libp2p/interface";
import { type ByteStream, byteStream } from "@libp2p/utils";
import { WireError, WireErrorCode } from "./errors.ts";
import { lengthPrefixed, varintLength } from "./framing.ts";

/**
 * Length-prefixed frames (unsigned varint length, then the bytes: the
 * `it-length-prefixed` format) over a libp2p 3 stream, where every read names
 * its own size limit and its own deadline. The length is checked before any
 * payload byte is buffered, so a peer cannot make us hold more than the limit.
 * The provider's challenge server reads with it: each payload is a type byte
 * and a body (framing.ts), the type checked by the exchange that reads it.
 */
export class FrameStream {
  readonly stream: Stream;
  readonly #bytes: ByteStream<Stream>;

  constructor(stream: Stream, maxBufferBytes = 4 * 1024 * 1024) {
    this.stream = stream;
    this.#bytes = byteStream(stream, { maxBufferSize: maxBufferBytes });
  }

  /**
   * Reads one frame of at most `maxBytes`. Returns `null` when the remote
   * closed its write side cleanly between frames. `signal` bounds the wait for
   * the whole frame (prefix and payload together), so trickled bytes do not
   * extend it.
   */
  async read(maxBytes: number, signal: AbortSignal): Promise<Uint8Array | null> {
    const maxPrefix = varintLength(maxBytes);
    let length = 0;
    let shift = 0;
    for (let i = 0; ; i++) {
      if (i >= maxPrefix) {
        throw new WireError(WireErrorCode.OVERSIZED, "frame length prefix is longer than the limit needs", {
          maxBytes,
        });
      }
      const chunk = await this.#readExact(1, signal, i === 0);
      if (chunk === null) return null;
      const byte = chunk[0] as number;
      length += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if ((byte & 0x80) === 0) {
        if (byte === 0 && i > 0) {
          throw new WireError(WireErrorCode.BAD_LENGTH, "frame length prefix is not minimal");
        }
        break;
      }
    }
    if (length > maxBytes) {
      throw new WireError(WireErrorCode.OVERSIZED, "frame is larger than allowed here", {
        length,
        maxBytes,
      });
    }
    if (length === 0) return new Uint8Array(0);
    return (await this.#readExact(length, signal, false)) as Uint8Array;
  }

  async #readExact(n: number, signal: AbortSignal, eofAllowed: boolean): Promise<Uint8Array | null> {
    if (signal.aborted) throw timeoutError(signal);
    try {
      const list = await this.#bytes.read({ bytes: n, signal });
      // A plain Uint8Array (not a Buffer view of a pooled slab), so callers may keep it.
      return new Uint8Array(list.subarray());
    } catch (cause) {
      if (signal.aborted) throw timeoutError(signal);
      const name = (cause as Error).name;
      if (name === "UnexpectedEOFError") {
        if (eofAllowed) return null;
        throw new WireError(WireErrorCode.TRUNCATED, "stream ended inside a frame", { wanted: n });
      }
      throw cause;
    }
  }

  /** Writes one frame. */
  async write(payload: Uint8Array, options?: AbortOptions): Promise<void> {
    await this.#bytes.write(lengthPrefixed(payload), options);
  }

  /** Writes raw bytes, unframed: only the ghost fault mode uses this, to trickle a frame byte by byte. */
  async writeRaw(bytes: Uint8Array, options?: AbortOptions): Promise<void> {
    await this.#bytes.write(bytes, options);
  }
}

function timeoutError(signal: AbortSignal): WireError {
  return new WireError(WireErrorCode.TIMEOUT, "frame did not arrive before its deadline", {
    reason: String((signal.reason as Error | undefined)?.message ?? signal.reason),
  });
}
