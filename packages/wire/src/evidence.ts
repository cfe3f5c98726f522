import {
  type ChallengeTranscript,
  TRANSCRIPT_MAX_BYTES,
  transcriptCodec,
} from "@checkernet/protocol/challenges/transcript";
import { signedAttestationCodec } from "@checkernet/protocol/encoding/attestation";
import { defineCodec } from "@checkernet/protocol/encoding/codec";
import type { SignedAttestation } from "@checkernet/protocol/types";
import type { PeerId } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { type Address, getAddress, type Hex, hexToBytes, keccak256, zeroHash } from "viem";
import { WireError, WireErrorCode, WirePackageError } from "./errors.ts";
import { FrameReader, writeFrame } from "./frameReader.ts";
import { FrameType } from "./framing.ts";
import type { Dialer } from "./requestOnce.ts";

/**
 * `/checkernet/evidence/1.0.0`: anyone (in practice the provider preparing a
 * contest, or a re-check committee) asks a checker for its own signed
 * attestation about (epoch, provider) and the transcript behind it. Framing
 * as the challenge protocol (framing.ts): one EVIDENCE_REQUEST frame, one
 * EVIDENCE_RESPONSE, EVIDENCE_NO_RUN or ERROR frame, stream closed.
 * EVIDENCE_NO_RUN answers for an attestation signed without a run (its
 * transcriptHash is zero: the provider's registry entry could not be used),
 * so the provider learns what to fix instead of "not found".
 */
export const EVIDENCE_PROTOCOL = "/checkernet/evidence/1.0.0";

export const EVIDENCE_LIMITS = {
  /** Requests are tiny; a peer that takes longer than this to send 64 bytes is dropped. */
  requestTimeoutMs: 5_000,
  /** An 8 MiB transcript over a slow laptop uplink (~2 MB/s) fits with room to spare. */
  responseTimeoutMs: 15_000,
  /** Concurrent evidence streams per connection (libp2p default is 32; evidence reads hit the disk). */
  maxInboundStreams: 4,
} as const;

export interface EvidenceRequest {
  epoch: bigint;
  provider: Address;
}

/** A checker's evidence: a run's transcript behind the attestation, or why there was no run. */
export type Evidence = RunEvidence | NoRunEvidence;

interface RunEvidence {
  attestation: SignedAttestation;
  transcript: ChallengeTranscript;
  /** The transcript's canonical bytes; keccak256 equals attestation.transcriptHash. */
  encodedTranscript: Uint8Array;
}

/** An attestation signed without a run (transcriptHash zero) and the checker's reason; the reason is not signed. */
interface NoRunEvidence {
  attestation: SignedAttestation;
  noRun: NoRunReason;
}

/**
 * Why a checker attested without a run: the outcome's reason code (UNUSABLE_REGISTRY_ENTRY), the registry
 * field it could not use ("peerId", "gpuModel", "region"; empty when the node did not record it) and its message.
 */
export interface NoRunReason {
  code: string;
  field: string;
  message: string;
}

/** Longest no-run message, UTF-8 bytes: it quotes the registry's own value, which may be any length. */
const NO_RUN_MESSAGE_MAX_BYTES = 256;
const NO_RUN_CODE_MAX_BYTES = 64;
const NO_RUN_FIELD_MAX_BYTES = 32;
const padded = (n: number) => 32 + Math.ceil(n / 32) * 32;

export const evidenceRequestCodec = defineCodec({
  name: "EvidenceRequest",
  maxBytes: 64,
  abi: [
    {
      type: "tuple",
      components: [
        { name: "epoch", type: "uint64" },
        { name: "provider", type: "address" },
      ],
    },
  ] as const,
  toAbi: (r: EvidenceRequest) => [r] as const,
  fromAbi: ([f]) => ({ epoch: f.epoch, provider: getAddress(f.provider) }),
});

export const evidenceResponseCodec = defineCodec({
  name: "EvidenceResponse",
  // head (2 offsets + 1) + two length words + both payloads, 32-byte padded.
  maxBytes: 5 * 32 + signedAttestationCodec.maxBytes + TRANSCRIPT_MAX_BYTES + 32,
  abi: [
    {
      type: "tuple",
      components: [
        { name: "attestation", type: "bytes" },
        { name: "transcript", type: "bytes" },
      ],
    },
  ] as const,
  toAbi: (r: { attestation: Hex; transcript: Hex }) => [r] as const,
  fromAbi: ([f]) => ({ attestation: f.attestation, transcript: f.transcript }),
});

