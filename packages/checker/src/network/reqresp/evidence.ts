import { signedAttestationCodec } from "@checkernet/protocol/encoding/attestation";
import type { Logger } from "@checkernet/runtime";
import {
  EVIDENCE_LIMITS,
  EVIDENCE_PROTOCOL,
  type EvidenceRequest,
  evidenceRequestCodec,
  evidenceResponseCodec,
  FrameReader,
  FrameType,
  writeFrame,
} from "@checkernet/wire";
import type { Stream } from "@libp2p/interface";
import type { Address, Hex } from "viem";
import type { CheckerDb } from "../../db/checkerDb.ts";
import type { CheckerHost } from "../host.ts";

/**
 * The server half of `/checkernet/evidence/1.0.0` (the protocol, its codecs
 * and the client `fetchEvidence` are in @checkernet/wire): this node's own
 * signed attestation about (epoch, provider) and the transcript behind it,
 * read from its database.
 */
/** Serves this node's own evidence from its database. */
export async function handleEvidence(
  host: CheckerHost,
  components: { db: CheckerDb; checker: Address; logger: Logger },
): Promise<void> {
  await host.handle(
    EVIDENCE_PROTOCOL,
    (stream) => {
      serveEvidence(stream, components).catch((e: unknown) => {
        components.logger.debug({ err: e }, "evidence request failed");
        stream.abort(e as Error);
      });
    },
    { maxInboundStreams: EVIDENCE_LIMITS.maxInboundStreams },
  );
}

async function serveEvidence(stream: Stream, c: { db: CheckerDb; checker: Address }): Promise<void> {
  const reader = new FrameReader(stream);
  const frame = await reader.read(
    { [FrameType.EVIDENCE_REQUEST]: evidenceRequestCodec.maxBytes },
    Date.now() + EVIDENCE_LIMITS.requestTimeoutMs,
  );
  // One request per stream: whatever else the peer sends is dropped, not buffered until it closes.
  await stream.closeRead();
  const deadline = Date.now() + EVIDENCE_LIMITS.responseTimeoutMs;
  let req: EvidenceRequest;
  try {
    req = evidenceRequestCodec.decode(frame.body);
  } catch {
    await writeFrame(stream, FrameType.ERROR, new TextEncoder().encode("malformed request"), deadline);
    await stream.close();
    return;
  }
  const att = await c.db.getAttestation(req.epoch, req.provider, c.checker);
  const transcript = att === undefined ? undefined : await c.db.getTranscript(att.attestation.transcriptHash);
  if (att === undefined || transcript === undefined) {
    await writeFrame(
      stream,
      FrameType.ERROR,
      new TextEncoder().encode("no evidence for this epoch and provider"),
      deadline,
    );
  } else {
    const body = evidenceResponseCodec.encode({
      attestation: toHex(signedAttestationCodec.encode(att)),
      transcript: toHex(transcript),
    });
    await writeFrame(stream, FrameType.EVIDENCE_RESPONSE, body, deadline);
  }
  await stream.close({ signal: AbortSignal.timeout(EVIDENCE_LIMITS.requestTimeoutMs) });
}

function toHex(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`;
}
