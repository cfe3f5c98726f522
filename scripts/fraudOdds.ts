/**
 * The fraud-proof odds that docs/simulator.md and docs/protocol/fraud-proofs.md
 * state about the matmul sample shape (between `<!-- fraud-odds:begin -->` and
 * `<!-- fraud-odds:end -->` in both): one checker's catch of a provider with a
 * fraction f of its rows wrong, the chance that the vote FAILs it and that a
 * fraud proof slashes it per matmul-checked epoch, and the sampling rate that
 * deters it in `sim equilibrium equilibrium-colluders`, at the default shape
 * and at the earlier r = 4 (the repo's rule: every parameter that bounds an
 * attack gets its probability computed by a script). Nothing is computed
 * here: the catch is the protocol's `detectionProbability` at the params'
 * shape, the odds `cheaterOdds` over the verdict rule, s* `runEquilibrium`.
 *
 *   npx tsx scripts/fraudOdds.ts           # prints the block, rewrites the docs' blocks when stale
 *   npx tsx scripts/fraudOdds.ts --check   # exit 1 when a doc's block is stale
 *
 * packages/sim/test/fraudOddsDoc.test.ts fails when a block is stale.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { DEFAULT_PARAMS } from "@checkernet/protocol/params";
import { cheaterOdds, createSimulation, loadScenario, runEquilibrium } from "@checkernet/sim";

export const DOC_PATHS = [
  fileURLToPath(new URL("../docs/simulator.md", import.meta.url)),
  fileURLToPath(new URL("../docs/protocol/fraud-proofs.md", import.meta.url)),
];
export const BEGIN_MARKER = "<!-- fraud-odds:begin -->";
export const END_MARKER = "<!-- fraud-odds:end -->";

/** The scenario whose network the odds are computed on, and the shape before 8e6e9c1. */
const SCENARIO = "equilibrium-colluders";
const EARLIER_ROWS = 4;
const WRONG = [0.05, 0.1];
const SHIELDED = [false, true];

interface Odds {
  rowCatch: number;
  qVote: number;
  qFraud: number;
}

interface Case {
  wrongRows: number;
  shielded: boolean;
  /** At the default shape and at r = EARLIER_ROWS, per matmul-checked epoch. */
  now: Odds;
  before: Odds;
}

interface Threshold {
  withProofs: number;
  voteOnly: number;
  /** The cheater's analytic gain per provider-epoch at the scenario's own sampling rate. */
  gainAtRate: number;
  rate: number;
}

export interface FraudOdds {
  rows: number;
  n: number;
  cases: Case[];
  now: Threshold;
  before: Threshold;
}

/** One provider group cheating with f wrong rows; shielders as the scenario ships them, or none. */
async function odds(wrongRows: number, shielded: boolean, rows: number): Promise<Odds> {
  const scenario = loadScenario(SCENARIO, {
    "params.matmulShareBps": 10_000,
    "params.matmulSampledRows": rows,
    providerGroups: [{ name: "cheater", fraction: 0.5, strategy: { wrongRows } }],
    ...(shielded ? {} : { checkerGroups: [] }),
  });
  const sim = await createSimulation(scenario);
  const o = cheaterOdds(sim, scenario.providerGroups[0] as (typeof scenario.providerGroups)[number], true);
  return { rowCatch: o.rowCatch, qVote: o.qVote, qFraud: o.qFraud };
}

async function threshold(rows: number): Promise<Threshold> {
  const rate = loadScenario(SCENARIO).sampling.rate;
  const r = await runEquilibrium({
    scenario: SCENARIO,
    rates: [rate],
    overrides: { "params.matmulSampledRows": rows },
  });
  const [fp, vote] = r.arms;
  if (!fp || !vote) throw new Error("runEquilibrium returned no arms");
  return {
    withProofs: fp.analyticCrossover,
    voteOnly: vote.analyticCrossover,
    gainAtRate: fp.rows[0]?.gainAnalytic as number,
    rate,
  };
}

export async function computeFraudOdds(): Promise<FraudOdds> {
  const rows = DEFAULT_PARAMS.matmulSampledRows;
  const cases: Case[] = [];
  for (const wrongRows of WRONG) {
    for (const shielded of SHIELDED) {
      cases.push({
        wrongRows,
        shielded,
        now: await odds(wrongRows, shielded, rows),
        before: await odds(wrongRows, shielded, EARLIER_ROWS),
      });
    }
  }
  return {
    rows,
    n: DEFAULT_PARAMS.matmulSize,
    cases,
    now: await threshold(rows),
    before: await threshold(EARLIER_ROWS),
  };
}

