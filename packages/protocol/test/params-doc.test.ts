import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkParamsDoc, computeParams, DOC_PATH, replaceSection } from "../../../scripts/params.ts";

/**
 * The generated section of docs/PARAMETERS.md (report committee, seed bias,
 * activation delay, windows) must be exactly what `npm run params` writes, and
 * the values of params.ts must still be the minimal ones meeting the threat model.
 */
describe("docs/PARAMETERS.md generated section", () => {
  const computed = computeParams();

  it("is up to date (run `npm run params` to regenerate)", () => {
    const check = checkParamsDoc(DOC_PATH, computed);
    expect(check.designProblems).toEqual([]);
    expect(check.actual).toBe(check.expected);
    expect(check.upToDate).toBe(true);
  });

  it("is reported stale when the section was edited by hand, and requires the markers", () => {
    const dir = mkdtempSync(join(tmpdir(), "params-doc-"));
    try {
      const path = join(dir, "PARAMETERS.md");
      writeFileSync(path, readFileSync(DOC_PATH, "utf8").replace("m = 135 seats", "m = 134 seats"));
      expect(checkParamsDoc(path, computed).upToDate).toBe(false);
    } finally {
      rmSync(dir, { recursive: true });
    }
    expect(() => replaceSection("# no markers\n", "x")).toThrow(/markers/);
  });
});
