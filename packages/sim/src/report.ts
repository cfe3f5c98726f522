import type { TopLevelSpec } from "vega-lite";
import type { Simulation } from "./engine.ts";
import { barChart, dominates, lineChart, renderSvg, shareScatter } from "./output/charts.ts";
import { formatInterval, formatNumber, stableJson, textTable, toCsv, writeFiles } from "./output/files.ts";
import { type HtmlSection, htmlPage } from "./output/html.ts";
import { type ProtocolParams, weiToTokens } from "./protocol.ts";
import type { Scenario } from "./scenario/schema.ts";
import { type Interval, wilsonInterval } from "./stats.ts";
import {
  checkExpectations,
  type ExpectationResult,
  type ReplicateRecord,
  type Summary,
  type SummaryIntervals,
  summarize,
} from "./summary.ts";

/** Everything a run produces, in the shape written to result.json. */
export interface RunResult {
  scenario: Scenario;
  /** The ProtocolParams the run used (defaults plus the scenario's overrides). */
  params: Record<string, string | number>;
  summary: Summary;
  expectations: ExpectationResult[];
  epochs: Record<string, number>[];
  /** With --replicates N ≥ 2: 95 % confidence intervals of every summary number (absent for one run). */
  intervals?: SummaryIntervals;
  /** With --replicates N ≥ 2: each replicate's seed and summary. */
  replicates?: ReplicateRecord[];
}

function paramsRecord(params: ProtocolParams): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(params))
    out[k] = typeof v === "bigint" ? `${weiToTokens(v)} tokens` : v;
  return out;
}

/** Members of each actor (for per-member profit curves). */
function actorMembers(sim: Simulation): Map<string, number> {
  const m = new Map<string, number>();
  for (const g of sim.scenario.checkerGroups)
    m.set(`checkers:${g.actor}`, (m.get(`checkers:${g.actor}`) ?? 0) + g.count);
  for (const g of sim.scenario.providerGroups) {
    m.set(`providers:${g.actor}`, (m.get(`providers:${g.actor}`) ?? 0) + g.count);
  }
  return m;
}

export function resultOf(sim: Simulation): RunResult {
  const summary = summarize(sim);
  return {
    scenario: sim.scenario,
    params: paramsRecord(sim.params),
    summary,
    expectations: checkExpectations(summary, sim.scenario.expect),
    epochs: sim.epochs.map((r) => ({ ...r })),
  };
}

/** The four charts of a run, as Vega-Lite specs. */
function runCharts(sim: Simulation, result: RunResult): Record<string, TopLevelSpec> {
  const rows = result.epochs;
  // Replicated runs: epochs hold means, so mean × N is the pooled count; cumulative rates get Wilson bands.
  const n = result.replicates?.length ?? 1;
  const band = (successes: number, trials: number): Record<string, number> => {
    if (n < 2) return {};
    const iv = wilsonInterval(Math.round(successes * n), Math.round(trials * n));
    return { lo: iv.lo, hi: iv.hi };
  };
  const bandOpt = n > 1 ? { band: { lo: "lo", hi: "hi" } } : {};
  let cumDetected = 0;
  let cumFaulty = 0;
  const detection = rows.flatMap((r) => {
    cumDetected += r.detected ?? 0;
    cumFaulty += r.faultyProviderEpochs ?? 0;
    const out: Record<string, string | number>[] = [
      {
        epoch: r.epoch as number,
        series: "cumulative",
        rate: cumFaulty > 0 ? cumDetected / cumFaulty : 0,
        ...band(cumDetected, cumFaulty),
      },
    ];
    if ((r.faultyProviderEpochs ?? 0) > 0)
      out.push({ epoch: r.epoch as number, series: "per epoch", rate: r.detectionRate as number });
    return out;
  });
  let cumFalse = 0;
  let cumExec = 0;
  let cumHonest = 0;
  const falseSlash = rows.flatMap((r) => {
    cumFalse += r.falseFailVerdicts ?? 0;
    cumExec += r.falseSlashesExecuted ?? 0;
    cumHonest += r.honestProviderEpochs ?? 0;
    const d = cumHonest > 0 ? cumHonest : 1;
    return [
      {
        epoch: r.epoch as number,
        series: "FAIL verdicts on honest providers (proposed)",
        rate: cumFalse / d,
        ...band(cumFalse, cumHonest),
      },
      {
        epoch: r.epoch as number,
        series: "false slashes executed",
        rate: cumExec / d,
        ...band(cumExec, cumHonest),
      },
    ];
  });
  const share = [
    ...Object.entries(result.summary.providers).map(([group, g]) => ({
      group: `providers:${group}`,
      kind: "provider",
      stakeShare: g.stakeShare as number,
      rewardShare: g.rewardShare as number,
    })),
    ...Object.entries(result.summary.checkers).map(([group, g]) => ({
      group: `checkers:${group}`,
      kind: "checker",
      stakeShare: g.licenseShare as number,
      rewardShare: g.rewardShare as number,
    })),
  ].filter((r) => r.stakeShare > 0);
  const members = actorMembers(sim);
  const profit = rows.flatMap((r) =>
    sim.actors.map((a) => ({
      epoch: r.epoch as number,
      series: a,
      profit: (r[`profit:${a}`] ?? 0) / Math.max(1, members.get(a) ?? 1),
    })),
  );
  // One actor's profit dwarfing the others' (a slashed cheater's −10,000 against +200) gets a symlog axis.
  const finalProfit = sim.actors.map((a) => result.summary.actors[a]?.profit ?? 0);
  const perMemberFinal = sim.actors.map(
    (a, i) => (finalProfit[i] as number) / Math.max(1, members.get(a) ?? 1),
  );
  const symlogLine = dominates(perMemberFinal);
  const symlogBar = dominates(finalProfit);
  const symlogNote = " — symlog scale: one actor dominates";
  return {
    detection: lineChart({
      title: "Detection: faulty provider-epochs that got a FAIL verdict",
      rows: detection,
      x: "epoch",
      y: "rate",
      series: "series",
      yTitle: "detection rate",
      yDomain: [0, 1],
      ...bandOpt,
    }),
    "false-slash": lineChart({
      title: "False-slash rate (cumulative, per honest provider-epoch)",
      rows: falseSlash,
      x: "epoch",
      y: "rate",
      series: "series",
      yTitle: "rate",
      ...bandOpt,
    }),
    "reward-share": shareScatter(share),
    profit: lineChart({
      title: `Cumulative profit per member, by actor (tokens)${symlogLine ? symlogNote : ""}`,
      rows: profit,
      x: "epoch",
      y: "profit",
      series: "series",
      yTitle: "tokens per member",
      symlog: symlogLine,
    }),
    "profit-total": barChart({
      title: `Total profit by actor (tokens)${symlogBar ? symlogNote : ""}`,
      rows: sim.actors.map((a, i) => ({ actor: a, profit: finalProfit[i] as number })),
      x: "actor",
      y: "profit",
      yTitle: "tokens",
      symlog: symlogBar,
    }),
  };
}

