import { DEFAULT_PARAMS } from "@checkernet/protocol/params";

/**
 * Bounds of the provider's challenge server. Each comes with where the number
 * comes from; they bound what one checker can make the provider hold or do.
 */
export interface ServeLimits {
  /** Largest frame a checker may send. Requests are a few hundred bytes; the largest is an open request of `maxOpenRows` uint32s. */
  maxRequestFrameBytes: number;
  /** Time for the first frame after the stream opens: a checker that opens a stream and says nothing is dropped. */
  firstFrameTimeoutMs: number;
  /** Time between two frames of one exchange (ping to ping, commit to open, query to query). */
  nextFrameTimeoutMs: number;
  /** Total time one stream may stay open, whatever it carries. */
  streamTimeoutMs: number;
  /** Pings answered on one stream; DEFAULT_PARAMS.pingCount is 8, the margin allows re-tries. */
  maxPingsPerStream: number;
  /** Largest matmul n served: the protocol's own cap (params.matmulMaxSize), so no in-protocol request is refused. */
  maxMatmulSize: number;
  /** Rows a checker may open per matmul; DEFAULT_PARAMS.matmulSampledRows is 8, the codec's cap 64. */
  maxOpenRows: number;
  /** Longest VRAM walk served; DEFAULT_PARAMS.vramWalkSteps is 128, the codec allows 4096. */
  maxVramSteps: number;
  /** Matmul jobs computing or waiting for their open at once, all checkers together (each holds an n×n int32 result: 256 MiB at n = 8192). */
  maxConcurrentMatmul: number;
  /** Inbound challenge streams per connection (libp2p's own per-protocol limit). */
  maxInboundStreamsPerConnection: number;
  /**
   * Streams waiting for the device at once (admission.ts), all peers together. A committee has
   * DEFAULT_PARAMS.committeeSize seats; the margin covers re-checks and second runs.
   */
  maxQueuedAdmissions: number;
  /** Of those, one peer's: a checker's own run and a re-check of the same provider may overlap. */
  maxAdmissionsPerPeer: number;
  /** Time from ADMITTED to the timed request: the checker sends it at once, so a stream cannot sit on the device. */
  admittedRequestTimeoutMs: number;
}

export const DEFAULT_SERVE_LIMITS: Readonly<ServeLimits> = Object.freeze({
  maxRequestFrameBytes: 4096,
  firstFrameTimeoutMs: 5_000,
  nextFrameTimeoutMs: 10_000,
  streamTimeoutMs: 120_000,
  maxPingsPerStream: 64,
  maxMatmulSize: DEFAULT_PARAMS.matmulMaxSize,
  maxOpenRows: 64,
  maxVramSteps: 1024,
  maxConcurrentMatmul: 4,
  maxInboundStreamsPerConnection: 8,
  maxQueuedAdmissions: 4 * DEFAULT_PARAMS.committeeSize,
  maxAdmissionsPerPeer: 4,
  admittedRequestTimeoutMs: 2_000,
});
