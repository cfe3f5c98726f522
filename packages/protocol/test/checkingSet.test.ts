import { describe, expect, it } from "vitest";
import { isCheckingSetFinal } from "../src/checkingSet.ts";

describe("the checking set of an epoch", () => {
  it("is final once its epoch has begun on the chain: a change made during e counts from e + 1", () => {
    expect(isCheckingSetFinal(5n, 5n)).toBe(true);
    expect(isCheckingSetFinal(4n, 5n)).toBe(true);
    // Epoch 6 has not begun: a stake or a slash landing during 5 still changes it.
    expect(isCheckingSetFinal(6n, 5n)).toBe(false);
    // Before genesis (epoch 0) epoch 1's set may still change; epoch 0 has none.
    expect(isCheckingSetFinal(1n, 0n)).toBe(false);
    expect(isCheckingSetFinal(0n, 3n)).toBe(false);
  });
});