const p3 = (x: number) => (x >= 0.9995 ? x.toFixed(4) : x.toPrecision(3));
const pct = (x: number) => `${x < 0 ? "−" : ""}${+(100 * Math.abs(x)).toPrecision(3)} %`;

export function renderFraudOdds(o: FraudOdds): string {
  const cell = (now: number, before: number) => `${p3(now)} (${p3(before)})`;
  const lines = o.cases.map((c) => {
    const wrong = Math.ceil(c.wrongRows * o.n - 1e-9);
    return `| ${pct(c.wrongRows)} (${wrong} of ${o.n.toLocaleString("en-US")} rows) | ${c.shielded ? "30 % of the licenses" : "none"} | ${cell(c.now.rowCatch, c.before.rowCatch)} | ${cell(c.now.qVote, c.before.qVote)} | ${cell(c.now.qFraud, c.before.qFraud)} |`;
  });
  const five = o.cases.find((c) => c.wrongRows === 0.05 && c.shielded) as Case;
  const gain = (t: Threshold) =>
    `${t.gainAtRate > 0 ? "+" : "−"}${Math.abs(t.gainAtRate).toFixed(3)} tokens per provider-epoch (${t.gainAtRate > 0 ? "cheating pays" : "it does not pay"})`;
  return `<!-- Generated by \`npx tsx scripts/fraudOdds.ts\` (cheaterOdds and runEquilibrium over the protocol's detectionProbability, verdict rule and params): edit those, not this block; packages/sim/test/fraudOddsDoc.test.ts fails when it is stale. -->

Per matmul-checked epoch at the default shape (r, s) = (${o.rows}, 16), n = ${o.n.toLocaleString("en-US")}, in brackets at the earlier r = ${EARLIER_ROWS}; \`${SCENARIO}\`'s network (200 one-license checkers, k = 8, 0.2 % of runs lost), every sampled epoch a matmul:

| wrong rows f | shielders | one checker catches | FAIL verdict (vote) | fraud slash (any honest member's proof) |
| --- | --- | --- | --- | --- |
${lines.join("\n")}

What changed from r = ${EARLIER_ROWS}: one checker catches a 5 %-wrong provider in ${pct(five.now.rowCatch)} of runs instead of ${pct(five.before.rowCatch)}; with 30 % shielders a fraud proof slashes it in ${pct(five.now.qFraud)} of matmul epochs instead of ${pct(five.before.qFraud)}. In \`sim equilibrium ${SCENARIO}\` (f = 5 %, 30 % shielders, matmul in half the sampled epochs) the analytic s* fell from ${o.before.withProofs.toFixed(4)} to ${o.now.withProofs.toFixed(4)} with fraud proofs (${pct(o.now.withProofs / o.before.withProofs - 1)}) and from ${o.before.voteOnly.toPrecision(3)} to ${o.now.voteOnly.toPrecision(3)} by vote alone (above 1: no rate deters); at the scenario's sampling rate ${o.now.rate} the cheater's analytic gain went from ${gain(o.before)} to ${gain(o.now)}.
`;
}

/** `doc` with its generated block replaced by `block`. */
export function replaceBlock(doc: string, block: string, path: string): string {
  const begin = doc.indexOf(BEGIN_MARKER);
  const end = doc.indexOf(END_MARKER);
  if (begin < 0 || end < begin) throw new Error(`${path} lacks the ${BEGIN_MARKER} … ${END_MARKER} markers`);
  return `${doc.slice(0, begin + BEGIN_MARKER.length)}\n${block}${doc.slice(end)}`;
}

export interface DocCheck {
  path: string;
  upToDate: boolean;
  expected: string;
  actual: string;
}

/** Compares each doc's block with what the script would write. Reads, never writes. */
export function checkFraudOddsDocs(block: string, paths: readonly string[] = DOC_PATHS): DocCheck[] {
  return paths.map((path) => {
    const actual = readFileSync(path, "utf8");
    const expected = replaceBlock(actual, block, path);
    return { path, upToDate: expected === actual, expected, actual };
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { check: { type: "boolean", default: false } } });
  const block = renderFraudOdds(await computeFraudOdds());
  console.log(block);
  for (const check of checkFraudOddsDocs(block)) {
    if (check.upToDate) console.log(`${check.path} is up to date`);
    else if (values.check) {
      console.log(`${check.path} is stale: run npx tsx scripts/fraudOdds.ts`);
      process.exitCode = 1;
    } else {
      writeFileSync(check.path, check.expected);
      console.log(`${check.path} rewritten`);
    }
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  await main();
