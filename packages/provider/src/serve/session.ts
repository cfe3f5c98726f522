import { answerPing, type Ping, type Pong } from "@checkernet/protocol/challenges/latency";
import type { MatmulRequest } from "@checkernet/protocol/challenges/matmul";
import type { FrameStream } from "@checkernet/wire";
import type { Logger } from "pino";
import type { Hex } from "viem";
import type { ComputeBackend } from "../backend/backend.ts";
import type { AnswerSigner } from "./answerSigner.ts";
import type { ServeLimits } from "./limits.ts";

// Below the server and its exchange handlers: what a handler is given, and whose conduct it serves.

/**
 * The provider's conduct. The honest behaviour answers everyone, at once,
 * with the backend's results; the fault modes (src/faults/) replace parts of
 * it per stream.
 */
export interface ServeBehaviour {
  /** How to serve one challenge stream from this peer; undefined: do not answer at all (offline, selective). */
  session(remotePeer: string): ServeSession | undefined;
}

export interface ServeSession {
  backend: ComputeBackend;
  /** The pong for a ping. */
  pong(ping: Ping): Pong;
  /** Sends one answer frame (the ghost fault trickles it instead). */
  write(frames: FrameStream, payload: Uint8Array, signal: AbortSignal): Promise<void>;
}

export function honestSession(backend: ComputeBackend): ServeSession {
  return { backend, pong: answerPing, write: (frames, payload, signal) => frames.write(payload, { signal }) };
}

export function honestBehaviour(backend: ComputeBackend): ServeBehaviour {
  const session = honestSession(backend);
  return { session: () => session };
}

/** Everything one exchange handler needs. */
export interface ExchangeContext {
  frames: FrameStream;
  backend: ComputeBackend;
  limits: ServeLimits;
  session: ServeSession;
  /** Aborts when the stream's total deadline passes or the server stops. */
  signal: AbortSignal;
  remotePeer: string;
  log: Logger;
  /** Reads the next request frame of this exchange (null on a clean end), bounded in size and time. */
  next(): Promise<Uint8Array | null>;
  /** Writes one answer frame through the writer. */
  answer(payload: Uint8Array): Promise<void>;
  /** Signs a matmul commitment with the answer key (answerSigner.ts); absent: commitments go unsigned. */
  signCommitment?: (request: MatmulRequest, root: Hex) => Hex;
  /** Signs a run's RunTranscript (AnswerSigner.signRun); absent: RUN_SIGN is refused. */
  signRun?: AnswerSigner["signRun"];
  /**
   * Gives the device back to the admission queue (admission.ts) once the timed answer is sent; a no-op
   * for a stream that was not admitted. The server also calls it when the stream ends.
   */
  releaseDevice(): void;
  /** Takes one of the `maxConcurrentMatmul` slots; the returned function gives it back. */
  acquireMatmulSlot(): (() => void) | undefined;
}
