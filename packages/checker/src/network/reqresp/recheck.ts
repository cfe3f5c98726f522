import { RECHECK_HEADER_ABI, type RecheckHeader } from "@checkernet/contracts/recheck";
import { checkRange, defineCodec } from "@checkernet/protocol/encoding/codec";
import { type SignedRecheckResult, signedRecheckResultCodec } from "@checkernet/protocol/recheck";
import type { Logger } from "@checkernet/runtime";
import {
  type Dialer,
  decodeRequest,
  type Frame,
  type FrameType,
  type RequestFailure,
  requestOnce,
  serveOnce,
} from "@checkernet/wire";
import type { PeerId } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { bytesToHex, encodeAbiParameters, type Hex, hexToBytes } from "viem";
import { CheckerError } from "../../errors.ts";
import type { CheckerHost } from "../host.ts";

/**
 * `/checkernet/recheck/2.0.0`: the re-check committee of a contested slash
 * resolves it (docs/protocol/recheck.md). Two exchanges, each one request
 * frame, one answer (or ERROR) frame, stream closed, framed as the challenge
 * protocol (challenges/PROTOCOL.md):
 *
 * - RESULT_REQUEST(slashId) → RESULT_RESPONSE(SignedRecheckResult): the
 *   leader collects each member's signed result;
 * - COSIGN_REQUEST(header, results) → COSIGN_RESPONSE(96-byte signature):
 *   the leader asks a member to co-sign the header it built from those
 *   results; the member checks them and the header against its own result.
 */
/** 2.0.0: a result carries the member's run epoch and time signature (1.0.0 results did not). */
export const RECHECK_PROTOCOL = "/checkernet/recheck/2.0.0";

/** Frame type bytes of this protocol (0x50 block; cosign holds 0x40–0x41). */
export const RecheckFrameType = {
  RESULT_REQUEST: 0x50 as FrameType,
  RESULT_RESPONSE: 0x51 as FrameType,
  COSIGN_REQUEST: 0x52 as FrameType,
  COSIGN_RESPONSE: 0x53 as FrameType,
} as const;

export const RECHECK_LIMITS = {
  /** Results in a co-sign request: the contract's re-check committee has at most 256 seats. */
  maxResults: 256,
  /**
   * A member asked for its result while its challenge still runs waits for it: a matmul run on a
   * CPU provider takes seconds, and the leader's backup step is the real bound.
   */
  responseTimeoutMs: 30_000,
  requestTimeoutMs: 10_000,
  /** Only the leader and its backups ask. */
  maxInboundStreams: 8,
} as const;

export interface RecheckCosignRequest {
  header: RecheckHeader;
  results: SignedRecheckResult[];
}

const RESULT_SLOT = 64 + Math.ceil(signedRecheckResultCodec.maxBytes / 32) * 32;

export const recheckCosignRequestCodec = defineCodec({
  name: "RecheckCosignRequest",
  maxBytes: 10 * 32 + 32 + RECHECK_LIMITS.maxResults * RESULT_SLOT,
  abi: [
    {
      type: "tuple",
      components: [
        { name: "header", ...RECHECK_HEADER_ABI[0] },
        { name: "results", type: "bytes[]" },
      ],
    },
  ] as const,
  toAbi: (r: RecheckCosignRequest) =>
    [
      {
        header: r.header,
        results: r.results.map((s) => bytesToHex(signedRecheckResultCodec.encode(s))),
      },
    ] as const,
  fromAbi: ([f]) => {
    checkRange("RecheckCosignRequest", "results", f.results.length, 0, RECHECK_LIMITS.maxResults);
    checkRange("RecheckCosignRequest", "verdict", f.header.verdict, 0, 2);
    return {
      header: { ...f.header },
      results: f.results.map((s: Hex) => signedRecheckResultCodec.decode(hexToBytes(s))),
    };
  },
});

/** Why a re-check exchange failed. */
export const RecheckWireErrorCode = {
  /** The member answered with an ERROR frame (not ready, not on the committee, mismatch, ...). */
  REFUSED: "RECHECK_WIRE_ERROR_REFUSED",
  /** No answer in time, or the stream failed. */
  UNREACHABLE: "RECHECK_WIRE_ERROR_UNREACHABLE",
  /** The answer breaks the framing (oversized, unexpected type) or does not decode. */
  INVALID: "RECHECK_WIRE_ERROR_INVALID",
} as const;
export type RecheckWireErrorCode = (typeof RecheckWireErrorCode)[keyof typeof RecheckWireErrorCode];

export class RecheckWireError extends CheckerError {
  override name = "RecheckWireError";
  readonly code: RecheckWireErrorCode;
  constructor(code: RecheckWireErrorCode, message: string) {
    super(`${message} [${code}]`);
    this.code = code;
  }
}

