import { readdirSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { ATTACKS, attackText, loadAttack, runAttack, writeAttack } from "./adversaries/attacks/run.ts";
import { equilibriumText, runEquilibrium, writeEquilibriumOutputs } from "./equilibrium.ts";
import { progressBar } from "./progress.ts";
import { runReplicates } from "./replicates.ts";
import { summaryText, writeRunOutputs } from "./report.ts";
import { loadScenario, parseSetValue, resolveScenarioPath } from "./scenario/load.ts";
import { ScenarioError } from "./scenario/schema.ts";
import { DEFAULT_SEED_BIAS, measureSeedBias, seedBiasText, writeSeedBias } from "./seedBias.ts";
import { parseAxis, runSweep, sweepText, writeSweepOutputs } from "./sweep.ts";

const SHIPPED = join(import.meta.dirname, "..", "scenarios");

function collectSet(value: string, previous: Record<string, unknown>): Record<string, unknown> {
  const eq = value.indexOf("=");
  if (eq <= 0) throw new InvalidArgumentError(`--set takes path=value, got "${value}"`);
  return { ...previous, [value.slice(0, eq)]: parseSetValue(value.slice(eq + 1)) };
}

function intArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(`expected a whole number, got "${value}"`);
  return n;
}

function replicatesArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`--replicates takes a whole number ≥ 1, got "${value}"`);
  return n;
}

const REPLICATES_HELP =
  "independent replicates (seed_0 = the seed, seed_i = keccak-derived from it); N ≥ 2 adds 95 % confidence intervals";

function overridesFrom(opts: {
  set?: Record<string, unknown>;
  seed?: string;
  epochs?: number;
}): Record<string, unknown> {
  const o: Record<string, unknown> = { ...(opts.set ?? {}) };
  if (opts.seed !== undefined) o.seed = opts.seed;
  if (opts.epochs !== undefined) o.epochs = opts.epochs;
  return o;
}

function defaultOut(kind: string, name: string): string {
  return resolve("sim-results", `${kind}-${basename(name).replace(/\.(ya?ml|json)$/, "")}`);
}

const program = new Command()
  .name("sim")
  .description(
    "The checker network's research simulator: scenarios, adversaries, sweeps and charts on the protocol code",
  );

program
  .command("run")
  .description("run a scenario; print a summary table and write JSON, CSV, SVG charts and an HTML page")
  .argument("<scenario>", "a YAML/JSON file, or the name of a shipped scenario")
  .option("-o, --out <dir>", "output directory (default: sim-results/run-<name>)")
  .option("--seed <seed>", "override the scenario's seed")
  .option("--epochs <n>", "override the number of epochs", intArg)
  .option(
    "--set <path=value>",
    "override any scenario field, e.g. --set params.committeeSize=12",
    collectSet,
    {},
  )
  .option("--replicates <n>", REPLICATES_HELP, replicatesArg, 1)
  .option("--workers <n>", "worker threads for verdicts (results do not depend on it)", intArg, 0)
  .option("--no-files", "print the summary only")
  .action(async (file: string, opts) => {
    const scenario = loadScenario(file, overridesFrom(opts));
    const bar = progressBar(scenario.name);
    const t0 = performance.now();
    const { sim, result } = await runReplicates(scenario, opts.replicates, {
      onProgress: bar.update,
      workers: opts.workers,
    });
    bar.stop();
    const seconds = (performance.now() - t0) / 1000;
    console.log(summaryText(result));
    const cpe = scenario.checkers.count * scenario.providers.count * scenario.epochs * opts.replicates;
    console.log(`\n${seconds.toFixed(2)} s, ${(cpe / seconds).toExponential(3)} checker-provider-epochs/s`);
    if (opts.files !== false) {
      const dir = opts.out ? resolve(opts.out) : defaultOut("run", scenario.name);
      const paths = await writeRunOutputs(sim, result, dir);
      console.log(`wrote ${paths.length} files to ${dir} (open index.html)`);
    }
    if (result.expectations.some((x) => !x.ok)) process.exitCode = 2;
  });

