import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadScenario, scenarioFromObject } from "../src/scenario/load.ts";
import { ScenarioError } from "../src/scenario/schema.ts";

function errorOf(doc: unknown): ScenarioError {
  try {
    scenarioFromObject(doc);
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return err as ScenarioError;
  }
  throw new Error("expected a ScenarioError");
}

describe("scenario schema", () => {
  it("fills defaults for a minimal scenario", () => {
    const s = scenarioFromObject({ name: "minimal" });
    expect(s.mode).toBe("modeled");
    expect(s.checkerGroups.map((g) => g.name)).toEqual(["honest"]);
    expect(s.providerGroups.at(-1)?.count).toBe(s.providers.count);
    expect(s.sampling).toEqual({ rate: 1, sortition: "private" });
  });

  it("names a missing required field", () => {
    expect(errorOf({}).path).toBe("name");
  });

  it("names an unknown field and lists the known ones", () => {
    const err = errorOf({ name: "x", params: { comitteeSize: 8 } });
    expect(err.path).toBe("params.comitteeSize");
    expect(err.message).toMatch(/unknown field; known fields here: committeeSize/);
  });

  it("names a field of the wrong type", () => {
    const err = errorOf({
      name: "x",
      providerGroups: [{ name: "f", count: 1, strategy: { failRate: "often" } }],
    });
    expect(err.path).toBe("providerGroups[0].strategy.failRate");
    expect(err.message).toMatch(/must be a number, got "often"/);
  });

  it("names a value out of range", () => {
    const err = errorOf({ name: "x", network: { gossipLoss: 1.5 } });
    expect(err.path).toBe("network.gossipLoss");
    expect(err.message).toMatch(/\[0, 1\], got 1.5/);
  });

  it("refuses regions and GPU classes the protocol tables do not know", () => {
    expect(errorOf({ name: "x", checkers: { regions: ["mars-north"] } }).message).toMatch(
      /checkers.regions\[0\]: unknown name "mars-north"; known: us-east/,
    );
    expect(
      errorOf({ name: "x", providerGroups: [{ name: "g", count: 1, strategy: { actualGpu: "gtx-480" } }] })
        .path,
    ).toBe("providerGroups[0].strategy.actualGpu[0]");
  });

  it("refuses groups that add up to more than the population", () => {
    const err = errorOf({
      name: "x",
      checkers: { count: 10 },
      checkerGroups: [
        { name: "a", count: 6 },
        { name: "b", count: 6 },
      ],
    });
    expect(err.path).toBe("checkerGroups[1].count");
    expect(err.message).toMatch(/add up to 12, more than checkers.count \(10\)/);
  });

  it("refuses lie targets that are not provider groups", () => {
    const err = errorOf({
      name: "x",
      checkerGroups: [{ name: "c", count: 1, strategy: { lie: { say: "fail", targets: ["nobody"] } } }],
    });
    expect(err.path).toBe("checkerGroups[0].strategy.lie.targets[0]");
  });

  it("refuses a Sybil subnet that is not a /24", () => {
    expect(errorOf({ name: "x", checkerGroups: [{ name: "s", count: 1, subnet: "10.0.0.0/16" }] }).path).toBe(
      "checkerGroups[0].subnet",
    );
  });

  it("caps the real-signature mode to a small network", () => {
    expect(errorOf({ name: "x", mode: "real", checkers: { count: 100 } }).path).toBe("checkers.count");
  });

  it("reports YAML syntax errors with a line number and the file name", () => {
    const dir = mkdtempSync(join(tmpdir(), "sim-schema-"));
    const file = join(dir, "broken.yaml");
    writeFileSync(file, "name: broken\nepochs: [1, 2\n");
    expect(() => loadScenario(file)).toThrow(/broken.yaml: line \d+, column \d+: not valid YAML/);
  });

  it("says where it looked for a scenario that does not exist", () => {
    expect(() => loadScenario("no-such-scenario")).toThrow(/no scenario file at "no-such-scenario"/);
  });

  it("validates every shipped scenario", async () => {
    const { shippedScenarios, SCENARIOS_DIR } = await import("./helpers.ts");
    const files = shippedScenarios();
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const f of files) expect(loadScenario(join(SCENARIOS_DIR, f)).name).toBe(f.replace(/\.ya?ml$/, ""));
  });
});
