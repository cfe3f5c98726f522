import { type Address, bytesToHex, getAddress, hexToBytes, isAddress } from "viem";
import { WireError, WireErrorCode } from "./errors.ts";
import { CHALLENGE_PROTOCOL_1_0, FrameType } from "./framing.ts";

/*
 * Admission (PROTOCOL.md "Admission"): a provider's device answers one timed
 * request at a time, so a checker first asks for it (ADMIT) and starts its
 * clock only once the provider says the device is its own (ADMITTED). A run
 * queued behind another checker's is then never billed the other run's time.
 *
 * ADMIT names the registry address the run is for (review4 L3): anyone may
 * register an entry naming an honest provider's peer id, and the checkers
 * seated on that entry reach the honest provider's device. Named, the
 * provider refuses such a run before its queue (it is not its own), so the
 * squatter's runs end TIMEOUT instead of passing on the honest device's work.
 */

/** The requests that may follow an admission: the timed ones. */
export type AdmittedRequestType = typeof FrameType.MATMUL_REQUEST | typeof FrameType.VRAM_QUERY;

export interface Admit {
  /** The timed request that follows. */
  request: AdmittedRequestType;
  /** The provider the run is for (its registry address); null under CHALLENGE_PROTOCOL_1_0, which names none. */
  provider: Address | null;
}

/** ADMITTED's body: 4 bytes. */
export const ADMITTED_BODY_BYTES = 4;
/** ADMIT's body: the request's type byte, then the provider's 20-byte address. */
export const ADMIT_BODY_BYTES = 21;
/** ADMIT's body under CHALLENGE_PROTOCOL_1_0: the type byte alone. */
const ADMIT_1_0_BODY_BYTES = 1;

/** ADMIT's body for a stream of `protocol` (the negotiated one: 1.0 names no provider). */
export function encodeAdmit(request: AdmittedRequestType, provider: Address, protocol: string): Uint8Array {
  if (protocol === CHALLENGE_PROTOCOL_1_0) return Uint8Array.of(request);
  if (!isAddress(provider, { strict: false })) {
    throw new WireError(WireErrorCode.MALFORMED, "ADMIT names a provider address", { provider });
  }
  const out = new Uint8Array(ADMIT_BODY_BYTES);
  out[0] = request;
  out.set(hexToBytes(provider), 1);
  return out;
}

/** Decodes ADMIT as `protocol` (the stream's) frames it; refuses any other length or a type that is not timed. */
export function decodeAdmit(body: Uint8Array, protocol: string): Admit {
  const legacy = protocol === CHALLENGE_PROTOCOL_1_0;
  const type = body[0];
  if (
    body.length !== (legacy ? ADMIT_1_0_BODY_BYTES : ADMIT_BODY_BYTES) ||
    (type !== FrameType.MATMUL_REQUEST && type !== FrameType.VRAM_QUERY)
  ) {
    throw new WireError(WireErrorCode.MALFORMED, "ADMIT names no timed request and provider", {
      bytes: body.length,
      type,
    });
  }
  return { request: type, provider: legacy ? null : getAddress(bytesToHex(body.subarray(1))) };
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
