import type { MatmulRows } from "@checkernet/protocol/challenges/matmul";
import type { VramRequest, VramResponse } from "@checkernet/protocol/challenges/vram";
import { encodeVarint, type FrameStream } from "@checkernet/wire";
import type { ConnectionGater, Libp2p } from "@libp2p/interface";
import { bytesToHex, type Hex, hexToBytes, keccak256 } from "viem";
import type { ComputeBackend, MatmulJob, VramDataset } from "../backend/backend.ts";
import { honestSession, type ServeBehaviour, type ServeSession } from "../serve/session.ts";
import { type FaultMode, isOfflineEpoch } from "./mode.ts";
import { WrongRowsBackend } from "./wrongRows.ts";

export interface FaultOptions {
  /** Uniform [0, 1) draws for wrong-results; Math.random by default (tests pass a seeded one). */
  random?: () => number;
  /** The current epoch, for offline-epochs. */
  epochClock?: () => bigint;
  /** Salt of the selective mode's checker choice; random per process by default. */
  selectionSalt?: Uint8Array;
  /** Pause between two trickled bytes in ghost mode. Well below any sane per-read idle timeout. */
  trickleIntervalMs?: number;
}

/**
 * A provider's conduct under a fault mode: the behaviour the challenge server
 * runs with, and a connection gater for the host, so that "offline" and "not
 * answering this checker" look like a dead machine, not like a refusal.
 * Everything wraps the honest backend and handlers; nothing in the protocol
 * code knows about faults.
 */
export interface FaultRuntime {
  mode: FaultMode;
  behaviour: ServeBehaviour;
  connectionGater: ConnectionGater;
  /** Starts whatever the mode needs at run time (offline-epochs hangs up connections when an offline epoch begins). */
  attach(host: Libp2p): void;
  detach(): void;
}

export function applyFault(
  mode: FaultMode,
  honest: ComputeBackend,
  options: FaultOptions = {},
): FaultRuntime {
  const random = options.random ?? Math.random;
  const honestOne = honestSession(honest);
  const none: FaultRuntime = {
    mode,
    behaviour: { session: () => honestOne },
    connectionGater: {},
    attach: () => {},
    detach: () => {},
  };
  switch (mode.kind) {
    case "honest":
      return none;
    case "wrong-results": {
      // One draw per challenge stream: a faulty stream is wrong in everything it answers.
      const wrong: ServeSession = {
        backend: new WrongResultsBackend(honest),
        pong: wrongPong,
        write: honestOne.write,
      };
      return { ...none, behaviour: { session: () => (random() < mode.fraction ? wrong : honestOne) } };
    }
    case "wrong-rows": {
      const wrongRows: ServeSession = {
        ...honestOne,
        backend: new WrongRowsBackend(honest, mode.fraction, random),
      };
      return { ...none, behaviour: { session: () => wrongRows } };
    }
    case "slow": {
      const slow: ServeSession = { ...honestOne, backend: new SlowBackend(honest, mode.factor) };
      return { ...none, behaviour: { session: () => slow } };
    }
    case "ghost": {
      const interval = options.trickleIntervalMs ?? 250;
      const ghost: ServeSession = {
        ...honestOne,
        write: (frames, payload, signal) => trickle(frames, payload, signal, interval),
      };
      return { ...none, behaviour: { session: () => ghost } };
    }
    case "selective": {
      const salt = options.selectionSalt ?? crypto.getRandomValues(new Uint8Array(32));
      const chosen = (peer: string): boolean => selects(salt, peer, mode.fraction);
      return {
        ...none,
        behaviour: { session: (peer) => (chosen(peer) ? honestOne : undefined) },
        connectionGater: { denyInboundEncryptedConnection: (peerId) => !chosen(peerId.toString()) },
      };
    }
    case "offline-epochs": {
      const clock =
        options.epochClock ??
        (() => {
          throw new Error("offline-epochs needs an epoch clock");
        });
      const offline = (): boolean => isOfflineEpoch(mode.schedule, clock());
      let timer: NodeJS.Timeout | undefined;
      return {
        ...none,
        behaviour: { session: () => (offline() ? undefined : honestOne) },
        connectionGater: { denyInboundConnection: () => offline() },
        attach(host) {
          let wasOffline = false;
          // Polling at 100 ms notices an epoch change within a tenth of a second, for any epoch length.
          timer = setInterval(() => {
            const now = offline();
            if (now && !wasOffline) {
              for (const conn of host.getConnections())
                void conn.close().catch(() => conn.abort(new Error("offline")));
            }
            wasOffline = now;
          }, 100);
          timer.unref();
        },
        detach() {
          clearInterval(timer);
        },
      };
    }
  }
}

