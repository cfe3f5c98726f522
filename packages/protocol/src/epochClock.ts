import { type EpochBounds, type EpochPhase, epochAt, epochBounds, epochPhase } from "./epoch.ts";
import { DEFAULT_PARAMS } from "./params.ts";

export interface EpochClockOptions {
  /** Start of epoch 1 (the contracts' `genesisTime`), in ms. */
  genesisMs: number;
  epochSeconds: number;
  /** Share of each epoch spent in the checking phase; the protocol default unless the network overrides it. */
  checkingPhaseBps?: number;
  /** The current time in ms. Passed in so the protocol never reads a clock itself (and tests drive time). */
  now: () => number;
}

/**
 * The protocol's epoch rules (epoch.ts) bound to one network's genesis, epoch
 * length and phase split, so every component (checker, provider, devnet,
 * simulator tests) numbers epochs the same way: 0 before genesis, then 1, 2, ...
 */
export class EpochClock {
  readonly genesisMs: number;
  readonly epochSeconds: number;
  readonly checkingPhaseBps: number;
  readonly #now: () => number;

  constructor(options: EpochClockOptions) {
    this.genesisMs = options.genesisMs;
    this.epochSeconds = options.epochSeconds;
    this.checkingPhaseBps = options.checkingPhaseBps ?? DEFAULT_PARAMS.checkingPhaseBps;
    this.#now = options.now;
  }

  /** The clock's time in ms: schedules must read this, not Date.now, so an injected clock drives them too. */
  nowMs(): number {
    return this.#now();
  }

  /** The epoch containing `timeMs`. */
  epochOf(timeMs: number): bigint {
    return epochAt(timeMs, this.genesisMs, this.epochSeconds);
  }

  /** The epoch at `now + offsetMs`. */
  currentEpoch(offsetMs = 0): bigint {
    return this.epochOf(this.nowMs() + offsetMs);
  }

  /** Start, publish-phase start and end of `epoch` (≥ 1). */
  bounds(epoch: bigint): EpochBounds {
    return epochBounds(epoch, this.genesisMs, this.epochSeconds, this.checkingPhaseBps);
  }

  /** Which epoch and phase `timeMs` (now by default) falls in; `bounds` is absent before genesis. */
  phase(timeMs: number = this.nowMs()): { epoch: bigint; phase: EpochPhase; bounds?: EpochBounds } {
    return epochPhase(timeMs, this.genesisMs, this.epochSeconds, this.checkingPhaseBps);
  }
}
