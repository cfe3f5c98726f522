import { signedAttestationCodec } from "@checkernet/protocol/encoding/attestation";
import { checkRange, defineCodec } from "@checkernet/protocol/encoding/codec";
import { REPORT_HEADER_ABI } from "@checkernet/protocol/encoding/report";
import type { ReportHeader, SignedAttestation } from "@checkernet/protocol/types";
import type { Logger } from "@checkernet/runtime";
import {
  type Dialer,
  decodeRequest,
  type FrameType,
  type RequestFailure,
  requestOnce,
  serveOnce,
} from "@checkernet/wire";
import type { PeerId } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { bytesToHex, type Hex, hexToBytes } from "viem";
import { CheckerError } from "../../errors.ts";
import type { CheckerHost } from "../host.ts";

/**
 * `/checkernet/cosign/1.0.0`: the epoch's aggregator asks a member of the
 * report committee to co-sign a report. The request carries the header and
 * every attestation the report was built from; the member rebuilds the report
 * from its own view plus those attestations (each re-verified) and answers
 * with its BLS signature over reportSigningRoot(header, domain), or an ERROR
 * frame naming why it refuses. Framing as the challenge protocol
 * (challenges/PROTOCOL.md): one COSIGN_REQUEST frame, one COSIGN_RESPONSE or
 * ERROR frame, stream closed. docs/protocol/cosign.md has the wire format.
 */
export const COSIGN_PROTOCOL = "/checkernet/cosign/1.0.0";

/** Frame type bytes of this protocol (0x40 block; framing.ts lists 0x01–0x32 and 0x7f). */
export const CosignFrameType = {
  COSIGN_REQUEST: 0x40 as FrameType,
  COSIGN_RESPONSE: 0x41 as FrameType,
} as const;

const COSIGN_LIMITS = {
  /**
   * Attestations in one request: committee size k = 8 seats per provider, so
   * 4096 covers 512 providers at full committees; a larger network would
   * split reports, which the contract does not support yet.
   */
  maxAttestations: 4_096,
  /** Re-verifying a few thousand BLS signatures takes a laptop a few seconds. */
  responseTimeoutMs: 20_000,
  /** A request of up to ~3 MB over a slow uplink. */
  requestTimeoutMs: 15_000,
  /** Concurrent co-sign streams per connection: only the aggregator and its backups ask. */
  maxInboundStreams: 4,
} as const;

export interface CosignRequest {
  header: ReportHeader;
  attestations: SignedAttestation[];
}

const ATTESTATION_SLOT = 64 + Math.ceil(signedAttestationCodec.maxBytes / 32) * 32;

export const cosignRequestCodec = defineCodec({
  name: "CosignRequest",
  // tuple head (header inline + offset) + array length + one slot per attestation.
  maxBytes: 9 * 32 + 32 + COSIGN_LIMITS.maxAttestations * ATTESTATION_SLOT,
  abi: [
    {
      type: "tuple",
      components: [
        { name: "header", ...REPORT_HEADER_ABI[0] },
        { name: "attestations", type: "bytes[]" },
      ],
    },
  ] as const,
  toAbi: (r: CosignRequest) =>
    [
      {
        header: r.header,
        attestations: r.attestations.map((a) => bytesToHex(signedAttestationCodec.encode(a))),
      },
    ] as const,
  fromAbi: ([f]) => {
    checkRange("CosignRequest", "attestations", f.attestations.length, 0, COSIGN_LIMITS.maxAttestations);
    checkRange("CosignRequest", "epoch", f.header.epoch, 1n, (1n << 64n) - 1n);
    return {
      header: { ...f.header },
      attestations: f.attestations.map((a: Hex) => signedAttestationCodec.decode(hexToBytes(a))),
    };
  },
});

/** Why a co-signature was not obtained. */
export const CosignErrorCode = {
  /** The member answered with an ERROR frame (report mismatch, not on the committee, ...). */
  REFUSED: "COSIGN_ERROR_REFUSED",
  /** No answer in time, or the stream failed. */
  UNREACHABLE: "COSIGN_ERROR_UNREACHABLE",
  /** The answer is not a 96-byte signature. */
  INVALID: "COSIGN_ERROR_INVALID",
} as const;
export type CosignErrorCode = (typeof CosignErrorCode)[keyof typeof CosignErrorCode];

export class CosignError extends CheckerError {
  override name = "CosignError";
  readonly code: CosignErrorCode;
  constructor(code: CosignErrorCode, message: string) {
    super(`${message} [${code}]`);
    this.code = code;
  }
}

/** Decides on one request: returns the 96-byte signature, or throws with the reason sent back. */
export type CosignHandler = (request: CosignRequest, from: PeerId) => Promise<Uint8Array>;

/** Serves co-sign requests with `onRequest`. */
export async function handleCosign(
  host: CheckerHost,
  components: { logger: Logger; onRequest: CosignHandler },
): Promise<void> {
  await serveOnce(
    host,
    {
      protocol: COSIGN_PROTOCOL,
      what: "co-sign",
      request: { [CosignFrameType.COSIGN_REQUEST]: cosignRequestCodec.maxBytes },
      limits: COSIGN_LIMITS,
    },
    async (frame, from) => {
      const request = decodeRequest(cosignRequestCodec.decode, frame.body);
      try {
        return { type: CosignFrameType.COSIGN_RESPONSE, body: await components.onRequest(request, from) };
      } catch (e) {
        components.logger.info(
          { epoch: String(request.header.epoch), err: (e as Error).message },
          "co-sign refused",
        );
        throw e;
      }
    },
    components.logger,
  );
}

/**
 * Asks `peer` to co-sign; resolves with its 96-byte signature (the caller
 * verifies it against the member's registered key).
 *
 * @throws CosignError REFUSED (with the member's reason), UNREACHABLE, INVALID
 */
export async function requestCosign(
  host: Dialer,
  peer: PeerId | Multiaddr,
  request: CosignRequest,
  options: { timeoutMs?: number } = {},
): Promise<Uint8Array> {
  const body = await requestOnce(
    host,
    peer,
    {
      protocol: COSIGN_PROTOCOL,
      what: "co-sign",
      request: { type: CosignFrameType.COSIGN_REQUEST, body: cosignRequestCodec.encode(request) },
      answer: { type: CosignFrameType.COSIGN_RESPONSE, maxBytes: 96 },
      timeoutMs: options.timeoutMs ?? COSIGN_LIMITS.responseTimeoutMs,
    },
    (failure, message) => new CosignError(COSIGN_FAILURE_CODES[failure], message),
  );
  if (body.length !== 96) {
    throw new CosignError(CosignErrorCode.INVALID, `signature has ${body.length} bytes, expected 96`);
  }
  return body;
}

const COSIGN_FAILURE_CODES: Record<RequestFailure, CosignErrorCode> = {
  unreachable: CosignErrorCode.UNREACHABLE,
  refused: CosignErrorCode.REFUSED,
  invalid: CosignErrorCode.INVALID,
};
