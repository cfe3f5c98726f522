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
import type { Address } from "viem";

/**
 * Asks the provider for its device before a timed request (ADMIT → ADMITTED,
 * PROTOCOL.md "Admission") and returns how long it says the stream queued, ms.
 * ADMIT names `provider`, the registry entry the run is for: a provider whose
 * peer id another entry names refuses that entry's runs (ERROR
 * SERVE_ERROR_WRONG_PROVIDER), so they end TIMEOUT (review4 L3). Under the
 * older protocol the stream may have negotiated, it names none.
 * The run's clock starts after this, with the request; a wait past `deadline`
 * (Date.now() ms) or an ERROR frame throws the reader's WireError.
 */
export async function requestAdmission(
  stream: Stream,
  reader: FrameReader,
  request: AdmittedRequestType,
  provider: Address,
  deadline: number,
): Promise<number> {
  await writeFrame(stream, FrameType.ADMIT, encodeAdmit(request, provider, stream.protocol), deadline);
  const admitted = await reader.read({ [FrameType.ADMITTED]: ADMITTED_BODY_BYTES }, deadline);
  return decodeAdmitted(admitted.body);
}
