import { describe, expect, it } from "vitest";
import { formatTokens } from "../src/tokens.ts";

const E18 = 10n ** 18n;

describe("formatTokens", () => {
  it("shows tokens with two decimals and thousands separators", () => {
    expect(formatTokens(1000n * E18)).toBe("1,000.00");
    expect(formatTokens("1500000000000000000000")).toBe("1,500.00");
    expect(formatTokens(1234567n * E18 + E18 / 4n)).toBe("1,234,567.25");
    expect(formatTokens(0n)).toBe("0.00");
  });

  it("rounds to two decimals, half up, so a split's rounding dust does not show", () => {
    expect(formatTokens("999999999999999999997")).toBe("1,000.00");
    expect(formatTokens("85714285714285714284")).toBe("85.71");
    expect(formatTokens(5n * 10n ** 15n)).toBe("0.01");
    expect(formatTokens(1n, 0)).toBe("<1");
    expect(formatTokens(2_500n * E18, 0)).toBe("2,500");
  });

  it("says <0.01 rather than 0.00 for a positive dust amount", () => {
    expect(formatTokens(1n)).toBe("<0.01");
    expect(formatTokens(5n * 10n ** 15n - 1n)).toBe("<0.01");
    expect(formatTokens(1n, 4)).toBe("<0.0001");
    expect(formatTokens(-1n)).toBe(">-0.01");
    expect(formatTokens(-2n * E18)).toBe("-2.00");
  });
});
