import { describe, expect, it } from "vitest";
import { isCheckingSetFinal } from "../src/checkingSet.ts";

describe("the checking set of an epoch", () => {
  it("is final once the chain is in the epoch before it: a change made during e counts from e + 2 at the earliest", () => {
    expect(isCheckingSetFinal(5n, 5n)).toBe(true);
    expect(isCheckingSetFinal(4n, 5n)).toBe(true);
    // Epoch 6's set and stakes are final during 5 (a leave or a top-up in 5 counts from 7); epoch 7's are not.
    expect(isCheckingSetFinal(6n, 5n)).toBe(true);
    expect(isCheckingSetFinal(7n, 5n)).toBe(false);
    // Before genesis (epoch 0) epoch 1's set may still change (changes then count from 1); epoch 0 has none.
    expect(isCheckingSetFinal(1n, 0n)).toBe(false);
    expect(isCheckingSetFinal(2n, 1n)).toBe(true);
    expect(isCheckingSetFinal(0n, 3n)).toBe(false);
  });
});