/** Whether the selective mode answers this checker: keccak(salt ‖ peer id) read as a fraction of 2^32. */
export function selects(salt: Uint8Array, peer: string, fraction: number): boolean {
  const digest = keccak256(new Uint8Array([...salt, ...new TextEncoder().encode(peer)]), "bytes");
  const draw = new DataView(digest.buffer, digest.byteOffset, 4).getUint32(0, false) / 2 ** 32;
  return draw < fraction;
}

/** Flips the seed's or nonce's last byte: a different, equally valid-looking input. */
function tweak(value: Hex): Hex {
  const bytes = hexToBytes(value);
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0x01;
  return bytesToHex(bytes);
}

function wrongPong(ping: { seq: number; nonce: Hex }): { seq: number; nonce: Hex } {
  return { seq: ping.seq, nonce: tweak(ping.nonce) };
}

/**
 * Wrong answers that are consistent with themselves: the product of other
 * matrices, correctly committed and opened (so the proofs verify and only the
 * recomputed rows give it away), and a walk whose every digest is off by
 * one bit (a walk merely started from another nonce would be caught only when
 * the checker samples step 0).
 */
export class WrongResultsBackend implements ComputeBackend {
  readonly name: string;
  readonly #inner: ComputeBackend;
  constructor(inner: ComputeBackend) {
    this.#inner = inner;
    this.name = `${inner.name}+wrong-results`;
  }
  warmUp(): Promise<void> {
    return this.#inner.warmUp();
  }
  matmul(seed: Hex, n: number, options?: { signal?: AbortSignal }): Promise<MatmulJob> {
    return this.#inner.matmul(tweak(seed), n, options);
  }
  vramPrepare(dataset: VramDataset, options?: { signal?: AbortSignal }): Promise<void> {
    return this.#inner.vramPrepare(dataset, options);
  }
  vramResident(): VramDataset | undefined {
    return this.#inner.vramResident();
  }
  async vramWalk(request: VramRequest, options?: { signal?: AbortSignal }): Promise<VramResponse> {
    const honest = await this.#inner.vramWalk(request, options);
    return { digests: honest.digests.map(tweak) };
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}

/**
 * A device `factor` times slower than the honest backend: every compute answer
 * is held back until `factor` times the honest time has passed, and the
 * matmul's reported elapsed time says so too.
 */
export class SlowBackend implements ComputeBackend {
  readonly name: string;
  readonly #inner: ComputeBackend;
  readonly #factor: number;
  constructor(inner: ComputeBackend, factor: number) {
    this.#inner = inner;
    this.#factor = factor;
    this.name = `${inner.name}+slow:${factor}`;
  }
  warmUp(): Promise<void> {
    return this.#inner.warmUp();
  }
  async matmul(seed: Hex, n: number, options?: { signal?: AbortSignal }): Promise<MatmulJob> {
    const started = performance.now();
    const job = await this.#inner.matmul(seed, n, options);
    const took = performance.now() - started;
    await delay((this.#factor - 1) * took, options?.signal);
    return {
      commitment: job.commitment,
      elapsedMs: job.elapsedMs * this.#factor,
      open: (rows: readonly number[]): Promise<MatmulRows> => job.open(rows),
      release: () => job.release(),
    };
  }
  vramPrepare(dataset: VramDataset, options?: { signal?: AbortSignal }): Promise<void> {
    return this.#inner.vramPrepare(dataset, options);
  }
  vramResident(): VramDataset | undefined {
    return this.#inner.vramResident();
  }
  async vramWalk(request: VramRequest, options?: { signal?: AbortSignal }): Promise<VramResponse> {
    const started = performance.now();
    const response = await this.#inner.vramWalk(request, options);
    await delay((this.#factor - 1) * (performance.now() - started), options?.signal);
    return response;
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Ghost mode's writer: the frame leaves one byte per interval, so every single
 * read on the checker's side sees progress and only a deadline on the whole
 * frame ends it. Stops when the stream closes or the server's stream deadline passes.
 */
async function trickle(
  frames: FrameStream,
  payload: Uint8Array,
  signal: AbortSignal,
  intervalMs: number,
): Promise<void> {
  const prefix = encodeVarint(payload.length);
  const all = new Uint8Array(prefix.length + payload.length);
  all.set(prefix, 0);
  all.set(payload, prefix.length);
  for (let i = 0; i < all.length; i++) {
    if (frames.stream.status !== "open") throw new Error("stream closed while trickling");
    await frames.writeRaw(all.subarray(i, i + 1), { signal });
    await delay(intervalMs, signal);
  }
}
