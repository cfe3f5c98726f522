/**
 * Wall-clock epochs: epoch e covers [genesis + e·len, genesis + (e+1)·len).
 * `now` is injectable so tests drive time without sleeping.
 */
export class EpochClock {
  readonly genesisMs: number;
  readonly epochMs: number;
  private readonly now: () => number;

  constructor(options: { genesisMs: number; epochSeconds: number; now?: () => number }) {
    if (!(options.epochSeconds > 0)) throw new RangeError("epochSeconds must be positive");
    this.genesisMs = options.genesisMs;
    this.epochMs = options.epochSeconds * 1000;
    this.now = options.now ?? Date.now;
  }

  /** The epoch at `now + offsetMs` (0 before genesis). */
  currentEpoch(offsetMs = 0): bigint {
    const elapsed = this.now() + offsetMs - this.genesisMs;
    return elapsed <= 0 ? 0n : BigInt(Math.floor(elapsed / this.epochMs));
  }

  epochStartMs(epoch: bigint): number {
    return this.genesisMs + Number(epoch) * this.epochMs;
  }
}