program
  .command("sweep")
  .description("run a scenario over a grid of one or two parameters; write a table and heatmaps")
  .argument("<scenario>", "a YAML/JSON file, or the name of a shipped scenario")
  .requiredOption(
    "-x, --x <axis>",
    "x axis: name=v1,v2,… or name=from:to:step; names: committeeSize, failureQuorumBps, samplingRate, slashBps, contestBond, or any scenario path",
  )
  .option("-y, --y <axis>", "optional y axis, same form")
  .option("-m, --metric <path...>", "summary paths to tabulate", [
    "totals.detectionRate",
    "totals.falseSlashRate",
  ])
  .option("-o, --out <dir>", "output directory (default: sim-results/sweep-<name>)")
  .option("--set <path=value>", "override any scenario field for every cell", collectSet, {})
  .option("--seed <seed>", "override the scenario's seed")
  .option("--epochs <n>", "override the number of epochs", intArg)
  .option("--replicates <n>", `${REPLICATES_HELP}, per cell`, replicatesArg, 1)
  .action(async (file: string, opts) => {
    const x = parseAxis(opts.x);
    const y = opts.y ? parseAxis(opts.y) : undefined;
    const bar = progressBar("sweep");
    const r = await runSweep({
      scenario: file,
      x,
      ...(y ? { y } : {}),
      metrics: opts.metric,
      overrides: overridesFrom(opts),
      replicates: opts.replicates,
      onProgress: bar.update,
    });
    bar.stop();
    console.log(sweepText(r));
    const dir = opts.out ? resolve(opts.out) : defaultOut("sweep", r.scenario);
    const paths = await writeSweepOutputs(r, dir);
    console.log(`\nwrote ${paths.length} files to ${dir} (open index.html)`);
  });

program
  .command("equilibrium")
  .description(
    "Proof-of-Sampling honesty condition: required sampling rate with and without fraud proofs, simulated and analytic",
  )
  .argument("[scenario]", "base scenario (a provider group with cheatRate: 1 or wrongRows)", "equilibrium")
  .option("--rates <list>", "sampling rates to simulate, comma-separated")
  .option("-o, --out <dir>", "output directory (default: sim-results/equilibrium)")
  .option("--set <path=value>", "override any scenario field", collectSet, {})
  .option("--seed <seed>", "override the scenario's seed")
  .option("--epochs <n>", "override the number of epochs", intArg)
  .option("--replicates <n>", `${REPLICATES_HELP}, per sampling rate`, replicatesArg, 1)
  .action(async (file: string, opts) => {
    const bar = progressBar("equilibrium");
    const r = await runEquilibrium({
      scenario: file,
      ...(opts.rates ? { rates: String(opts.rates).split(",").map(Number) } : {}),
      overrides: overridesFrom(opts),
      replicates: opts.replicates,
      onProgress: bar.update,
    });
    bar.stop();
    console.log(equilibriumText(r));
    const dir = opts.out ? resolve(opts.out) : resolve("sim-results", "equilibrium");
    const paths = await writeEquilibriumOutputs(r, dir);
    console.log(`\nwrote ${paths.length} files to ${dir}`);
  });

program
  .command("seed-bias")
  .description(
    "measure how much a coalition gains by grinding the seed proposers it holds (reveal or withhold), against the 1/(1-2f) bound",
  )
  .option("--fractions <list>", "adversarial license fractions, comma-separated", "0.1,0.2,0.25,0.3333,0.4")
  .option("--trials <n>", "trials per fraction", intArg, DEFAULT_SEED_BIAS.trials)
  .option("--horizon <n>", "epochs of grinding before the target epoch", intArg, DEFAULT_SEED_BIAS.horizon)
  .option(
    "--p <probability>",
    "probability of the target event on one seed",
    String(DEFAULT_SEED_BIAS.eventProbability),
  )
  .option("--seed <n>", "PRNG seed", intArg, DEFAULT_SEED_BIAS.seed)
  .option("-o, --out <dir>", "output directory (default: sim-results/seed-bias)")
  .action(async (opts) => {
    const fractions = String(opts.fractions).split(",").map(Number);
    const p = Number(opts.p);
    if (fractions.some((f) => !(f > 0 && f < 0.5)))
      throw new InvalidArgumentError(`--fractions must lie in (0, 0.5), got "${opts.fractions}"`);
    if (!(p > 0 && p < 1)) throw new InvalidArgumentError(`--p must lie in (0, 1), got "${opts.p}"`);
    const options = {
      fractions,
      eventProbability: p,
      horizon: opts.horizon,
      trials: opts.trials,
      seed: opts.seed,
    };
    const rows = measureSeedBias(options);
    console.log(seedBiasText(rows, options));
    const file = await writeSeedBias(
      rows,
      options,
      opts.out ? resolve(opts.out) : resolve("sim-results", "seed-bias"),
    );
    console.log(`\nwrote ${file}`);
  });

