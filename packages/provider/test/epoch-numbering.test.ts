import { EpochClock as CheckerEpochClock } from "@checkernet/checker";
import { epochAt } from "@checkernet/protocol/epoch";
import { EpochClock } from "@checkernet/protocol/epochClock";
import { loadScenario, runScenario } from "@checkernet/sim";
import { describe, expect, it } from "vitest";
import { serveEpochClock } from "../src/faults/epochClock.ts";

const genesisSeconds = 1_700_000_000;
const genesisMs = genesisSeconds * 1000;
const epochSeconds = 60;
const epochMs = epochSeconds * 1000;

/** The instants where numbering can go wrong: around genesis and around the first epoch changes. */
const boundaries = [
  genesisMs - epochMs,
  genesisMs - 1,
  genesisMs,
  genesisMs + 1,
  genesisMs + epochMs - 1,
  genesisMs + epochMs,
  genesisMs + 2 * epochMs - 1,
  genesisMs + 2 * epochMs,
  genesisMs + 7 * epochMs + 123,
];

describe("one epoch numbering", () => {
  it("the provider's serve clock and the checker's clock number every boundary as the protocol does", () => {
    for (const t of boundaries) {
      const protocol = epochAt(t, genesisMs, epochSeconds);
      const provider = serveEpochClock({ genesis: genesisSeconds, epochSeconds }, () => t).currentEpoch();
      const checker = new CheckerEpochClock({ genesisMs, epochSeconds, now: () => t }).currentEpoch();
      expect({ t, provider, checker }).toEqual({ t, provider: protocol, checker: protocol });
    }
    const clock = new EpochClock({ genesisMs, epochSeconds, now: () => genesisMs });
    expect(clock.epochOf(genesisMs - 1)).toBe(0n);
    expect(clock.epochOf(genesisMs)).toBe(1n);
    expect(clock.epochOf(genesisMs + epochMs - 1)).toBe(1n);
    expect(clock.epochOf(genesisMs + epochMs)).toBe(2n);
  });

  it("each clock's epoch e starts where the protocol's bounds say, and the simulator counts from that first epoch", async () => {
    const clock = new EpochClock({ genesisMs, epochSeconds, now: () => genesisMs });
    for (const e of [1n, 2n, 3n]) {
      const { startMs, endMs } = clock.bounds(e);
      const provider = serveEpochClock({ genesis: genesisSeconds, epochSeconds }, () => startMs);
      const checker = new CheckerEpochClock({ genesisMs, epochSeconds, now: () => endMs - 1 });
      expect([provider.currentEpoch(), checker.currentEpoch()]).toEqual([e, e]);
    }
    const sim = await runScenario(
      loadScenario("baseline", { "checkers.count": 12, "providers.count": 4, epochs: 3 }),
    );
    const simEpochs = sim.result.epochs.map((row) => BigInt(row.epoch as number));
    expect(simEpochs).toEqual([1n, 2n, 3n].map((e) => clock.epochOf(clock.bounds(e).startMs)));
    expect(simEpochs[0]).toBe(clock.epochOf(genesisMs));
  });
});
