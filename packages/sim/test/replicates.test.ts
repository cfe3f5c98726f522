import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cheaterOdds } from "../src/equilibrium.ts";
import { stableJson } from "../src/output/files.ts";
import { combineSummaries, replicateSeed, runReplicates } from "../src/replicates.ts";
import { summaryText, writeRunOutputs } from "../src/report.ts";
import { runScenario } from "../src/run.ts";
import { loadScenario } from "../src/scenario/load.ts";
import { readInterval, type Summary } from "../src/summary.ts";
import { parseAxis, runSweep, sweepText, writeSweepOutputs } from "../src/sweep.ts";

const small = { "checkers.count": 80, "providers.count": 40, epochs: 6 };

describe("replicates", () => {
  it("derives seeds from the base seed: replicate 0 is the seed itself, the others keccak-derived", () => {
    expect(replicateSeed("23", 0)).toBe("23");
    const s1 = replicateSeed("23", 1);
    expect(s1).toMatch(/^0x[0-9a-f]{16}$/);
    expect(replicateSeed("23", 1)).toBe(s1);
    expect(replicateSeed("23", 2)).not.toBe(s1);
    expect(replicateSeed("24", 1)).not.toBe(s1);
  });

  it("is reproducible, and replicate i is the single run with seed_i", async () => {
    const scenario = loadScenario("colluding-minority", small);
    const a = await runReplicates(scenario, 3);
    const b = await runReplicates(scenario, 3);
    expect(stableJson(a.result)).toBe(stableJson(b.result));
    expect(a.result.replicates?.map((r) => r.seed)).toEqual(
      [0, 1, 2].map((i) => replicateSeed(scenario.seed, i)),
    );
    for (const i of [0, 2]) {
      const single = await runScenario(
        loadScenario("colluding-minority", { ...small, seed: replicateSeed(scenario.seed, i) }),
      );
      expect(stableJson(a.result.replicates?.[i]?.summary)).toBe(stableJson(single.result.summary));
    }
    // One replicate is today's single run: no intervals, no replicate list.
    const one = await runReplicates(scenario, 1);
    const plain = await runScenario(scenario);
    expect(stableJson(one.result)).toBe(stableJson(plain.result));
    expect(one.result.intervals).toBeUndefined();
    // The table prints every reported number with its interval.
    const text = summaryText(a.result);
    expect(text).toContain("3 replicates");
    expect(text).toMatch(/detection rate \(faulty provider-epochs failed\)\s+[\d.]+ \[[\d.]+, [\d.]+\]/);
    expect(text).toMatch(/profit\/member[\s\S]*-?[\d.]+ ± [\d.]+/);
  });

  it("pools proportions of trials (Wilson) and takes t intervals of everything else", () => {
    const summary = (detected: number, faulty: number, profit: number): Summary => ({
      totals: { faultyProviderEpochs: faulty, detectionRate: detected / faulty, detected },
      checkers: {},
      providers: { cheater: { faultyEpochs: faulty, detectionRate: detected / faulty, profit } },
      actors: { "providers:cheater": { profit } },
    });
    const { summary: mean, intervals } = combineSummaries([summary(8, 10, 1), summary(9, 30, 3)]);
    // Pooled 17 / 40, not the mean of 0.8 and 0.3.
    expect(mean.totals.detectionRate).toBeCloseTo(17 / 40, 12);
    expect(readInterval(intervals, "totals.detectionRate").method).toBe("wilson");
    expect(readInterval(intervals, "providers.cheater.detectionRate").n).toBe(40);
    const profit = readInterval(intervals, "actors.providers:cheater.profit");
    expect(profit).toMatchObject({ mean: 2, method: "t", n: 2 });
    // t(0.975, 1) · s / √2 with s = √2
    expect(profit.halfWidth).toBeCloseTo(12.706204736, 6);
    expect(mean.totals.detected).toBe(8.5);
  });

  it("covers the analytic detection rate s · qV with its 95 % interval (equilibrium scenario, vote only)", async () => {
    const rate = 0.2;
    const scenario = loadScenario("equilibrium", {
      "providers.count": 200,
      "sampling.rate": rate,
      "fraudProofs.enabled": false,
    });
    const { sim, result } = await runReplicates(scenario, 5);
    const cheater = scenario.providerGroups.find((g) => g.name === "cheater")!;
    const expected = rate * cheaterOdds(sim, cheater, false).qVote;
    const iv = readInterval(result.intervals!, "providers.cheater.detectionRate");
    expect(iv.method).toBe("wilson");
    expect(iv.n).toBe(5 * 100 * scenario.epochs);
    expect(iv.lo).toBeLessThanOrEqual(expected);
    expect(iv.hi).toBeGreaterThanOrEqual(expected);
    expect(iv.hi - iv.lo).toBeLessThan(0.05);
  });

  it("sweeps with replicates: each cell's metrics carry their bounds", async () => {
    const r = await runSweep({
      scenario: "faulty-providers",
      x: parseAxis("committeeSize=4,8"),
      metrics: ["totals.detectionRate", "providers.honest.profitPerMember"],
      overrides: small,
      replicates: 2,
    });
    expect(r.replicates).toBe(2);
    for (const row of r.rows) {
      for (const m of r.metrics) {
        expect(row[`${m}.lo`]).toBeLessThanOrEqual(row[m] as number);
        expect(row[`${m}.hi`]).toBeGreaterThanOrEqual(row[m] as number);
      }
    }
    expect(sweepText(r)).toContain("2 replicates per cell");
    const dir = mkdtempSync(join(tmpdir(), "sim-sweep-rep-"));
    const names = (await writeSweepOutputs(r, dir)).map((p) => p.slice(dir.length + 1));
    expect(names).toContain("band-totals.detectionRate.svg");
    expect(readFileSync(join(dir, "band-totals.detectionRate.svg"), "utf8")).toContain("area mark");
  });

  it("writes intervals.csv, replicates.csv, bounds in groups.csv and bands in the rate charts", async () => {
    const { sim, result } = await runReplicates(loadScenario("faulty-providers", small), 2);
    const dir = mkdtempSync(join(tmpdir(), "sim-run-rep-"));
    const names = (await writeRunOutputs(sim, result, dir)).map((p) => p.slice(dir.length + 1));
    expect(names).toEqual(expect.arrayContaining(["intervals.csv", "replicates.csv", "result.json"]));
    const intervals = readFileSync(join(dir, "intervals.csv"), "utf8").split("\n");
    expect(intervals[0]).toBe("path,mean,lo,hi,halfWidth,n,method");
    expect(
      intervals.some((l) => l.startsWith("providers.failing.detectionRate,") && l.endsWith(",wilson")),
    ).toBe(true);
    expect(readFileSync(join(dir, "replicates.csv"), "utf8").split("\n")).toHaveLength(4);
    expect(readFileSync(join(dir, "groups.csv"), "utf8").split("\n")[0]).toContain(
      "rewardShare,rewardShare_lo,rewardShare_hi",
    );
    expect(readFileSync(join(dir, "detection.svg"), "utf8")).toContain("area mark");
    const json = JSON.parse(readFileSync(join(dir, "result.json"), "utf8"));
    expect(json.intervals.totals.detectionRate.method).toBe("wilson");
    expect(json.replicates).toHaveLength(2);
  });
});
