import { describe, type Json, type Reader } from "./reader.ts";
import type { CheckerStrategy, ProviderStrategy, Vocabulary } from "./schema.ts";

function targetList(r: Reader, path: string, v: Json, providerGroups: string[]): string[] {
  return r.stringList(path, v, [], [...providerGroups, "honest"]);
}

export function parseCheckerStrategy(
  r: Reader,
  path: string,
  v: Json,
  providerGroups: string[],
): CheckerStrategy {
  const o = r.object(path, v, ["lazy", "lie", "bribable", "aggregator"]);
  const out: CheckerStrategy = {};
  if (o.lazy !== undefined) out.lazy = r.oneOf(`${path}.lazy`, o.lazy, ["pass", "copy"] as const, undefined);
  if (o.lie !== undefined) {
    const l = r.object(`${path}.lie`, o.lie, ["say", "targets"]);
    if (l.targets === undefined)
      r.fail(`${path}.lie.targets`, "is required (the provider groups to lie about)");
    out.lie = {
      say: r.oneOf(`${path}.lie.say`, l.say, ["fail", "pass"] as const, undefined),
      targets: targetList(r, `${path}.lie.targets`, l.targets, providerGroups),
    };
  }
  if (o.bribable !== undefined) {
    if (typeof o.bribable !== "boolean")
      r.fail(`${path}.bribable`, `must be true or false, got ${describe(o.bribable)}`);
    out.bribable = o.bribable;
  }
  if (o.aggregator !== undefined) {
    const a = r.object(`${path}.aggregator`, o.aggregator, ["censor", "offline"]);
    const agg: NonNullable<CheckerStrategy["aggregator"]> = {};
    if (a.censor !== undefined) {
      const cz = r.object(`${path}.aggregator.censor`, a.censor, ["drop", "targets"]);
      agg.censor = {
        drop: r.oneOf(`${path}.aggregator.censor.drop`, cz.drop, ["fail", "pass", "all"] as const, undefined),
      };
      if (cz.targets !== undefined) {
        agg.censor.targets = targetList(r, `${path}.aggregator.censor.targets`, cz.targets, providerGroups);
      }
    }
    if (a.offline !== undefined)
      agg.offline = r.probability(`${path}.aggregator.offline`, a.offline, undefined);
    out.aggregator = agg;
  }
  if (out.lazy && out.lie) r.fail(path, "a checker is either lazy or a liar; split them into two groups");
  return out;
}

export function parseProviderStrategy(
  r: Reader,
  path: string,
  v: Json,
  vocabulary: Vocabulary,
): ProviderStrategy {
  const o = r.object(path, v, [
    "failRate",
    "actualGpu",
    "proxy",
    "ghost",
    "watched",
    "uptime",
    "meanOutageEpochs",
    "contest",
    "cheatRate",
    "wrongRows",
    "bribe",
  ]);
  const out: ProviderStrategy = {};
  if (o.failRate !== undefined) out.failRate = r.probability(`${path}.failRate`, o.failRate, undefined);
  if (o.actualGpu !== undefined) {
    out.actualGpu = r.stringList(`${path}.actualGpu`, o.actualGpu, [], vocabulary.gpus)[0] as string;
  }
  if (o.proxy !== undefined) {
    const px = r.object(`${path}.proxy`, o.proxy, ["mode", "actualRegion"]);
    out.proxy = {
      mode: r.oneOf(`${path}.proxy.mode`, px.mode, ["relay", "spoof"] as const, undefined),
      actualRegion: r.stringList(
        `${path}.proxy.actualRegion`,
        px.actualRegion ?? null,
        [""],
        vocabulary.regions,
      )[0] as string,
    };
    if (out.proxy.actualRegion === "") r.fail(`${path}.proxy.actualRegion`, "is required");
  }
  for (const flag of ["ghost", "watched"] as const) {
    if (o[flag] !== undefined) {
      if (typeof o[flag] !== "boolean")
        r.fail(`${path}.${flag}`, `must be true or false, got ${describe(o[flag])}`);
      out[flag] = o[flag] as boolean;
    }
  }
  if (o.uptime !== undefined) out.uptime = r.probability(`${path}.uptime`, o.uptime, undefined);
  if (o.meanOutageEpochs !== undefined) {
    out.meanOutageEpochs = r.number(`${path}.meanOutageEpochs`, o.meanOutageEpochs, undefined, { min: 1 });
  }
  if (o.contest !== undefined) {
    out.contest = r.oneOf(
      `${path}.contest`,
      o.contest,
      ["never", "whenHonest", "always"] as const,
      undefined,
    );
  }
  if (o.cheatRate !== undefined) out.cheatRate = r.probability(`${path}.cheatRate`, o.cheatRate, undefined);
  if (o.wrongRows !== undefined) out.wrongRows = r.probability(`${path}.wrongRows`, o.wrongRows, undefined);
  if (o.bribe !== undefined) {
    const b = r.object(`${path}.bribe`, o.bribe, ["fraction", "tokensPerCheckerEpoch", "budgetPerEpoch"]);
    out.bribe = {
      fraction: r.probability(`${path}.bribe.fraction`, b.fraction, undefined),
      tokensPerCheckerEpoch: r.number(`${path}.bribe.tokensPerCheckerEpoch`, b.tokensPerCheckerEpoch, 0, {
        min: 0,
      }),
    };
    if (b.budgetPerEpoch !== undefined)
      out.bribe.budgetPerEpoch = r.number(`${path}.bribe.budgetPerEpoch`, b.budgetPerEpoch, 0, { min: 0 });
  }
  return out;
}
