import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ATTACKS, attackText, loadAttack, runAttack } from "../src/adversaries/attacks/run.ts";
import { dominates } from "../src/output/charts.ts";
import { type RunResult, summaryText, writeRunOutputs } from "../src/report.ts";
import { runScenario } from "../src/run.ts";
import { loadScenario } from "../src/scenario/load.ts";
import { ScenarioError } from "../src/scenario/schema.ts";
import { readPath } from "../src/summary.ts";
import { run, SCENARIOS_DIR } from "./helpers.ts";

/**
 * Each attack study ships a file under the current rules and one under a
 * rule set that defeats it (or, where the current rules already do, the
 * vulnerable rule set before the fix). Each file's expectations state the
 * effect; here they must hold at a reduced number of trials, and the current
 * file run with the protocol's rule taken out must show the attack working,
 * so these tests fail if the rule is removed.
 */
function metric(file: string, name: string, overrides: Parameters<typeof loadAttack>[1]) {
  const r = runAttack(loadAttack(file, overrides));
  const m = r.metrics.find((x) => x.name === name);
  if (!m) throw new Error(`no metric ${name}`);
  return { r, m };
}

function holds(file: string, trials: number) {
  const r = runAttack(loadAttack(file, { trials }));
  expect(r.expectations.length).toBeGreaterThan(0);
  expect(
    r.expectations.filter((x) => !x.ok),
    attackText(r),
  ).toEqual([]);
  return r;
}

describe("attack studies", () => {
  it("re-check timing: a provider serving only the named re-check epoch escapes every slash with a one-epoch window, not with the 3-epoch window", () => {
    holds("recheck-timing-vulnerable", 60);
    const cur = holds("recheck-timing-current", 120);
    expect(cur.params).toEqual({});
    const { m } = metric("recheck-timing-current", "escapeRate", {
      trials: 60,
      params: { recheckWindowEpochs: 1 },
    });
    expect(m.estimate).toBe(1);
  });

  it("re-check window gap: a provider honest in 2 of 3 window epochs is cleared by two thirds of the seats, caught by the per-epoch rule", () => {
    const v = holds("recheck-window-gap-vulnerable", 60);
    expect(v.metrics.find((m) => m.name === "escapeRate")?.estimate).toBe(1);
    const { m: cur } = metric("recheck-window-gap-current", "escapeRate", { trials: 100 });
    const { m: before } = metric("recheck-window-gap-current", "escapeRate", {
      trials: 100,
      setup: { epochRule: 0 },
    });
    expect(before.estimate).toBe(1);
    expect(cur.hi).toBeLessThan(before.lo);
    expect(cur.hi).toBeLessThan(0.65);
  });

  it("re-check omission: a colluding leader leaving honest PASS results out upholds a false slash only when the verdict divides by the seats counted", () => {
    const v = holds("recheck-omission-vulnerable", 400);
    const c = holds("recheck-omission-current", 200);
    const up = (r: typeof v) => r.metrics.find((m) => m.name === "falseUpholdRate");
    expect(up(c)?.estimate).toBe(0);
    expect(up(c)?.hi).toBeLessThan(up(v)?.lo as number);
  });

  it("late delegation: picking the active set after the seed captures committees only without the activation delay", () => {
    holds("late-delegation-vulnerable", 80);
    const cur = holds("late-delegation-current", 80);
    const { m } = metric("late-delegation-current", "captureRate", {
      trials: 80,
      params: { activationDelayEpochs: 0 },
    });
    expect(m.lo).toBeGreaterThan(cur.metrics[0]?.hi as number);
  });

  it("seed grinding: a report-derived seed multiplies a capture's chance; the unique-signature seed keeps the withholder within 1/(1 - 2f)", () => {
    const v = holds("seed-grinding-vulnerable", 20_000);
    const c = holds("seed-grinding-current", 50_000);
    const mult = (r: typeof v) => r.metrics.find((m) => m.name === "multiplier");
    expect(mult(v)?.lo).toBeGreaterThan(mult(c)?.hi as number);
    expect(mult(c)?.lo).toBeGreaterThan(1);
  });

  it("vouching: a PASS contradicted by evidence costs nothing under the current rules, and vouching stops paying with the penalty", () => {
    holds("vouching-current", 150);
    holds("vouching-fixed", 150);
    const { m } = metric("vouching-fixed", "vouchProfitPerSeat", { trials: 150 });
    const { m: none } = metric("vouching-current", "vouchProfitPerSeat", { trials: 150 });
    expect(m.hi).toBeLessThan(0);
    expect(none.lo).toBeGreaterThan(0);
  });

  it("bribery with a budget: private sortition keeps a small budget from buying the committee; public committees do not", () => {
    holds("budget-bribery-current", 150);
    const v = holds("budget-bribery-vulnerable", 150);
    expect(v.metrics.find((m) => m.name === "spentPerEpoch")?.hi).toBeLessThanOrEqual(20);
  });

  it("every study prints its assumptions and the run's rules", () => {
    for (const a of ATTACKS) expect(a.summary.length).toBeGreaterThan(0);
    const r = runAttack(loadAttack("vouching-fixed", { trials: 5 }));
    expect(attackText(r)).toMatch(/PROPOSED RULE, not in the protocol/);
  });

  it("a study's knobs and parameters can be overridden (sim attack --set setup.serveEpochs=2)", () => {
    const spec = loadAttack("recheck-timing-current", { trials: 30, setup: { serveEpochs: 2 } });
    expect(spec.setup.serveEpochs).toBe(2);
    expect(spec.params).toEqual({});
    const r = runAttack(spec);
    expect(attackText(r)).toContain("setup: checkers = 400, serveEpochs = 2");
    // Serving 2 of the 3 epochs leaves about a third of the seats failing, below the re-check's 2/3 quorum.
    const share = r.metrics.find((m) => m.name === "failingSeatShare");
    expect(share?.hi).toBeLessThan(0.4);
    expect(() => loadAttack("recheck-timing-current", { setup: { serveEpochs: 1.5 } })).toThrow(
      /setup.serveEpochs: must be a whole number in \[0, 64\], got 1.5/,
    );
  });

  it("bad attack files are refused with one line that names the field", () => {
    expect(() => loadAttack("no-such-attack")).toThrow(ScenarioError);
    expect(() => loadAttack("vouching-fixed", { params: { noSuchParam: 1 } })).toThrow(
      /params.noSuchParam: unknown field; expected one of/,
    );
  });
});

