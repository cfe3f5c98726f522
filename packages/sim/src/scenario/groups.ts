import { describe, type Json, type Reader } from "./reader.ts";
import type { CheckerGroup, ProviderGroup, Scenario, Vocabulary } from "./schema.ts";
import { parseCheckerStrategy, parseProviderStrategy } from "./strategies.ts";

/** Resolves `count` or `fraction` of a group and checks the groups fit in the population. */
function groupCount(r: Reader, path: string, g: Record<string, Json>, total: number): number {
  if (g.count !== undefined && g.fraction !== undefined)
    r.fail(path, "give either count or fraction, not both");
  if (g.fraction !== undefined) {
    const f = r.probability(`${path}.fraction`, g.fraction, undefined);
    return Math.round(f * total);
  }
  return r.number(`${path}.count`, g.count, undefined, { min: 0, max: total, int: true });
}

interface GroupKind<G> {
  /** `checker` or `provider`: the list is `<kind>Groups`, the population `<kind>s.count`. */
  kind: "checker" | "provider";
  /** Fields a group may have besides name, count, fraction. */
  fields: string[];
  total: number;
  /** The rest of group `name` at `path` once name and count are valid. */
  read(path: string, g: Record<string, Json>, name: string, count: number): G;
  /** The default group of the remaining members. */
  honest(remaining: number): G;
}

/**
 * The groups of one population: each with a unique name and a count that
 * keeps the sum within the population, then the default group "honest" of
 * the remaining members.
 */
function parseGroups<G extends { name: string }>(r: Reader, v: Json, spec: GroupKind<G>): G[] {
  const { kind, total } = spec;
  if (v !== undefined && v !== null && !Array.isArray(v))
    r.fail(`${kind}Groups`, `must be a list, got ${describe(v)}`);
  const list = (v ?? []) as Json[];
  const groups: G[] = [];
  let used = 0;
  list.forEach((raw, i) => {
    const path = `${kind}Groups[${i}]`;
    const g = r.object(path, raw, ["name", "count", "fraction", ...spec.fields]);
    const name = r.string(`${path}.name`, g.name, undefined);
    if (name === "honest")
      r.fail(`${path}.name`, `"honest" is the name of the default group (the remaining ${kind}s)`);
    if (groups.some((x) => x.name === name)) r.fail(`${path}.name`, `duplicate group name "${name}"`);
    const count = groupCount(r, path, g, total);
    used += count;
    if (used > total)
      r.fail(`${path}.count`, `the ${kind} groups add up to ${used}, more than ${kind}s.count (${total})`);
    groups.push(spec.read(path, g, name, count));
  });
  groups.push(spec.honest(total - used));
  return groups;
}

export function parseCheckerGroups(
  r: Reader,
  v: Json,
  base: Scenario["checkers"],
  vocabulary: Vocabulary,
  providerGroups: string[],
): CheckerGroup[] {
  return parseGroups<CheckerGroup>(r, v, {
    kind: "checker",
    fields: ["licenses", "regions", "subnet", "actor", "strategy"],
    total: base.count,
    read(path, g, name, count) {
      const subnet = g.subnet === undefined ? undefined : r.string(`${path}.subnet`, g.subnet, undefined);
      if (subnet !== undefined && !/^\d{1,3}\.\d{1,3}\.\d{1,3}\.0\/24$/.test(subnet)) {
        r.fail(`${path}.subnet`, `must be a /24 like "203.0.113.0/24", got "${subnet}"`);
      }
      return {
        name,
        count,
        licenses: r.licenses(`${path}.licenses`, g.licenses, base.licenses),
        regions: r.stringList(`${path}.regions`, g.regions, base.regions, vocabulary.regions),
        subnet,
        actor: r.string(`${path}.actor`, g.actor, name),
        strategy: parseCheckerStrategy(r, `${path}.strategy`, g.strategy, providerGroups),
      };
    },
    honest: (count) => ({
      name: "honest",
      count,
      licenses: base.licenses,
      regions: base.regions,
      subnet: undefined,
      actor: "honest",
      strategy: {},
    }),
  });
}

export function parseProviderGroups(
  r: Reader,
  v: Json,
  base: Scenario["providers"],
  vocabulary: Vocabulary,
): ProviderGroup[] {
  return parseGroups<ProviderGroup>(r, v, {
    kind: "provider",
    fields: ["gpu", "regions", "stakeTokens", "actor", "strategy"],
    total: base.count,
    read(path, g, name, count) {
      const gpu = r.stringList(`${path}.gpu`, g.gpu, base.gpu, vocabulary.gpus);
      const strategy = parseProviderStrategy(r, `${path}.strategy`, g.strategy, vocabulary);
      return {
        name,
        count,
        gpu,
        regions: r.stringList(`${path}.regions`, g.regions, base.regions, vocabulary.regions),
        stakeTokens: r.number(`${path}.stakeTokens`, g.stakeTokens, base.stakeTokens, { min: 0 }),
        actor: r.string(`${path}.actor`, g.actor, name),
        strategy,
      };
    },
    honest: (count) => ({
      name: "honest",
      count,
      gpu: base.gpu,
      regions: base.regions,
      stakeTokens: base.stakeTokens,
      actor: "honest",
      strategy: {},
    }),
  });
}
