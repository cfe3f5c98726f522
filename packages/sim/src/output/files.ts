import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Interval } from "../stats.ts";

/**
 * JSON with bigints as decimal strings and numbers rounded to 12 significant
 * digits: the same run on another machine (or another Node release whose
 * libm rounds the last bit of Math.exp differently) still writes the same bytes.
 */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? v.toString() : typeof v === "number" ? round(v) : v), 2)}\n`;
}

function round(v: number): number {
  if (!Number.isFinite(v) || Number.isInteger(v)) return v;
  return Number(v.toPrecision(12));
}

function csvCell(v: unknown): string {
  if (v === undefined || v === null) return "";
  const s = typeof v === "number" ? String(round(v)) : String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Rows of flat objects as CSV; columns are the union of keys in first-seen order. */
export function toCsv(rows: readonly Record<string, unknown>[]): string {
  const columns: string[] = [];
  for (const row of rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
  const lines = [columns.join(",")];
  for (const row of rows) lines.push(columns.map((c) => csvCell(row[c])).join(","));
  return `${lines.join("\n")}\n`;
}

export function writeFiles(dir: string, files: Record<string, string>): string[] {
  mkdirSync(dir, { recursive: true });
  return Object.entries(files).map(([name, content]) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  });
}

/** Fixed-width text table for the terminal. */
export function textTable(headers: string[], rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === "number" ? formatNumber(c) : c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line)].join("\n");
}

/** A confidence interval for the terminal: `mean ± half-width` (t) or `estimate [lo, hi]` (Wilson). */
export function formatInterval(i: Interval): string {
  if (i.method === "t")
    return `${formatNumber(i.mean)} ± ${formatNumber(Number(i.halfWidth.toPrecision(3)))}`;
  return formatBounds(i.mean, i.lo, i.hi);
}

/** `estimate [lo, hi]`. */
export function formatBounds(estimate: number, lo: number, hi: number): string {
  return `${formatNumber(estimate)} [${formatNumber(lo)}, ${formatNumber(hi)}]`;
}

/** A number for text: whole numbers as they are, 2 decimals from 1 on, 3 significant digits below. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1000) return v.toFixed(0);
  if (a >= 1) return v.toFixed(2);
  if (a === 0) return "0";
  return v.toPrecision(3);
}
