import { ReasonCode } from "@checkernet/protocol/challenges/common";
import { signedAttestationCodec } from "@checkernet/protocol/encoding/attestation";
import type { Logger } from "@checkernet/runtime";
import {
  EVIDENCE_LIMITS,
  EVIDENCE_PROTOCOL,
  type EvidenceRequest,
  evidenceNoRunCodec,
  evidenceRequestCodec,
  evidenceResponseCodec,
  type Frame,
  FrameType,
  type NoRunReason,
  serveOnce,
} from "@checkernet/wire";
import { type Address, type Hex, zeroHash } from "viem";
import type { CheckerDb } from "../../db/checkerDb.ts";
import type { CheckerHost } from "../host.ts";

/**
 * The server half of `/checkernet/evidence/1.0.0` (the protocol, its codecs
 * and the client `fetchEvidence` are in @checkernet/wire): this node's own
 * signed attestation about (epoch, provider) and the transcript behind it,
 * read from its database; for an attestation signed without a run (its
 * transcriptHash zero: duties/memberCheck.ts NO_TRANSCRIPT), the attestation
 * and the reason kept with it (which registry field could not be used).
 */
/** Serves this node's own evidence from its database. */
export async function handleEvidence(
  host: CheckerHost,
  components: { db: CheckerDb; checker: Address; logger: Logger },
): Promise<void> {
  await serveOnce(
    host,
    {
      protocol: EVIDENCE_PROTOCOL,
      what: "evidence",
      request: { [FrameType.EVIDENCE_REQUEST]: evidenceRequestCodec.maxBytes },
      limits: EVIDENCE_LIMITS,
    },
    (frame) => answerEvidence(frame.body, components),
    components.logger,
  );
}

async function answerEvidence(body: Uint8Array, c: { db: CheckerDb; checker: Address }): Promise<Frame> {
  let req: EvidenceRequest;
  try {
    req = evidenceRequestCodec.decode(body);
  } catch {
    throw new Error("malformed request");
  }
  const att = await c.db.getAttestation(req.epoch, req.provider, c.checker);
  if (att === undefined) throw new Error("no evidence for this epoch and provider");
  if (att.attestation.transcriptHash === zeroHash) {
    const noRun = (await c.db.getNoRunReason(req.epoch, req.provider)) ?? UNRECORDED_NO_RUN;
    return {
      type: FrameType.EVIDENCE_NO_RUN,
      body: evidenceNoRunCodec.encode({ attestation: toHex(signedAttestationCodec.encode(att)), ...noRun }),
    };
  }
  const transcript = await c.db.getTranscript(att.attestation.transcriptHash);
  if (transcript === undefined) throw new Error("no evidence for this epoch and provider");
  return {
    type: FrameType.EVIDENCE_RESPONSE,
    body: evidenceResponseCodec.encode({
      attestation: toHex(signedAttestationCodec.encode(att)),
      transcript: toHex(transcript),
    }),
  };
}

/** An attestation without a run signed before this node kept the reason with it (only an unusable entry has none). */
const UNRECORDED_NO_RUN: NoRunReason = {
  code: ReasonCode.UNUSABLE_REGISTRY_ENTRY,
  field: "",
  message: "registry entry not usable; this node did not record which field (signed before it kept reasons)",
};

function toHex(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`;
}