program
  .command("attack")
  .description(
    "run attack studies (packages/sim/scenarios/attacks/): an adversary under the current rules and under a vulnerable or fixed rule set",
  )
  .argument("[files...]", "attack files, or names of shipped ones (e.g. recheck-timing-current)")
  .option("--list", "list the attack studies and the shipped attack files")
  .option("--trials <n>", "override the number of trials", intArg)
  .option("--seed <seed>", "override the seed")
  .option(
    "--set <path=value>",
    "override a protocol parameter or a study's knob: params.recheckWindowEpochs=1, setup.serveEpochs=2",
    collectSet,
    {},
  )
  .option("-o, --out <dir>", "output directory (default: sim-results/attack-<name>)")
  .option("--no-files", "print the results only")
  .action(async (files: string[], opts) => {
    if (opts.list || files.length === 0) {
      for (const a of ATTACKS) console.log(`${a.name.padEnd(16)} ${a.summary}`);
      console.log("");
      for (const f of readdirSync(join(SHIPPED, "attacks")).sort())
        console.log(`  ${f.replace(/\.yaml$/, "")}`);
      return;
    }
    if (opts.trials === 0) throw new InvalidArgumentError("--trials must be at least 1");
    const params: Record<string, number> = {};
    const setup: Record<string, number> = {};
    for (const [path, value] of Object.entries(opts.set as Record<string, unknown>)) {
      const [head, key, ...rest] = path.split(".");
      if ((head !== "params" && head !== "setup") || !key || rest.length > 0)
        throw new ScenarioError(
          "--set",
          `takes params.<name>=<number> or setup.<knob>=<number>, got "${path}"`,
        );
      (head === "params" ? params : setup)[key] = value as number;
    }
    for (const f of files) {
      const spec = loadAttack(f, {
        ...(opts.trials !== undefined ? { trials: opts.trials } : {}),
        ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        params,
        setup,
      });
      const r = runAttack(spec);
      console.log(attackText(r));
      if (opts.files !== false) {
        const dir = opts.out ? resolve(opts.out, spec.name) : defaultOut("attack", spec.name);
        console.log(`wrote ${await writeAttack(r, dir)}\n`);
      }
      if (r.expectations.some((x) => !x.ok)) process.exitCode = 2;
    }
  });

program
  .command("validate")
  .description("check scenario files and report the first error of each")
  .argument("<files...>")
  .action((files: string[]) => {
    for (const f of files) {
      try {
        const s = loadScenario(f);
        console.log(`ok   ${resolveScenarioPath(f)} (${s.name})`);
      } catch (err) {
        console.log(`bad  ${(err as Error).message}`);
        process.exitCode = 1;
      }
    }
  });

program
  .command("list")
  .description("list the shipped scenarios")
  .action(() => {
    for (const f of readdirSync(SHIPPED).sort()) {
      if (!/\.(ya?ml|json)$/.test(f)) continue;
      const s = loadScenario(join(SHIPPED, f));
      console.log(`${f.padEnd(28)} ${s.description.split(". ")[0]}`);
    }
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof ScenarioError) {
    console.error(`sim: ${err.message}`);
    process.exitCode = 1;
  } else {
    throw err;
  }
}