export interface RecheckHandlers {
  /** This member's signed result for `slashId`; throws (the reason goes back) when it has none. */
  onResult(slashId: bigint, from: PeerId): Promise<SignedRecheckResult>;
  /** Co-signs the header, or throws with the reason. */
  onCosign(request: RecheckCosignRequest, from: PeerId): Promise<Uint8Array>;
}

const slashIdBytes = (slashId: bigint) => hexToBytes(encodeAbiParameters([{ type: "uint256" }], [slashId]));

/** Serves the re-check protocol. */
export async function handleRecheck(
  host: CheckerHost,
  components: { logger: Logger } & RecheckHandlers,
): Promise<void> {
  await serveOnce(
    host,
    {
      protocol: RECHECK_PROTOCOL,
      what: "re-check",
      request: {
        [RecheckFrameType.RESULT_REQUEST]: 32,
        [RecheckFrameType.COSIGN_REQUEST]: recheckCosignRequestCodec.maxBytes,
      },
      limits: RECHECK_LIMITS,
    },
    async (frame, from) => {
      try {
        return await answerRecheck(frame, from, components);
      } catch (e) {
        components.logger.info({ err: (e as Error).message }, "re-check request refused");
        throw e;
      }
    },
    components.logger,
  );
}

async function answerRecheck(frame: Frame, from: PeerId, c: RecheckHandlers): Promise<Frame> {
  if (frame.type === RecheckFrameType.RESULT_REQUEST) {
    if (frame.body.length !== 32) throw new Error("malformed request: a slash id is 32 bytes");
    const result = await c.onResult(BigInt(bytesToHex(frame.body)), from);
    return { type: RecheckFrameType.RESULT_RESPONSE, body: signedRecheckResultCodec.encode(result) };
  }
  const request = decodeRequest(recheckCosignRequestCodec.decode, frame.body);
  return { type: RecheckFrameType.COSIGN_RESPONSE, body: await c.onCosign(request, from) };
}

function exchange(
  host: Dialer,
  peer: PeerId | Multiaddr,
  request: { type: FrameType; body: Uint8Array },
  answer: { type: FrameType; maxBytes: number },
  timeoutMs: number,
): Promise<Uint8Array> {
  return requestOnce(
    host,
    peer,
    { protocol: RECHECK_PROTOCOL, what: "re-check", request, answer, timeoutMs },
    (failure, message) => new RecheckWireError(RECHECK_FAILURE_CODES[failure], message),
  );
}

const RECHECK_FAILURE_CODES: Record<RequestFailure, RecheckWireErrorCode> = {
  unreachable: RecheckWireErrorCode.UNREACHABLE,
  refused: RecheckWireErrorCode.REFUSED,
  invalid: RecheckWireErrorCode.INVALID,
};

/**
 * Asks a member for its signed result (the caller verifies the signature and the fields).
 *
 * @throws RecheckWireError REFUSED (with the member's reason), UNREACHABLE, INVALID
 */
export async function requestRecheckResult(
  host: Dialer,
  peer: PeerId | Multiaddr,
  slashId: bigint,
  options: { timeoutMs?: number } = {},
): Promise<SignedRecheckResult> {
  const body = await exchange(
    host,
    peer,
    { type: RecheckFrameType.RESULT_REQUEST, body: slashIdBytes(slashId) },
    { type: RecheckFrameType.RESULT_RESPONSE, maxBytes: signedRecheckResultCodec.maxBytes },
    options.timeoutMs ?? RECHECK_LIMITS.responseTimeoutMs,
  );
  try {
    return signedRecheckResultCodec.decode(body);
  } catch (e) {
    throw new RecheckWireError(
      RecheckWireErrorCode.INVALID,
      `result does not decode: ${(e as Error).message}`,
    );
  }
}

/**
 * Asks a member to co-sign; resolves with its 96-byte signature (the caller verifies it).
 *
 * @throws RecheckWireError REFUSED (with the member's reason), UNREACHABLE, INVALID
 */
export async function requestRecheckCosign(
  host: Dialer,
  peer: PeerId | Multiaddr,
  request: RecheckCosignRequest,
  options: { timeoutMs?: number } = {},
): Promise<Uint8Array> {
  const body = await exchange(
    host,
    peer,
    { type: RecheckFrameType.COSIGN_REQUEST, body: recheckCosignRequestCodec.encode(request) },
    { type: RecheckFrameType.COSIGN_RESPONSE, maxBytes: 96 },
    options.timeoutMs ?? RECHECK_LIMITS.responseTimeoutMs,
  );
  if (body.length !== 96) {
    throw new RecheckWireError(
      RecheckWireErrorCode.INVALID,
      `signature has ${body.length} bytes, expected 96`,
    );
  }
  return body;
}
