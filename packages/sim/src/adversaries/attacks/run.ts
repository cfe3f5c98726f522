import { readFileSync, statSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { Prng } from "../../prng.ts";
import { scenarioParams } from "../../protocol.ts";
import { ScenarioError } from "../../scenario/schema.ts";
import { budgetBribery } from "./budgetBribery.ts";
import type { AttackModule, Metric, RuleSet } from "./common.ts";
import { lateDelegation } from "./lateDelegation.ts";
import { recheckOmission } from "./recheckOmission.ts";
import { recheckTiming } from "./recheckTiming.ts";
import { seedGrinding } from "./seedGrinding.ts";
import { vouching } from "./vouching.ts";

/** The attack studies, by the name an attack file's `attack:` gives. */
export const ATTACKS: readonly AttackModule[] = [
  recheckTiming,
  recheckOmission,
  lateDelegation,
  seedGrinding,
  vouching,
  budgetBribery,
];

const RULE_SETS: readonly RuleSet[] = ["current", "vulnerable", "fixed"];
const OPS = ["<", "<=", ">", ">="] as const;
const TOKEN_PARAMS = ["epochRewardPool", "contestBond"];

export interface AttackSpec {
  file: string;
  attack: AttackModule;
  name: string;
  description: string;
  rules: RuleSet;
  seed: string;
  trials: number;
  params: Record<string, number>;
  setup: Record<string, number>;
  expect: { that: string; is: (typeof OPS)[number]; than: number; because: string }[];
}

export interface AttackResult {
  attack: string;
  name: string;
  rules: RuleSet;
  seed: string;
  trials: number;
  /** The ProtocolParams the file overrides (what the rule set changes). */
  params: Record<string, number>;
  setup: Record<string, number>;
  metrics: Metric[];
  assumptions: string[];
  notes: string[];
  expectations: { that: string; is: string; than: number; value: number; ok: boolean; because: string }[];
}

const ATTACKS_DIR = join(import.meta.dirname, "..", "..", "..", "scenarios", "attacks");

/** An attack file by path, or by name among the shipped ones (packages/sim/scenarios/attacks/). */
function resolveAttackPath(pathOrName: string): string {
  for (const c of [pathOrName, `${pathOrName}.yaml`, join(ATTACKS_DIR, `${pathOrName}.yaml`)]) {
    try {
      if (statSync(c).isFile()) return c;
    } catch {
      // not this one
    }
  }
  throw new ScenarioError(
    "",
    `no attack file at "${pathOrName}" (tried .yaml and packages/sim/scenarios/attacks/)`,
  );
}

type Doc = Record<string, unknown>;

function obj(file: string, path: string, v: unknown, keys: readonly string[]): Doc {
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) throw new ScenarioError(path, "must be a mapping", file);
  for (const k of Object.keys(v)) {
    if (!keys.includes(k))
      throw new ScenarioError(
        `${path ? `${path}.` : ""}${k}`,
        `unknown field; expected one of ${keys.join(", ")}`,
        file,
      );
  }
  return v as Doc;
}

function num(file: string, path: string, v: unknown, min: number, max: number, integer = false): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v)))
    throw new ScenarioError(
      path,
      `must be ${integer ? "a whole number" : "a number"} in [${min}, ${max}], got ${JSON.stringify(v)}`,
      file,
    );
  return v;
}

