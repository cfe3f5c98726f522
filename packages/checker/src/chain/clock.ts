import { epochAt } from "@checkernet/protocol/epoch";

/**
 * The wall clock seen through the protocol's epoch rules (`epochAt` of
 * packages/protocol/src/epoch.ts: epoch 0 before genesis, then 1, 2, ...).
 * `now` is injectable so tests drive time without sleeping.
 */
export class EpochClock {
  readonly genesisMs: number;
  readonly epochSeconds: number;
  private readonly now: () => number;

  constructor(options: { genesisMs: number; epochSeconds: number; now?: () => number }) {
    if (!(options.epochSeconds > 0)) throw new RangeError("epochSeconds must be positive");
    this.genesisMs = options.genesisMs;
    this.epochSeconds = options.epochSeconds;
    this.now = options.now ?? Date.now;
  }

  /** The clock's time in ms: schedules must read this, not Date.now, so an injected clock drives them too. */
  nowMs(): number {
    return this.now();
  }

  /** The epoch at `now + offsetMs`. */
  currentEpoch(offsetMs = 0): bigint {
    return epochAt(this.now() + offsetMs, this.genesisMs, this.epochSeconds);
  }
}
