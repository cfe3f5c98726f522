import { readFileSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { VOCABULARY } from "../protocol.ts";
import { parseScenario } from "./parse.ts";
import { type Scenario, ScenarioError } from "./schema.ts";

/**
 * Finds a scenario by path: the file itself, the path with .yaml/.yml/.json
 * added, or a bare name looked up in the shipped scenarios directory.
 */
export function resolveScenarioPath(pathOrName: string): string {
  const candidates = [pathOrName, `${pathOrName}.yaml`, `${pathOrName}.yml`, `${pathOrName}.json`];
  const shipped = join(import.meta.dirname, "..", "..", "scenarios", pathOrName);
  candidates.push(shipped, `${shipped}.yaml`, `${shipped}.yml`, `${shipped}.json`);
  for (const c of candidates) {
    try {
      if (statSync(c).isFile()) return c;
    } catch {
      // not this one
    }
  }
  throw new ScenarioError(
    "",
    `no scenario file at "${pathOrName}" (tried .yaml, .yml, .json and packages/sim/scenarios/)`,
  );
}

/** Parses YAML or JSON text; syntax errors become ScenarioErrors with a line number. */
function parseScenarioText(text: string, file: string): unknown {
  const ext = extname(file).toLowerCase();
  try {
    if (ext === ".json") return JSON.parse(text);
    return parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const where = err.linePos?.[0] ? `line ${err.linePos[0].line}, column ${err.linePos[0].col}` : "";
      throw new ScenarioError(where, `not valid YAML: ${err.message.split("\n")[0]}`, file);
    }
    throw new ScenarioError("", `not valid JSON: ${(err as Error).message}`, file);
  }
}

/**
 * Sets a dotted path (`checkers.count`, `params.committeeSize`) in a parsed
 * document, creating objects on the way: how the CLI's `--set` and the tests
 * shrink a scenario before validation.
 */
function setPath(doc: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let node: Record<string, unknown> = doc;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next === undefined || next === null) node[key] = {};
    // `fraudProofs: false` is shorthand for `{ enabled: false }`; `--set fraudProofs.enabled=…` still applies.
    else if (key === "fraudProofs" && typeof next === "boolean") node[key] = { enabled: next };
    else if (typeof next !== "object" || Array.isArray(next)) {
      throw new ScenarioError(path, `cannot set: "${key}" is not an object`);
    }
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1] as string] = value;
}

/** Reads, overrides and validates a scenario file. */
export function loadScenario(pathOrName: string, overrides: Record<string, unknown> = {}): Scenario {
  const file = resolveScenarioPath(pathOrName);
  const doc = parseScenarioText(readFileSync(file, "utf8"), file);
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw new ScenarioError("", "a scenario must be a mapping of fields", file);
  }
  for (const [path, value] of Object.entries(overrides)) setPath(doc as Record<string, unknown>, path, value);
  return parseScenario(doc, VOCABULARY, basename(file));
}

/** Validates an in-memory scenario document (tests, sweeps). */
export function scenarioFromObject(doc: unknown, overrides: Record<string, unknown> = {}): Scenario {
  const copy = structuredClone(doc) as Record<string, unknown>;
  for (const [path, value] of Object.entries(overrides)) setPath(copy, path, value);
  return parseScenario(copy, VOCABULARY);
}

/** Parses a CLI `--set key=value` value: numbers and booleans as such, JSON when it looks like JSON. */
export function parseSetValue(raw: string): unknown {
  if (raw === "true") return true;
  if (raw === "false") return false;
  if (raw !== "" && !Number.isNaN(Number(raw))) return Number(raw);
  if (raw.startsWith("[") || raw.startsWith("{")) {
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  return raw;
}
