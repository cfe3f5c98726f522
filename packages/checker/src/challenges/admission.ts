import {
  ADMITTED_BODY_BYTES,
  type AdmittedRequestType,
  decodeAdmitted,
  encodeAdmit,
  type FrameReader,
  FrameType,
  writeFrame,
} from "@checkernet/wire";
import type { Stream } from "@libp2p/interface";

/**
 * Asks the provider for its device before a timed request (ADMIT → ADMITTED,
 * PROTOCOL.md "Admission") and returns how long it says the stream queued, ms.
 * The run's clock starts after this, with the request; a wait past `deadline`
 * (Date.now() ms) or an ERROR frame throws the reader's WireError.
 */
export async function requestAdmission(
  stream: Stream,
  reader: FrameReader,
  request: AdmittedRequestType,
  deadline: number,
): Promise<number> {
  await writeFrame(stream, FrameType.ADMIT, encodeAdmit(request), deadline);
  const admitted = await reader.read({ [FrameType.ADMITTED]: ADMITTED_BODY_BYTES }, deadline);
  return decodeAdmitted(admitted.body);
}
