import { type FrameReader, WireError, WireErrorCode } from "@checkernet/wire";
import type { Stream } from "@libp2p/interface";
import { CHALLENGE_CLIENT_LIMITS } from "./limits.ts";

/*
 * Every challenge stream is closed for reading after its exchange, whatever
 * the provider sends (PROTOCOL.md "Faults and outcomes"). Yamux cannot close
 * one side for reading (closeRead sends nothing, and the muxer grants window
 * as bytes arrive, read or not), so a stream the provider keeps open is
 * reset: only that stops it from filling the checker's memory.
 */

/**
 * The first bytes of a frame that broke the protocol (FrameReader's
 * OVERSIZED or MALFORMED: a declared length above the limit, a bad prefix,
 * an unexpected type, bytes after the last frame), or undefined for any other
 * failure. The client records them as the provider message they came instead
 * of: at most 31 bytes, shorter than any codec's encoding, so
 * evaluateTranscript FAILs the run (PROTOCOL_VIOLATION), and a re-check of the
 * transcript sees the same bytes.
 */
export function violationHead(e: unknown): Uint8Array | undefined {
  if (!(e instanceof WireError)) return undefined;
  if (e.code !== WireErrorCode.OVERSIZED && e.code !== WireErrorCode.MALFORMED) return undefined;
  const head = e.details.head;
  return head instanceof Uint8Array && head.length > 0 ? head : undefined;
}

/**
 * Ends an exchange: closes this side for writing, waits up to
 * `endWaitMs` for the provider to end its side (an honest one answers the
 * checker's close with its own), and resets the stream if it has not, so
 * nothing it sends later is queued. When the provider sent bytes after the
 * exchange's last frame, notes the violation in `wireErrors` (TRAILING: code)
 * and returns its first bytes (violationHead).
 */
export async function endExchange(
  stream: Stream,
  reader: FrameReader,
  wireErrors: string[],
): Promise<Uint8Array | undefined> {
  try {
    await stream.close({ signal: AbortSignal.timeout(CHALLENGE_CLIENT_LIMITS.closeWriteMs) });
    await reader.expectEnd(Date.now() + CHALLENGE_CLIENT_LIMITS.endWaitMs);
    return undefined;
  } catch (e) {
    const head = violationHead(e);
    if (head !== undefined) wireErrors.push(`TRAILING: ${(e as WireError).code}`);
    return head;
  } finally {
    reader.discard("challenge exchange over");
  }
}