describe("bribery with a budget in the epoch engine (bribery-budget.yaml)", () => {
  const SMALL = { "checkers.count": 200, "providers.count": 100, epochs: 12 };
  const perMemberEpoch = (r: RunResult) =>
    readPath(r.summary, "providers.briber.bribesPaid") /
    readPath(r.summary, "providers.briber.members") /
    r.scenario.epochs;
  /** The shipped scenario with the briber's budget set (undefined: none). */
  const withBudget = async (budget: number | undefined, sortition: "public" | "private") => {
    const sc = loadScenario(join(SCENARIOS_DIR, "bribery-budget.yaml"), {
      ...SMALL,
      "sampling.sortition": sortition,
    });
    const bribe = sc.providerGroups[0]?.strategy.bribe;
    if (!bribe) throw new Error("bribery-budget.yaml has no briber");
    if (budget === undefined) delete bribe.budgetPerEpoch;
    else bribe.budgetPerEpoch = budget;
    return (await runScenario(sc)).result;
  };

  it("public committees: a budget of two seats caps what each briber pays an epoch and its shield; without it the same briber pays more and escapes more", async () => {
    const capped = await withBudget(0.4, "public");
    const free = await withBudget(undefined, "public");
    expect(perMemberEpoch(capped)).toBeLessThanOrEqual(0.4 + 1e-9);
    expect(perMemberEpoch(free)).toBeGreaterThan(0.4);
    expect(readPath(capped.summary, "providers.briber.detectionRate")).toBeGreaterThan(
      readPath(free.summary, "providers.briber.detectionRate"),
    );
  });

  it("private sortition: the budget caps the blind share, spent in full every epoch; without it the briber pays its whole fraction", async () => {
    const { sim, result: capped } = await run("bribery-budget.yaml", SMALL);
    expect(perMemberEpoch(capped)).toBeCloseTo(5, 6);
    expect(capped.expectations.filter((x) => !x.ok)).toEqual([]);
    // Text rounds: the expectation lines once printed raw doubles (-10299.044911305087).
    expect(summaryText(capped)).toMatch(/profitPerMember \(-?\d+\) </);
    expect(summaryText(capped)).not.toMatch(/\d\.\d{8,}/);
    // The slashed bribers' profit dwarfs the honest actors': the profit charts switch to a symlog axis.
    const dir = mkdtempSync(join(tmpdir(), "sim-symlog-"));
    await writeRunOutputs(sim, capped, dir);
    expect(readFileSync(join(dir, "profit.svg"), "utf8")).toContain("symlog scale: one actor dominates");
    // The totals (−91,740 against +12,932: under ×10) stay on a linear axis.
    expect(readFileSync(join(dir, "profit-total.svg"), "utf8")).toContain("for a linear scale");
    expect(dominates([-10_000, 200, 150])).toBe(true);
    expect(dominates([-900, 200, 150])).toBe(false);
    expect(dominates([5, 0])).toBe(false);
    const free = await withBudget(undefined, "private");
    expect(perMemberEpoch(free)).toBeCloseTo(120 * 0.2, 6);
  });
});
