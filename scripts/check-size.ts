/**
 * `npm run lint:size`: the size limits of issue 13. A source file over
 * 600 lines usually holds more than one job, and the checker's `node.ts`
 * is meant to wire services, not to be one (under 300 lines). Generated
 * ABIs are exempt: they are written by `hardhat compile`, not by hand.
 * Prints every offender and exits 1 when there is one.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(fileURLToPath(import.meta.url), "../..");
const MAX_LINES = 600;
const NODE_FILE = "packages/checker/src/node.ts";
const NODE_MAX_LINES = 299;
const EXEMPT = /^packages\/contracts\/src\/generated\//;
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs|sol)$/;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && SOURCE.test(entry.name))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

function lineCount(path: string): number {
  const text = readFileSync(join(ROOT, path), "utf8");
  if (text.length === 0) return 0;
  return text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

const sourceDirs = readdirSync(join(ROOT, "packages"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => join(ROOT, "packages", entry.name, "src"))
  .filter((dir) => existsSync(dir));

const offenders: string[] = [];
for (const path of sourceDirs.flatMap(filesUnder).sort()) {
  if (EXEMPT.test(path)) continue;
  const lines = lineCount(path);
  const limit = path === NODE_FILE ? NODE_MAX_LINES : MAX_LINES;
  if (lines > limit) offenders.push(`${path}: ${lines} lines (at most ${limit})`);
}

if (offenders.length > 0) {
  console.error(`lint:size: ${offenders.length} file(s) over their limit:`);
  for (const line of offenders) console.error(`  ${line}`);
  process.exit(1);
}
console.log("lint:size: every source file is within its limit");
