import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_PARAMS } from "../src/params.ts";

/**
 * Recomputes the committee-size tables of docs/PARAMETERS.md from the model
 * stated there, so the document cannot drift from the verdict rules.
 */

const DOC = readFileSync(new URL("../../../docs/PARAMETERS.md", import.meta.url), "utf8");
const Q = DEFAULT_PARAMS.failureQuorumBps;
const MIN = DEFAULT_PARAMS.minAttestations;
const TERMS = 160;

function poisson(lambda: number): number[] {
  const out = [Math.exp(-lambda)];
  for (let n = 1; n < TERMS; n++) out.push((out[n - 1]! * lambda) / n);
  return out;
}

function binomial(m: number, f: number): number[] {
  const out: number[] = [];
  let c = 1;
  for (let a = 0; a <= m; a++) {
    if (a > 0) c = (c * (m - a + 1)) / a;
    out.push(c * f ** a * (1 - f) ** (m - a));
  }
  return out;
}

function providerCommittee(k: number, f: number) {
  const pa = poisson(f * k);
  const ph = poisson((1 - f) * k);
  let supermajority = 0;
  let slash = 0;
  let shield = 0;
  let few = 0;
  pa.forEach((x, a) => {
    ph.forEach((y, h) => {
      const p = x * y;
      const n = a + h;
      if (n > 0 && 3 * a > 2 * n) supermajority += p;
      if (n >= MIN && a * 10_000 > Q * n) slash += p;
      if (!(n >= MIN && h * 10_000 > Q * n)) shield += p;
      if (n < MIN) few += p;
    });
  });
  return { supermajority, slash, shield, few };
}

/** "2.9·10^-2" → 0.029, "0.44" → 0.44, "≈ 1" → 1 */
function parseNumber(cell: string): number {
  const t = cell.trim().replace("≈", "").trim();
  const m = /^([\d.]+)(?:·10\^(-?\d+))?$/.exec(t);
  if (!m) throw new Error(`not a number: ${cell}`);
  return Number(m[1]) * 10 ** Number(m[2] ?? 0);
}

function rows(section: string, firstHeader: string): number[][] {
  const start = DOC.indexOf(section);
  const lines = DOC.slice(start).split("\n");
  const headerAt = lines.findIndex((l) => new RegExp(`^\\|\\s*${firstHeader}\\s*\\|`).test(l));
  const out: number[][] = [];
  for (const line of lines.slice(headerAt + 2)) {
    if (!line.startsWith("|")) break;
    out.push(
      line
        .split("|")
        .slice(1, -1)
        .map((c) => parseNumber(c)),
    );
  }
  return out;
}

function close(actual: number, documented: number): void {
  // The document rounds to two significant digits.
  expect(Math.abs(actual - documented)).toBeLessThanOrEqual(0.051 * documented);
}

describe("docs/PARAMETERS.md committee-size tables", () => {
  it("matches the per-provider committee model (1/3 adversary, Poisson seats)", () => {
    const table = rows("## Committee size", "k");
    expect(table.map((r) => r[0])).toEqual([4, 8, 16, 32]);
    for (const [k, supermajority, slash, shield, few] of table as [
      number,
      number,
      number,
      number,
      number,
    ][]) {
      const c = providerCommittee(k, 1 / 3);
      close(c.supermajority, supermajority);
      close(c.slash, slash);
      close(c.shield, shield);
      close(c.few, few);
    }
  });

  it("matches the report committee model (binomial seats, quorum of reportQuorumBps)", () => {
    const table = rows("## Report committee", "m");
    expect(table.map((r) => r[0])).toEqual([4, 8, 16, 32, 64, 128]);
    for (const [m, q, forge3, year3, forge4, block3, block4] of table as number[][] as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ][]) {
      expect(q).toBe(Math.ceil((m * DEFAULT_PARAMS.reportQuorumBps) / 10_000));
      const tail = (f: number, from: number) =>
        binomial(m, f).reduce((s, p, a) => (a >= from ? s + p : s), 0);
      close(tail(1 / 3, q), forge3);
      close(tail(1 / 4, q), forge4);
      close(tail(1 / 3, m - q + 1), block3);
      close(tail(1 / 4, m - q + 1), block4);
      const year = -Math.expm1(35_040 * Math.log1p(-tail(1 / 3, q)));
      if (year3 === 1) expect(year).toBeGreaterThan(0.99);
      else close(year, year3);
    }
  });
});
