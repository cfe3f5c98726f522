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

export function parseCheckerGroups(
  r: Reader,
  v: Json,
  base: Scenario["checkers"],
  vocabulary: Vocabulary,
  providerGroups: string[],
): CheckerGroup[] {
  if (v !== undefined && v !== null && !Array.isArray(v))
    r.fail("checkerGroups", `must be a list, got ${describe(v)}`);
  const list = (v ?? []) as Json[];
  const groups: CheckerGroup[] = [];
  let used = 0;
  list.forEach((raw, i) => {
    const path = `checkerGroups[${i}]`;
    const g = r.object(path, raw, [
      "name",
      "count",
      "fraction",
      "licenses",
      "regions",
      "subnet",
      "actor",
      "strategy",
    ]);
    const name = r.string(`${path}.name`, g.name, undefined);
    if (name === "honest")
      r.fail(`${path}.name`, `"honest" is the name of the default group (the remaining checkers)`);
    if (groups.some((x) => x.name === name)) r.fail(`${path}.name`, `duplicate group name "${name}"`);
    const count = groupCount(r, path, g, base.count);
    used += count;
    if (used > base.count)
      r.fail(
        `${path}.count`,
        `the checker groups add up to ${used}, more than checkers.count (${base.count})`,
      );
    const subnet = g.subnet === undefined ? undefined : r.string(`${path}.subnet`, g.subnet, undefined);
    if (subnet !== undefined && !/^\d{1,3}\.\d{1,3}\.\d{1,3}\.0\/24$/.test(subnet)) {
      r.fail(`${path}.subnet`, `must be a /24 like "203.0.113.0/24", got "${subnet}"`);
    }
    groups.push({
      name,
      count,
      licenses: r.licenses(`${path}.licenses`, g.licenses, base.licenses),
      regions: r.stringList(`${path}.regions`, g.regions, base.regions, vocabulary.regions),
      subnet,
      actor: r.string(`${path}.actor`, g.actor, name),
      strategy: parseCheckerStrategy(r, `${path}.strategy`, g.strategy, providerGroups),
    });
  });
  groups.push({
    name: "honest",
    count: base.count - used,
    licenses: base.licenses,
    regions: base.regions,
    subnet: undefined,
    actor: "honest",
    strategy: {},
  });
  return groups;
}

export function parseProviderGroups(
  r: Reader,
  v: Json,
  base: Scenario["providers"],
  vocabulary: Vocabulary,
): ProviderGroup[] {
  if (v !== undefined && v !== null && !Array.isArray(v))
    r.fail("providerGroups", `must be a list, got ${describe(v)}`);
  const list = (v ?? []) as Json[];
  const groups: ProviderGroup[] = [];
  let used = 0;
  list.forEach((raw, i) => {
    const path = `providerGroups[${i}]`;
    const g = r.object(path, raw, [
      "name",
      "count",
      "fraction",
      "gpu",
      "regions",
      "stakeTokens",
      "actor",
      "strategy",
    ]);
    const name = r.string(`${path}.name`, g.name, undefined);
    if (name === "honest")
      r.fail(`${path}.name`, `"honest" is the name of the default group (the remaining providers)`);
    if (groups.some((x) => x.name === name)) r.fail(`${path}.name`, `duplicate group name "${name}"`);
    const count = groupCount(r, path, g, base.count);
    used += count;
    if (used > base.count)
      r.fail(
        `${path}.count`,
        `the provider groups add up to ${used}, more than providers.count (${base.count})`,
      );
    const gpu = r.stringList(`${path}.gpu`, g.gpu, base.gpu, vocabulary.gpus);
    const strategy = parseProviderStrategy(r, `${path}.strategy`, g.strategy, vocabulary);
    groups.push({
      name,
      count,
      gpu,
      regions: r.stringList(`${path}.regions`, g.regions, base.regions, vocabulary.regions),
      stakeTokens: r.number(`${path}.stakeTokens`, g.stakeTokens, base.stakeTokens, { min: 0 }),
      actor: r.string(`${path}.actor`, g.actor, name),
      strategy,
    });
  });
  groups.push({
    name: "honest",
    count: base.count - used,
    gpu: base.gpu,
    regions: base.regions,
    stakeTokens: base.stakeTokens,
    actor: "honest",
    strategy: {},
  });
  return groups;
}