/** Group rows for CSV and the terminal table; with intervals, each number is followed by its _lo and _hi. */
function groupRows(summary: Summary, intervals?: SummaryIntervals): Record<string, string | number>[] {
  const row = (kind: "checkers" | "providers", group: string, g: Record<string, number>) => {
    const out: Record<string, string | number> = { kind, group };
    for (const [k, v] of Object.entries(g)) {
      out[k] = v;
      const iv = intervals?.[kind][group]?.[k];
      if (iv) {
        out[`${k}_lo`] = iv.lo;
        out[`${k}_hi`] = iv.hi;
      }
    }
    return out;
  };
  return [
    ...Object.entries(summary.checkers).map(([group, g]) => row("checkers", group, g)),
    ...Object.entries(summary.providers).map(([group, g]) => row("providers", group, g)),
  ];
}

/** Every interval of a replicated run as one long table: path, estimate, bounds, n, method. */
function intervalRows(intervals: SummaryIntervals): Record<string, string | number>[] {
  const rows: Record<string, string | number>[] = [];
  const add = (path: string, iv: Interval) => rows.push({ path, ...iv });
  for (const [k, iv] of Object.entries(intervals.totals)) add(`totals.${k}`, iv);
  for (const section of ["checkers", "providers", "actors"] as const) {
    for (const [group, g] of Object.entries(intervals[section]))
      for (const [k, iv] of Object.entries(g)) add(`${section}.${group}.${k}`, iv);
  }
  return rows;
}

