import { WireError, WireErrorCode } from "./errors.ts";
import { FrameType } from "./framing.ts";

/*
 * Admission (PROTOCOL.md "Admission"): a provider's device answers one timed
 * request at a time, so a checker first asks for it (ADMIT) and starts its
 * clock only once the provider says the device is its own (ADMITTED). A run
 * queued behind another checker's is then never billed the other run's time.
 */

/** The requests that may follow an admission: the timed ones. */
export type AdmittedRequestType = typeof FrameType.MATMUL_REQUEST | typeof FrameType.VRAM_QUERY;

/** ADMITTED's body: 4 bytes. */
export const ADMITTED_BODY_BYTES = 4;
/** ADMIT's body: 1 byte. */
export const ADMIT_BODY_BYTES = 1;

export function encodeAdmit(request: AdmittedRequestType): Uint8Array {
  return Uint8Array.of(request);
}

export function decodeAdmit(body: Uint8Array): AdmittedRequestType {
  const type = body[0];
  if (
    body.length !== ADMIT_BODY_BYTES ||
    (type !== FrameType.MATMUL_REQUEST && type !== FrameType.VRAM_QUERY)
  ) {
    throw new WireError(WireErrorCode.MALFORMED, "ADMIT names no timed request", {
      bytes: body.length,
      type,
    });
  }
  return type;
}

/** ADMITTED's body: how long the stream waited for the device, ms (uint32 big-endian, capped). */
export function encodeAdmitted(queuedMs: number): Uint8Array {
  const out = new Uint8Array(ADMITTED_BODY_BYTES);
  new DataView(out.buffer).setUint32(0, Math.min(0xffff_ffff, Math.max(0, Math.round(queuedMs))));
  return out;
}

export function decodeAdmitted(body: Uint8Array): number {
  if (body.length !== ADMITTED_BODY_BYTES) {
    throw new WireError(
      WireErrorCode.MALFORMED,
      `ADMITTED has ${body.length} bytes, not ${ADMITTED_BODY_BYTES}`,
      {
        bytes: body.length,
      },
    );
  }
  return new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(0);
}