export const evidenceNoRunCodec = defineCodec({
  name: "EvidenceNoRun",
  // head (4 offsets + 1), then each dynamic field's length word and padded bytes.
  maxBytes:
    5 * 32 +
    padded(signedAttestationCodec.maxBytes) +
    padded(NO_RUN_CODE_MAX_BYTES) +
    padded(NO_RUN_FIELD_MAX_BYTES) +
    padded(NO_RUN_MESSAGE_MAX_BYTES),
  abi: [
    {
      type: "tuple",
      components: [
        { name: "attestation", type: "bytes" },
        { name: "code", type: "string" },
        { name: "field", type: "string" },
        { name: "message", type: "string" },
      ],
    },
  ] as const,
  toAbi: (r: { attestation: Hex } & NoRunReason) => [r] as const,
  fromAbi: ([f]) => ({ attestation: f.attestation, code: f.code, field: f.field, message: f.message }),
});

/** `reason` cut to at most NO_RUN_MESSAGE_MAX_BYTES of UTF-8, on a character boundary. */
export function noRunMessage(reason: string): string {
  const bytes = new TextEncoder().encode(reason);
  if (bytes.length <= NO_RUN_MESSAGE_MAX_BYTES) return reason;
  let cut = new TextDecoder().decode(bytes.subarray(0, NO_RUN_MESSAGE_MAX_BYTES - 3));
  // A character split by the cut decodes as U+FFFD: drop it.
  if (cut.endsWith("\uFFFD")) cut = cut.slice(0, -1);
  return `${cut}...`;
}

export const EvidenceErrorCode = {
  NOT_FOUND: "EVIDENCE_ERROR_NOT_FOUND",
  /** The answer does not decode, is not for what was asked, or its transcript does not hash to the attestation's. */
  INVALID: "EVIDENCE_ERROR_INVALID",
} as const;

export class EvidenceError extends WirePackageError {
  override name = "EvidenceError";
}

/**
 * Fetches a checker's evidence for (epoch, provider) and checks that it is
 * self-consistent (right epoch and provider, transcript hash matches). The
 * caller checks the attestation's BLS signature against the registry.
 */
export async function fetchEvidence(
  host: Dialer,
  peer: PeerId | Multiaddr,
  request: EvidenceRequest,
): Promise<Evidence> {
  const stream = await host.dialProtocol(peer, EVIDENCE_PROTOCOL, { signal: AbortSignal.timeout(5_000) });
  const deadline = Date.now() + EVIDENCE_LIMITS.responseTimeoutMs;
  try {
    await writeFrame(stream, FrameType.EVIDENCE_REQUEST, evidenceRequestCodec.encode(request), deadline);
    const reader = new FrameReader(stream);
    let frame: Awaited<ReturnType<FrameReader["read"]>>;
    try {
      frame = await reader.read(
        {
          [FrameType.EVIDENCE_RESPONSE]: evidenceResponseCodec.maxBytes,
          [FrameType.EVIDENCE_NO_RUN]: evidenceNoRunCodec.maxBytes,
        },
        deadline,
      );
    } catch (e) {
      if (e instanceof WireError && e.code === WireErrorCode.REMOTE_ERROR) {
        throw new EvidenceError(EvidenceErrorCode.NOT_FOUND, String(e.details.reason));
      }
      throw e;
    }
    const evidence = decodeEvidence(frame);
    const a = evidence.attestation.attestation;
    if (a.epoch !== request.epoch || a.provider !== request.provider) {
      throw new EvidenceError(EvidenceErrorCode.INVALID, "evidence is for another epoch or provider");
    }
    if ("noRun" in evidence) {
      if (a.transcriptHash !== zeroHash) {
        throw new EvidenceError(
          EvidenceErrorCode.INVALID,
          "a no-run answer for an attestation with a transcriptHash: the transcript is withheld",
        );
      }
    } else if (keccak256(evidence.encodedTranscript) !== a.transcriptHash) {
      throw new EvidenceError(
        EvidenceErrorCode.INVALID,
        "transcript does not match the attestation's transcriptHash",
      );
    }
    return evidence;
  } finally {
    // Both ends: a peer that keeps its side open must not keep a stream (and what it sends) here.
    await stream.closeRead().catch(() => undefined);
    await stream.close().catch(() => stream.abort(new Error("evidence fetch done")));
    if (stream.status === "open") stream.abort(new Error("peer kept its side of the stream open"));
  }
}

function decodeEvidence(frame: { type: number; body: Uint8Array }): Evidence {
  try {
    if (frame.type === FrameType.EVIDENCE_NO_RUN) {
      const { attestation, ...noRun } = evidenceNoRunCodec.decode(frame.body);
      return { attestation: signedAttestationCodec.decode(hexToBytes(attestation)), noRun };
    }
    const r = evidenceResponseCodec.decode(frame.body);
    const encodedTranscript = hexToBytes(r.transcript);
    return {
      attestation: signedAttestationCodec.decode(hexToBytes(r.attestation)),
      transcript: transcriptCodec.decode(encodedTranscript),
      encodedTranscript,
    };
  } catch (e) {
    throw new EvidenceError(EvidenceErrorCode.INVALID, `evidence does not decode: ${(e as Error).message}`);
  }
}