/** The summary table printed by `sim run`; a replicated run's numbers carry their 95 % intervals. */
export function summaryText(result: RunResult): string {
  const t = result.summary.totals;
  const iv = result.intervals;
  /** A summary number: itself for one run, `mean ± half-width` or `p [lo, hi]` for replicates. */
  const cell = (section: "checkers" | "providers", group: string, key: string): string | number => {
    const v = result.summary[section][group]?.[key] as number;
    const i = iv?.[section][group]?.[key];
    return i ? formatInterval(i) : v;
  };
  const tot = (key: string): string | number => {
    const i = iv?.totals[key];
    return i ? formatInterval(i) : (t[key] as number);
  };
  const seeds = result.replicates
    ? `seed ${result.scenario.seed}, ${result.replicates.length} replicates`
    : `seed ${result.scenario.seed}`;
  const lines = [
    `${result.scenario.name}: ${t.checkers} checkers (${t.licenses} licenses), ${t.providers} providers, ${t.epochs} epochs, ${seeds}, ${result.scenario.mode} mode`,
  ];
  if (result.replicates)
    lines.push(
      "95 % confidence intervals: mean ± t half-width over replicates; rates of provider-epochs: pooled [Wilson lo, hi]",
    );
  lines.push(
    "",
    textTable(
      ["metric", "value"],
      [
        ["detection rate (faulty provider-epochs failed)", tot("detectionRate")],
        ["faulty provider-epochs", tot("faultyProviderEpochs")],
        ["FAIL verdicts on honest providers", tot("falseFailVerdicts")],
        ["false slashes executed", tot("falseSlashesExecuted")],
        ["slashes executed", tot("slashesExecuted")],
        [
          `fraud slashes (fraud proofs ${result.scenario.fraudProofs.enabled ? "on" : "off"})`,
          tot("fraudSlashes"),
        ],
        ["caught (FAIL verdict or fraud slash)", tot("caughtRate")],
        [
          "contests filed / overturned / upheld",
          `${tot("contestsFiled")} / ${tot("contestsOverturned")} / ${tot("contestsUpheld")}`,
        ],
        [
          "aggregator failovers / reports missed / censored",
          `${tot("aggregatorFailovers")} / ${tot("reportsMissed")} / ${tot("reportsCensored")}`,
        ],
        ["mean committee seats", tot("meanCommitteeSeats")],
      ],
    ),
    "",
    textTable(
      [
        "checker group",
        "nodes",
        "license share",
        "seat share",
        "reward share",
        "reward/license",
        "profit/license",
      ],
      Object.keys(result.summary.checkers).map((name) => [
        name,
        result.summary.checkers[name]?.members as number,
        ...["licenseShare", "seatShare", "rewardShare", "rewardPerLicense", "profitPerLicense"].map((k) =>
          cell("checkers", name, k),
        ),
      ]),
    ),
    "",
    textTable(
      [
        "provider group",
        "n",
        "stake share",
        "reward share",
        "detection",
        "false slashes",
        "slashed",
        "fraud slashes",
        "profit/member",
      ],
      Object.keys(result.summary.providers).map((name) => [
        name,
        result.summary.providers[name]?.members as number,
        ...[
          "stakeShare",
          "rewardShare",
          "detectionRate",
          "falseSlashes",
          "slashed",
          "fraudSlashes",
          "profitPerMember",
        ].map((k) => cell("providers", name, k)),
      ]),
    ),
  );
  if (result.expectations.length > 0) {
    lines.push("", result.replicates ? "expectations (on the means):" : "expectations:");
    for (const x of result.expectations) {
      const than = typeof x.than === "number" ? String(x.than) : `${x.than} (${formatNumber(x.expected)})`;
      lines.push(
        `  ${x.ok ? "ok  " : "FAIL"} ${x.that} (${formatNumber(x.actual)}) ${x.is} ${than}${x.because ? ` — ${x.because}` : ""}`,
      );
    }
  }
  return lines.join("\n");
}

/** Writes result.json, epochs.csv, groups.csv, one SVG per chart and index.html; returns the paths. */
export async function writeRunOutputs(sim: Simulation, result: RunResult, dir: string): Promise<string[]> {
  const charts = runCharts(sim, result);
  const svgs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(charts)) svgs[name] = await renderSvg(spec);
  const sections: HtmlSection[] = [
    { heading: "Summary", text: summaryText(result).split("\n")[0] },
    ...Object.entries(svgs).map(([name, svg]) => ({ heading: name, svg })),
    {
      heading: "Groups",
      table: {
        headers: ["kind", "group", "members", "share", "reward share", "profit"],
        rows: groupRows(result.summary).map((g) => [
          g.kind as string,
          g.group as string,
          g.members as number,
          (g.licenseShare ?? g.stakeShare) as number,
          g.rewardShare as number,
          g.profit as number,
        ]),
      },
    },
    {
      heading: "Expectations",
      table: {
        headers: ["ok", "that", "is", "than", "actual", "because"],
        rows: result.expectations.map((x) => [
          x.ok ? "ok" : "FAIL",
          x.that,
          x.is,
          String(x.than),
          x.actual,
          x.because,
        ]),
      },
    },
  ];
  const files: Record<string, string> = {
    "result.json": stableJson(result),
    "epochs.csv": toCsv(result.epochs),
    "groups.csv": toCsv(groupRows(result.summary, result.intervals)),
    "index.html": htmlPage(`Simulation: ${result.scenario.name}`, result.scenario.description, sections),
  };
  for (const [name, svg] of Object.entries(svgs)) files[`${name}.svg`] = svg;
  if (result.intervals) files["intervals.csv"] = toCsv(intervalRows(result.intervals));
  if (result.replicates)
    files["replicates.csv"] = toCsv(
      result.replicates.map((r) => ({ replicate: r.replicate, seed: r.seed, ...r.summary.totals })),
    );
  return writeFiles(dir, files);
}