/** Reads and validates an attack file; `overrides` (trials, seed) replace the file's. */
export function loadAttack(
  pathOrName: string,
  overrides: {
    trials?: number;
    seed?: string;
    params?: Record<string, number>;
    setup?: Record<string, number>;
  } = {},
): AttackSpec {
  const file = resolveAttackPath(pathOrName);
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, "utf8"), { uniqueKeys: true });
  } catch (err) {
    throw new ScenarioError("", `not valid YAML: ${(err as Error).message.split("\n")[0]}`, file);
  }
  const d = obj(file, "", raw, [
    "attack",
    "name",
    "description",
    "rules",
    "seed",
    "trials",
    "params",
    "setup",
    "expect",
  ]);
  const attack = ATTACKS.find((a) => a.name === d.attack);
  if (!attack)
    throw new ScenarioError(
      "attack",
      `must be one of ${ATTACKS.map((a) => a.name).join(", ")}, got ${JSON.stringify(d.attack)}`,
      file,
    );
  if (!RULE_SETS.includes(d.rules as RuleSet))
    throw new ScenarioError(
      "rules",
      `must be one of ${RULE_SETS.join(", ")}, got ${JSON.stringify(d.rules)}`,
      file,
    );
  const known = Object.keys(scenarioParams({}, []));
  const params: Record<string, number> = {};
  const paramDoc = {
    ...obj(file, "params", d.params, known),
    ...obj(file, "params", overrides.params, known),
  };
  for (const [k, v] of Object.entries(paramDoc)) params[k] = num(file, `params.${k}`, v, 0, 1e15, true);
  const setup: Record<string, number> = {};
  const given = {
    ...obj(file, "setup", d.setup, Object.keys(attack.setup)),
    ...obj(file, "setup", overrides.setup, Object.keys(attack.setup)),
  };
  for (const [k, s] of Object.entries(attack.setup))
    setup[k] =
      given[k] === undefined ? s.default : num(file, `setup.${k}`, given[k], s.min, s.max, s.integer);
  const expect = (Array.isArray(d.expect) ? d.expect : d.expect === undefined ? [] : null)?.map((x, i) => {
    const e = obj(file, `expect[${i}]`, x, ["that", "is", "than", "because"]);
    if (typeof e.that !== "string")
      throw new ScenarioError(
        `expect[${i}].that`,
        "must name a metric, e.g. escapeRate or escapeRate.hi",
        file,
      );
    if (!OPS.includes(e.is as (typeof OPS)[number]))
      throw new ScenarioError(
        `expect[${i}].is`,
        `must be one of ${OPS.join(" ")}, got ${JSON.stringify(e.is)}`,
        file,
      );
    return {
      that: e.that,
      is: e.is as (typeof OPS)[number],
      than: num(file, `expect[${i}].than`, e.than, -1e15, 1e15),
      because: String(e.because ?? ""),
    };
  });
  if (!expect) throw new ScenarioError("expect", "must be a list", file);
  const trials =
    overrides.trials ?? (d.trials === undefined ? 200 : num(file, "trials", d.trials, 1, 1e7, true));
  return {
    file,
    attack,
    name: typeof d.name === "string" ? d.name : attack.name,
    description: typeof d.description === "string" ? d.description : attack.summary,
    rules: d.rules as RuleSet,
    seed: overrides.seed ?? String(d.seed ?? attack.name),
    trials,
    params,
    setup,
    expect,
  };
}

export function runAttack(spec: AttackSpec): AttackResult {
  const params = scenarioParams(spec.params, TOKEN_PARAMS);
  const out = spec.attack.run({
    rules: spec.rules,
    params,
    setup: spec.setup,
    trials: spec.trials,
    rng: Prng.derive(spec.seed, "attack", spec.attack.name),
  });
  const value = (that: string) => {
    const [name, bound] = that.split(".");
    const m = out.metrics.find((x) => x.name === name);
    if (!m)
      throw new ScenarioError(
        "expect",
        `no metric "${name}"; this attack reports ${out.metrics.map((x) => x.name).join(", ")}`,
        spec.file,
      );
    return bound === "lo" ? m.lo : bound === "hi" ? m.hi : m.estimate;
  };
  const cmp = {
    "<": (a: number, b: number) => a < b,
    "<=": (a: number, b: number) => a <= b,
    ">": (a: number, b: number) => a > b,
    ">=": (a: number, b: number) => a >= b,
  };
  return {
    attack: spec.attack.name,
    name: spec.name,
    rules: spec.rules,
    seed: spec.seed,
    trials: spec.trials,
    params: spec.params,
    setup: spec.setup,
    ...out,
    expectations: spec.expect.map((e) => {
      const v = value(e.that);
      return { ...e, value: v, ok: cmp[e.is](v, e.than) };
    }),
  };
}

/** Rounds for text: 3 significant digits, no exponent for ordinary magnitudes. */
function round(x: number): string {
  if (x === 0 || !Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e6) return Number(x.toPrecision(3)).toString();
  return x.toExponential(2);
}

export function attackText(r: AttackResult): string {
  const lines = [
    `${r.name}: ${r.attack} under the ${r.rules} rules (${r.trials} trials, seed ${r.seed})`,
    `rules: ${r.rules === "current" ? "the protocol's" : `the ${r.rules} variant's (see assumptions)`}` +
      (Object.keys(r.params).length > 0
        ? `, with ${Object.entries(r.params)
            .map(([k, v]) => `${k} = ${v}`)
            .join(", ")}`
        : r.rules === "current"
          ? " defaults"
          : ""),
    `setup: ${Object.entries(r.setup)
      .map(([k, v]) => `${k} = ${v}`)
      .join(", ")}`,
    "",
  ];
  const w = Math.max(...r.metrics.map((m) => m.name.length));
  for (const m of r.metrics)
    lines.push(`  ${m.name.padEnd(w)}  ${round(m.estimate)} [${round(m.lo)}, ${round(m.hi)}]  ${m.what}`);
  lines.push(
    "",
    ...r.notes.map((n) => `note: ${n}`),
    "",
    "assumptions (what the study models that it does not call):",
  );
  lines.push(...r.assumptions.map((a) => `  - ${a}`));
  if (r.expectations.length > 0) lines.push("");
  for (const e of r.expectations)
    lines.push(`${e.ok ? "ok  " : "FAIL"} ${e.that} ${e.is} ${e.than} (${round(e.value)}): ${e.because}`);
  return lines.join("\n");
}

export async function writeAttack(r: AttackResult, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, "attack.json");
  await writeFile(file, `${JSON.stringify(r, null, 2)}\n`);
  return file;
}
