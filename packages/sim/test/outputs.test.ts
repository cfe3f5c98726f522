import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { writeRunOutputs } from "../src/report.ts";
import { runScenario } from "../src/run.ts";
import { loadScenario } from "../src/scenario/load.ts";
import { parseAxis, runSweep, writeSweepOutputs } from "../src/sweep.ts";

const run = promisify(execFile);
const BIN = join(import.meta.dirname, "..", "bin", "sim.js");

function selfContained(html: string): void {
  expect(html).toContain("<svg");
  // No scripts, stylesheets or images fetched from anywhere: the page opens from disk.
  expect(html).not.toMatch(/<script|<link|src=["']https?:/);
}

describe("outputs", () => {
  it("writes JSON, CSV, one SVG per chart and a self-contained HTML page", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sim-run-"));
    const { sim, result } = await runScenario(
      loadScenario("bribery", { "checkers.count": 80, "providers.count": 30, epochs: 6 }),
    );
    const paths = await writeRunOutputs(sim, result, dir);
    const names = paths.map((p) => p.slice(dir.length + 1)).sort();
    expect(names).toEqual(
      [
        "detection.svg",
        "epochs.csv",
        "false-slash.svg",
        "groups.csv",
        "index.html",
        "profit-total.svg",
        "profit.svg",
        "result.json",
        "reward-share.svg",
      ].sort(),
    );
    const json = JSON.parse(readFileSync(join(dir, "result.json"), "utf8"));
    expect(json.summary.totals.epochs).toBe(6);
    expect(readFileSync(join(dir, "epochs.csv"), "utf8").split("\n")[0]).toMatch(/^epoch,providersSampled,/);
    for (const svg of ["detection.svg", "reward-share.svg", "profit.svg", "false-slash.svg"]) {
      const text = readFileSync(join(dir, svg), "utf8");
      expect(text.startsWith("<svg")).toBe(true);
      expect(text).toMatch(/<path|<line/);
    }
    selfContained(readFileSync(join(dir, "index.html"), "utf8"));
  });

  it("sweeps two parameters into a table and a heatmap", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sim-sweep-"));
    const r = await runSweep({
      scenario: "colluding-minority",
      x: parseAxis("committeeSize=4,8"),
      y: parseAxis("failureQuorumBps=5000,6666"),
      metrics: ["totals.falseFailRate", "providers.cheater.detectionRate"],
      overrides: { "checkers.count": 80, "providers.count": 30, epochs: 5 },
    });
    expect(r.rows).toHaveLength(4);
    expect(r.rows[0]).toMatchObject({ committeeSize: 4, failureQuorumBps: 5000 });
    // A lower failure quorum lets the cartel's FAIL lies through more often.
    const at = (k: number, q: number) =>
      r.rows.find((x) => x.committeeSize === k && x.failureQuorumBps === q)!;
    expect(at(8, 5000)["totals.falseFailRate"]).toBeGreaterThanOrEqual(at(8, 6666)["totals.falseFailRate"]!);
    const paths = await writeSweepOutputs(r, dir);
    expect(paths.some((p) => p.endsWith("heatmap-totals.falseFailRate.svg"))).toBe(true);
    selfContained(readFileSync(join(dir, "index.html"), "utf8"));
  });

  it("parses sweep axes as lists or ranges and refuses nonsense", () => {
    expect(parseAxis("samplingRate=0.1:0.3:0.1")).toEqual({
      name: "samplingRate",
      path: "sampling.rate",
      values: [0.1, 0.2, 0.3],
    });
    expect(parseAxis("params.minAttestations=2,3").path).toBe("params.minAttestations");
    expect(() => parseAxis("committeeSize")).toThrow(/must look like/);
    expect(() => parseAxis("committeeSize=a,b")).toThrow(/must be numbers/);
  });
});

describe("sim CLI", () => {
  it("runs a scenario and prints the summary table", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sim-cli-"));
    const { stdout } = await run(process.execPath, [
      BIN,
      "run",
      "ghost",
      "--set",
      "checkers.count=60",
      "--set",
      "providers.count=20",
      "--epochs",
      "4",
      "--out",
      dir,
    ]);
    expect(stdout).toMatch(/ghost: 60 checkers/);
    expect(stdout).toMatch(/detection rate/);
    expect(stdout).toMatch(/ok {3}providers.ghost.detectionRate/);
    expect(readFileSync(join(dir, "index.html"), "utf8")).toContain("<svg");
  });

  it("names the bad field of an invalid scenario and exits non-zero", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sim-cli-"));
    const file = join(dir, "bad.yaml");
    writeFileSync(
      file,
      "name: bad\nproviders: { count: 10 }\nproviderGroups:\n  - name: g\n    count: 2\n    strategy: { uptime: 2 }\n",
    );
    const err = await run(process.execPath, [BIN, "run", file]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((err as { code: number }).code).toBe(1);
    expect((err as { stderr: string }).stderr).toMatch(
      /bad.yaml: providerGroups\[0\].strategy.uptime: must be in \[0, 1\], got 2/,
    );
  });
});
