import { ServeError, ServeErrorCode } from "./messages.ts";

/** A stream's hold on the device: give it back once the timed answer is out (idempotent). */
export interface DeviceHold {
  /** How long the stream waited in the queue, ms. */
  queuedMs: number;
  release(): void;
}

export interface AdmissionLimits {
  /** Streams waiting for the device at once, all peers together; more are refused BUSY. */
  maxQueuedAdmissions: number;
  /** Streams one peer may have queued or holding at once; more are refused BUSY. */
  maxAdmissionsPerPeer: number;
}

interface Waiter {
  peer: string;
  since: number;
  admit(): void;
}

/**
 * The device's admission queue (PROTOCOL.md "Admission"): one timed request
 * at a time, first come first served. A checker's clock starts only when its
 * stream is admitted, so a run never pays for another checker's run queued
 * ahead of it on the same device (two committee members challenging one
 * provider at once is common: each picks its moment at random).
 *
 * A peer has at most `maxAdmissionsPerPeer` streams queued or holding, so
 * one peer cannot fill the queue; the server bounds how long an admitted
 * stream may take to send its request (ServeLimits.admittedRequestTimeoutMs).
 */
export class DeviceAdmission {
  readonly #limits: AdmissionLimits;
  readonly #queue: Waiter[] = [];
  /** Streams queued or holding the device, per peer. */
  readonly #peers = new Map<string, number>();
  #holder: string | undefined;

  constructor(limits: AdmissionLimits) {
    this.#limits = limits;
  }

  /** Streams waiting, for status and tests. */
  get queued(): number {
    return this.#queue.length;
  }

  get held(): boolean {
    return this.#holder !== undefined;
  }

  /** Waits for the device; rejects at once when the queue is full or `peer` has its most streams in it. */
  async admit(peer: string, signal: AbortSignal): Promise<DeviceHold> {
    if ((this.#peers.get(peer) ?? 0) >= this.#limits.maxAdmissionsPerPeer) {
      throw new ServeError(ServeErrorCode.BUSY, "this peer has its most streams queued for the device", {
        peer,
        limit: this.#limits.maxAdmissionsPerPeer,
      });
    }
    if (this.#queue.length >= this.#limits.maxQueuedAdmissions) {
      throw new ServeError(ServeErrorCode.BUSY, "the device's admission queue is full", {
        limit: this.#limits.maxQueuedAdmissions,
      });
    }
    signal.throwIfAborted();
    this.#peers.set(peer, (this.#peers.get(peer) ?? 0) + 1);
    const since = performance.now();
    try {
      await new Promise<void>((resolve, reject) => {
        const waiter: Waiter = {
          peer,
          since,
          admit: () => {
            signal.removeEventListener("abort", onAbort);
            resolve();
          },
        };
        const onAbort = () => {
          const at = this.#queue.indexOf(waiter);
          if (at !== -1) this.#queue.splice(at, 1);
          reject(signal.reason);
        };
        signal.addEventListener("abort", onAbort, { once: true });
        this.#queue.push(waiter);
        this.#next();
      });
    } catch (e) {
      this.#leave(peer);
      throw e;
    }
    let released = false;
    return {
      queuedMs: performance.now() - since,
      release: () => {
        if (released) return;
        released = true;
        this.#leave(peer);
        this.#holder = undefined;
        this.#next();
      },
    };
  }

  #leave(peer: string): void {
    const left = (this.#peers.get(peer) ?? 1) - 1;
    if (left > 0) this.#peers.set(peer, left);
    else this.#peers.delete(peer);
  }

  #next(): void {
    if (this.#holder !== undefined) return;
    const waiter = this.#queue.shift();
    if (waiter === undefined) return;
    this.#holder = waiter.peer;
    waiter.admit();
  }
}
