import { EpochClock as ProtocolEpochClock } from "@checkernet/protocol/epochClock";

/**
 * The protocol's epoch clock (packages/protocol/src/epochClock.ts) on the
 * wall clock. `now` is injectable so tests drive time without sleeping.
 */
export class EpochClock extends ProtocolEpochClock {
  constructor(options: {
    genesisMs: number;
    epochSeconds: number;
    checkingPhaseBps?: number;
    now?: () => number;
  }) {
    if (!(options.epochSeconds > 0)) throw new RangeError("epochSeconds must be positive");
    super({ ...options, now: options.now ?? Date.now });
  }
}
