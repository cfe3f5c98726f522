import { describe, expect, it } from "vitest";
import { run, shippedScenarios } from "./helpers.ts";

/**
 * Every shipped scenario states its expected qualitative outcome in its
 * `expect` list; here each runs at a reduced size (same seed, fewer nodes and
 * epochs) and every expectation must hold.
 */
const REDUCED: Record<string, unknown> = { "checkers.count": 200, "providers.count": 100, epochs: 20 };
/** Scenarios already small, or needing their own size to be meaningful. */
const AS_SHIPPED = new Set(["real-small.yaml", "equilibrium.yaml"]);
/** The real-signature mode, smaller still (same epochs: its expectations count co-signed reports). */
const REAL_REDUCED: Record<string, unknown> = { "checkers.count": 16, "providers.count": 4 };

describe("shipped scenarios", () => {
  for (const file of shippedScenarios()) {
    it(`${file}: expected outcomes hold`, async () => {
      const overrides = file === "real-small.yaml" ? REAL_REDUCED : AS_SHIPPED.has(file) ? {} : REDUCED;
      const { result } = await run(file, overrides);
      const failed = result.expectations.filter((x) => !x.ok);
      expect(failed, JSON.stringify(failed, null, 2)).toEqual([]);
      if (!AS_SHIPPED.has(file) && file !== "baseline.yaml")
        expect(result.expectations.length).toBeGreaterThan(0);
    });
  }
});
