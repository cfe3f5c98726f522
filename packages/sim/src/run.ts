import { Simulation } from "./engine.ts";
import { RealSimulation } from "./real.ts";
import { type RunResult, resultOf } from "./report.ts";
import { type Scenario, SimMode } from "./scenario/schema.ts";
import { inlineVerdicts, workerVerdicts } from "./verdicts.ts";

export interface RunOptions {
  onProgress?: (done: number, total: number) => void;
  /** Worker threads for verdicts (0: on the main thread). Results do not depend on it. */
  workers?: number;
}

/** Builds the simulation for a scenario: the modelled engine, or the real-signature one. */
export async function createSimulation(scenario: Scenario): Promise<Simulation> {
  return scenario.mode === SimMode.REAL ? RealSimulation.create(scenario) : new Simulation(scenario);
}

/** Runs a scenario to completion and returns the simulation and its result. */
export async function runScenario(
  scenario: Scenario,
  opts: RunOptions = {},
): Promise<{ sim: Simulation; result: RunResult }> {
  const sim = await createSimulation(scenario);
  const workers = scenario.mode === SimMode.REAL ? 0 : (opts.workers ?? 0);
  const verdicts = workers > 0 ? workerVerdicts(sim.params, workers) : inlineVerdicts(sim.params);
  try {
    await sim.run({ verdicts, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
  } finally {
    await verdicts.close();
  }
  return { sim, result: resultOf(sim) };
}
