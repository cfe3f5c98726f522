import { describe, expect, it } from "vitest";
import { attestationsPerEpochLimit, ValidationBudget } from "../../../src/validation/validationBudget.ts";

function drain(budget: ValidationBudget, peer: string, ip: string | undefined, tries: number): number {
  let admitted = 0;
  for (let i = 0; i < tries; i++) if (budget.tryTake(peer, ip)) admitted++;
  return admitted;
}

describe("validation budget", () => {
  it("is sized from the protocol: 2 × 3 × k × providers attestations per epoch", () => {
    expect(attestationsPerEpochLimit(8, 3)).toBe(144);
    expect(attestationsPerEpochLimit(8, 100)).toBe(4_800);
    expect(attestationsPerEpochLimit(8, 0)).toBe(48);
  });

  it("bounds one peer id to an epoch's budget, refilling at that rate", () => {
    let now = 0;
    const budget = new ValidationBudget({ perEpoch: () => 20, epochSeconds: 20, now: () => now });
    expect(drain(budget, "p1", undefined, 100)).toBe(20);
    now += 1_000; // one second: one epoch's budget / 20 s
    expect(drain(budget, "p1", undefined, 100)).toBe(1);
    now += 60_000; // refills to the burst, never beyond
    expect(drain(budget, "p1", undefined, 100)).toBe(20);
  });

  it("shares one IP's bucket between fresh peer ids, and keeps other IPs apart", () => {
    const budget = new ValidationBudget({ perEpoch: () => 20, epochSeconds: 600, now: () => 0 });
    let admitted = 0;
    for (let id = 0; id < 50; id++) admitted += drain(budget, `sybil-${id}`, "10.0.0.1", 100);
    expect(admitted).toBe(20);
    expect(drain(budget, "honest", "10.0.0.2", 5)).toBe(5);
  });

  it("keeps a bounded number of buckets under a stream of fresh peer ids", () => {
    let now = 0;
    const budget = new ValidationBudget({
      perEpoch: () => 5,
      epochSeconds: 60,
      now: () => now,
      maxTracked: 100,
    });
    for (let id = 0; id < 10_000; id++) {
      now += 1;
      budget.tryTake(`id-${id}`, `10.0.${id % 256}.1`);
    }
    expect(budget.tracked().peers).toBeLessThanOrEqual(100);
    expect(budget.tracked().ips).toBeLessThanOrEqual(100);
  });
});
