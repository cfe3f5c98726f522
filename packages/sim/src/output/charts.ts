import * as vega from "vega";
import type { TopLevelSpec } from "vega-lite";
import * as vl from "vega-lite";

/**
 * Charts are Vega-Lite specs compiled to Vega and rendered by Vega's own SVG
 * renderer with `renderer: "none"`: no browser, no canvas package, no server.
 * Vega estimates text widths without a canvas, which is good enough for axes
 * and legends.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const WIDTH = 560;
const HEIGHT = 260;

type Row = Record<string, string | number>;

/**
 * Several series over epochs as lines; with `band`, each row's 95 % bounds
 * (fields band.lo and band.hi, absent on rows without one) are drawn as a
 * shaded band under its line.
 */
export function lineChart(opts: {
  title: string;
  rows: Row[];
  x: string;
  y: string;
  series: string;
  xTitle?: string;
  yTitle?: string;
  yDomain?: [number, number];
  /** A symmetric log scale, for when one series dwarfs the others (see `dominates`). */
  symlog?: boolean;
  band?: { lo: string; hi: string };
}): TopLevelSpec {
  const x = { field: opts.x, type: "quantitative" as const, title: opts.xTitle ?? opts.x };
  const scale = opts.yDomain
    ? { scale: { domain: opts.yDomain } }
    : opts.symlog
      ? { scale: { type: "symlog" as const } }
      : {};
  const color = { field: opts.series, type: "nominal" as const, title: null, legend: LEGEND };
  const line = {
    mark: { type: "line" as const, point: opts.rows.length <= 60 },
    encoding: {
      x,
      y: { field: opts.y, type: "quantitative" as const, title: opts.yTitle ?? opts.y, ...scale },
      color,
    },
  };
  const head = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: opts.title,
    width: WIDTH,
    height: HEIGHT,
    data: { values: opts.rows },
  };
  if (!opts.band) return { ...head, ...line };
  return {
    ...head,
    layer: [
      {
        mark: { type: "area", opacity: 0.2 },
        encoding: {
          x,
          y: { field: opts.band.lo, type: "quantitative", title: opts.yTitle ?? opts.y, ...scale },
          y2: { field: opts.band.hi },
          color,
        },
      },
      line,
    ],
  };
}

/** Legends under the plot, wide enough for descriptive series names. */
const LEGEND = { orient: "bottom" as const, direction: "vertical" as const, labelLimit: 500 };

/** Reward share against stake (or license) share, one point per group, with the y = x line of fairness. */
export function shareScatter(
  rows: { group: string; kind: string; stakeShare: number; rewardShare: number }[],
): TopLevelSpec {
  const max = Math.max(0.05, ...rows.map((r) => Math.max(r.stakeShare, r.rewardShare))) * 1.1;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: "Reward share vs stake share (providers: stake; checkers: licenses)",
    width: WIDTH,
    height: HEIGHT + 60,
    layer: [
      {
        data: {
          values: [
            { x: 0, y: 0 },
            { x: max, y: max },
          ],
        },
        mark: { type: "line", strokeDash: [4, 4], color: "#999" },
        encoding: {
          x: {
            field: "x",
            type: "quantitative",
            scale: { domain: [0, max] },
            title: "stake or license share",
          },
          y: { field: "y", type: "quantitative", scale: { domain: [0, max] }, title: "reward share" },
        },
      },
      {
        data: { values: rows },
        mark: { type: "point", filled: true, size: 90 },
        encoding: {
          x: { field: "stakeShare", type: "quantitative" },
          y: { field: "rewardShare", type: "quantitative" },
          color: { field: "group", type: "nominal", title: "group" },
          shape: { field: "kind", type: "nominal", title: "kind" },
        },
      },
      {
        data: { values: rows },
        mark: { type: "text", dx: 8, align: "left", fontSize: 10 },
        encoding: {
          x: { field: "stakeShare", type: "quantitative" },
          y: { field: "rewardShare", type: "quantitative" },
          text: { field: "group" },
        },
      },
    ],
  };
}

/**
 * Whether one value dwarfs the rest: the largest magnitude is at least
 * `ratio` times the second largest (and the second is not zero). A linear
 * axis then pins the others near zero; charts switch to a symlog scale.
 */
