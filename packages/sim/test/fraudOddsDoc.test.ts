import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  checkFraudOddsDocs,
  computeFraudOdds,
  DOC_PATHS,
  renderFraudOdds,
  replaceBlock,
} from "../../../scripts/fraudOdds.ts";

/**
 * The fraud-proof odds block of docs/simulator.md and docs/protocol/fraud-proofs.md
 * (one checker's catch, the vote's FAIL and the fraud slash per matmul-checked
 * epoch, s* of equilibrium-colluders, at the default shape and at r = 4) must be
 * exactly what `npx tsx scripts/fraudOdds.ts` writes.
 */
describe("fraud-proof odds in the docs", async () => {
  const odds = await computeFraudOdds();
  const block = renderFraudOdds(odds);

  it("are up to date in both docs (run `npx tsx scripts/fraudOdds.ts` to regenerate)", () => {
    for (const check of checkFraudOddsDocs(block)) {
      expect(check.actual, check.path).toBe(check.expected);
    }
  });

  it("come from the default shape: one checker catches a 5 %-wrong provider in 34.2 % of runs (18.8 % at r = 4)", () => {
    const five = odds.cases.find((c) => c.wrongRows === 0.05 && c.shielded);
    expect(odds.rows).toBe(8);
    expect(five?.now.rowCatch).toBeCloseTo(0.3419, 4);
    expect(five?.before.rowCatch).toBeCloseTo(0.1884, 4);
    // With fraud proofs the 5 % cheater no longer pays at the scenario's sampling rate 0.2.
    expect(odds.now.withProofs).toBeLessThan(0.2);
    expect(odds.before.withProofs).toBeGreaterThan(0.2);
  });

  it("is reported stale when a number was edited by hand, and requires the markers", () => {
    const dir = mkdtempSync(join(tmpdir(), "fraud-odds-doc-"));
    try {
      const path = join(dir, "doc.md");
      const doc = readFileSync(DOC_PATHS[0] as string, "utf8");
      writeFileSync(path, doc.replace(`| 0.342 (0.188) |`, `| 0.337 (0.185) |`));
      expect(checkFraudOddsDocs(block, [path])[0]?.upToDate).toBe(false);
    } finally {
      rmSync(dir, { recursive: true });
    }
    expect(() => replaceBlock("# no markers\n", "x", "doc.md")).toThrow(/markers/);
  });
});
