import { type LicenseSpec, ScenarioError } from "./schema.ts";

export type Json = unknown;

export function describe(v: Json): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  if (typeof v === "string") return `"${v}"`;
  return String(v);
}

/** Walks a parsed document, collecting defaults and throwing ScenarioError at the first bad field. */
export class Reader {
  readonly file: string | undefined;
  constructor(file: string | undefined) {
    this.file = file;
  }

  fail(path: string, message: string): never {
    throw new ScenarioError(path, message, this.file);
  }

  object(path: string, v: Json, known: readonly string[]): Record<string, Json> {
    if (v === undefined || v === null) return {};
    if (typeof v !== "object" || Array.isArray(v)) this.fail(path, `must be an object, got ${describe(v)}`);
    const rec = v as Record<string, Json>;
    for (const key of Object.keys(rec)) {
      if (!known.includes(key)) {
        this.fail(path ? `${path}.${key}` : key, `unknown field; known fields here: ${known.join(", ")}`);
      }
    }
    return rec;
  }

  number(
    path: string,
    v: Json,
    def: number | undefined,
    opts: { min?: number; max?: number; int?: boolean } = {},
  ): number {
    if (v === undefined || v === null) {
      if (def === undefined) this.fail(path, "is required");
      return def;
    }
    if (typeof v !== "number" || !Number.isFinite(v)) this.fail(path, `must be a number, got ${describe(v)}`);
    if (opts.int && !Number.isInteger(v)) this.fail(path, `must be a whole number, got ${v}`);
    const { min, max } = opts;
    if ((min !== undefined && v < min) || (max !== undefined && v > max)) {
      const range = `${min ?? "-∞"}, ${max ?? "∞"}`;
      this.fail(path, `must be in [${range}], got ${v}`);
    }
    return v;
  }

  probability(path: string, v: Json, def: number | undefined): number {
    return this.number(path, v, def, { min: 0, max: 1 });
  }

  string(path: string, v: Json, def: string | undefined): string {
    if (v === undefined || v === null) {
      if (def === undefined) this.fail(path, "is required");
      return def;
    }
    if (typeof v !== "string" || v.length === 0)
      this.fail(path, `must be a non-empty string, got ${describe(v)}`);
    return v;
  }

  oneOf<T extends string>(path: string, v: Json, options: readonly T[], def: T | undefined): T {
    const s = this.string(path, v, def);
    if (!options.includes(s as T)) this.fail(path, `must be one of ${options.join(", ")}, got "${s}"`);
    return s as T;
  }

  stringList(path: string, v: Json, def: string[], allowed?: readonly string[]): string[] {
    if (v === undefined || v === null) return [...def];
    const list = typeof v === "string" ? [v] : v;
    if (!Array.isArray(list)) this.fail(path, `must be a string or a list of strings, got ${describe(v)}`);
    if (list.length === 0) this.fail(path, "must not be empty");
    return list.map((item, i) => {
      const s = this.string(`${path}[${i}]`, item, undefined);
      if (allowed && !allowed.includes(s))
        this.fail(`${path}[${i}]`, `unknown name "${s}"; known: ${allowed.join(", ")}`);
      return s;
    });
  }

  licenses(path: string, v: Json, def: LicenseSpec): LicenseSpec {
    if (v === undefined || v === null) return def;
    if (typeof v === "number") return this.number(path, v, undefined, { min: 1, max: 1_000_000, int: true });
    const o = this.object(path, v, ["min", "max"]);
    const min = this.number(`${path}.min`, o.min, undefined, { min: 1, max: 1_000_000, int: true });
    const max = this.number(`${path}.max`, o.max, undefined, { min, max: 1_000_000, int: true });
    return { min, max };
  }
}