export function dominates(values: readonly number[], ratio = 10): boolean {
  const mags = values.map((v) => Math.abs(v)).sort((a, b) => b - a);
  const [first = 0, second = 0] = mags;
  return second > 0 && first >= ratio * second;
}

/** One bar per group. */
export function barChart(opts: {
  title: string;
  rows: Row[];
  x: string;
  y: string;
  yTitle?: string;
  symlog?: boolean;
}): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: opts.title,
    width: WIDTH,
    height: HEIGHT,
    data: { values: opts.rows },
    mark: "bar",
    encoding: {
      x: { field: opts.x, type: "nominal", title: null, sort: null },
      y: {
        field: opts.y,
        type: "quantitative",
        title: opts.yTitle ?? opts.y,
        ...(opts.symlog ? { scale: { type: "symlog" as const } } : {}),
      },
      color: {
        condition: { test: `datum['${opts.y}'] < 0`, value: "#d62728" },
        value: "#2ca02c",
      },
    },
  };
}

/** A heatmap of `value` over two swept parameters, with the value printed in each cell. */
export function heatmap(opts: {
  title: string;
  rows: Row[];
  x: string;
  y: string;
  value: string;
  valueTitle?: string;
  scheme?: string;
}): TopLevelSpec {
  // Dark text on the bright end of viridis, white on the dark end.
  const values = opts.rows.map((r) => Number(r[opts.value])).filter(Number.isFinite);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const bright = lo + 0.6 * (hi - lo);
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: opts.title,
    width: WIDTH,
    height: HEIGHT,
    data: { values: opts.rows },
    encoding: {
      x: { field: opts.x, type: "ordinal", sort: null },
      y: { field: opts.y, type: "ordinal", sort: "descending" },
    },
    layer: [
      {
        mark: "rect",
        encoding: {
          color: {
            field: opts.value,
            type: "quantitative",
            title: opts.valueTitle ?? opts.value,
            scale: { scheme: (opts.scheme ?? "viridis") as "viridis" },
          },
        },
      },
      {
        mark: { type: "text", fontSize: 10 },
        encoding: {
          text: { field: opts.value, type: "quantitative", format: ".3~g" },
          color:
            hi > lo
              ? { condition: { test: `datum['${opts.value}'] > ${bright}`, value: "black" }, value: "white" }
              : { value: "white" },
        },
      },
    ],
  };
}

/**
 * The equilibrium chart: simulated payoff gain of cheating (points with the
 * fitted crossover) next to the analytic line, against the swept variable.
 */
export function equilibriumChart(opts: {
  /** lo and hi: the simulated gain's 95 % bounds, drawn as a band (replicated runs). */
  rows: { x: number; series: string; gain: number; lo?: number; hi?: number }[];
  xTitle: string;
  /** Vertical rules: the crossovers, analytic and simulated. */
  rules: { x: number; label: string }[];
}): TopLevelSpec {
  const rules = opts.rules;
  const banded = opts.rows.filter((r) => r.lo !== undefined);
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: "Cheating gain per epoch vs sampling probability (honesty is an equilibrium where gain ≤ 0)",
    width: WIDTH,
    height: HEIGHT + 40,
    layer: [
      ...(banded.length > 0
        ? [
            {
              data: { values: banded },
              mark: { type: "area" as const, opacity: 0.2 },
              encoding: {
                x: { field: "x", type: "quantitative" as const },
                y: { field: "lo", type: "quantitative" as const },
                y2: { field: "hi" },
                color: { field: "series", type: "nominal" as const, title: null, legend: LEGEND },
              },
            },
          ]
        : []),
      {
        data: { values: opts.rows },
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "x", type: "quantitative", title: opts.xTitle },
          y: { field: "gain", type: "quantitative", title: "profit(cheat) − profit(honest), tokens/epoch" },
          color: { field: "series", type: "nominal", title: null, legend: LEGEND },
        },
      },
      {
        data: { values: [{ y: 0 }] },
        mark: { type: "rule", color: "#666" },
        encoding: { y: { field: "y", type: "quantitative" } },
      },
      {
        data: { values: rules },
        mark: { type: "rule", strokeDash: [5, 3] },
        encoding: {
          x: { field: "x", type: "quantitative" },
          color: { field: "label", type: "nominal", title: null, legend: LEGEND },
        },
      },
    ],
  };
}
