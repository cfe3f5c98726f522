import { readdirSync } from "node:fs";
import { join } from "node:path";
import { runScenario } from "../src/run.ts";
import { loadScenario } from "../src/scenario/load.ts";

export const SCENARIOS_DIR = join(import.meta.dirname, "..", "scenarios");

/** Shipped scenario files. */
export function shippedScenarios(): string[] {
  return readdirSync(SCENARIOS_DIR)
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort();
}

/** Loads a shipped scenario with overrides and runs it on the main thread. */
export async function run(name: string, overrides: Record<string, unknown> = {}) {
  return runScenario(loadScenario(join(SCENARIOS_DIR, name), overrides));
}
