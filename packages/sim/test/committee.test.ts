import { committeeSeats } from "@checkernet/protocol/sortition";
import { describe, expect, it } from "vitest";
import { CommitteeSampler, type Seat, SeatTable } from "../src/committee.ts";
import { Prng } from "../src/prng.ts";

describe("SeatTable", () => {
  it("reads committeeSeats' own bucket boundaries", () => {
    const table = new SeatTable();
    const tails = table.tails(5, 1_000, 40);
    // P(seats >= 1) = 1 - (1 - k/L)^n for the protocol's binomial sortition.
    expect(tails[1]).toBeCloseTo(1 - (1 - 40 / 1_000) ** 5, 12);
    // A ticket just above the boundary holds j seats, just below it j - 1.
    const TWO_256 = 1n << 256n;
    for (let j = 1; j < tails.length; j++) {
      const boundary = TWO_256 - BigInt(Math.round((tails[j] as number) * 2 ** 52)) * (TWO_256 >> 52n);
      const above = boundary + (TWO_256 >> 40n);
      const below = boundary - (TWO_256 >> 40n);
      expect(committeeSeats(above, 5, 1_000, 40)).toBeGreaterThanOrEqual(j);
      expect(committeeSeats(below, 5, 1_000, 40)).toBeLessThan(j + 1);
    }
  });

  it("matches the seat distribution of real random tickets", () => {
    const rng = Prng.derive("seats");
    const table = new SeatTable();
    const tails = table.tails(3, 200, 40);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 20_000; i++) counts[committeeSeats(rng.uint256(), 3, 200, 40)]! += 1;
    for (let j = 1; j < 4; j++) {
      const observed = counts.slice(j).reduce((s, x) => s + x, 0) / 20_000;
      expect(Math.abs(observed - ((tails[j] as number) ?? 0))).toBeLessThan(0.01);
    }
  });
});

describe("CommitteeSampler", () => {
  it("draws committees of expected size k, seats proportional to licenses", () => {
    const licenses = Int32Array.from({ length: 500 }, (_, i) => (i < 100 ? 5 : 1));
    const sampler = new CommitteeSampler(licenses);
    expect(sampler.totalLicenses).toBe(900);
    const rng = Prng.derive("committee");
    const out: Seat[] = [];
    let seats = 0;
    let heavy = 0;
    const draws = 4_000;
    for (let d = 0; d < draws; d++) {
      for (const s of sampler.draw(rng, 8, out)) {
        seats += s.seats;
        if (s.checker < 100) heavy += s.seats;
      }
    }
    expect(seats / draws).toBeGreaterThan(7.8);
    expect(seats / draws).toBeLessThan(8.2);
    // 100 checkers × 5 licenses = 500 of 900 licenses: their seat share is 5/9 whatever the split.
    expect(heavy / seats).toBeGreaterThan(0.53);
    expect(heavy / seats).toBeLessThan(0.58);
  });

  it("ranks aggregators in proportion to licenses", () => {
    const licenses = Int32Array.from([30, 10, 10, 10, 10, 10, 10, 10]);
    const sampler = new CommitteeSampler(licenses);
    const rng = Prng.derive("agg");
    let first = 0;
    for (let i = 0; i < 5_000; i++) {
      const ranking = sampler.rankAggregators(rng, 4);
      expect(new Set(ranking).size).toBe(4);
      if (ranking[0] === 0) first++;
    }
    expect(first / 5_000).toBeGreaterThan(0.27);
    expect(first / 5_000).toBeLessThan(0.33);
  });
});
