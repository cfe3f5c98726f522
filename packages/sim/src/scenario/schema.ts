import { SimError } from "../errors.ts";
/**
 * The scenario file format (YAML or JSON) and its validator. Every field has a
 * default so a scenario states only what it is about; every error names the
 * field by its path (`providerGroups[1].strategy.failRate`) and says what was
 * expected and what was found.
 */

export const SimMode = { MODELED: "modeled", REAL: "real" } as const;
export type SimMode = (typeof SimMode)[keyof typeof SimMode];

/** Licenses per checker node: a fixed number or a uniform integer range. */
export type LicenseSpec = number | { min: number; max: number };

export interface CheckerStrategy {
  /** Never runs the challenge: attests "pass" blindly, or copies the committee majority it has seen. */
  lazy?: "pass" | "copy";
  /** Colludes: attests `say` about the providers of the `targets` groups, whatever the challenge showed. */
  lie?: { say: "fail" | "pass"; targets: string[] };
  /** Takes bribes from providers that offer them (see ProviderStrategy.bribe). */
  bribable?: boolean;
  /** Misbehaves when it is the epoch's leading aggregator. */
  aggregator?: {
    /** Drops attestations from the report: those saying `drop` about the `targets` groups (all providers when absent). */
    censor?: { drop: "fail" | "pass" | "all"; targets?: string[] };
    /** Probability of being offline when its turn comes (backups step in after a timeout). */
    offline?: number;
  };
}

export interface ProviderStrategy {
  /** Fails this fraction of the challenges it receives. */
  failRate?: number;
  /** Actually runs this (slower) GPU class while claiming `gpu`. */
  actualGpu?: string;
  /** Not where it claims: relays from the claimed region to a machine elsewhere, or spoofs the claim outright. */
  proxy?: { mode: "relay" | "spoof"; actualRegion: string };
  /** Answers pings from a cheap host but has no GPU behind it. */
  ghost?: boolean;
  /** Cheats (diverts the GPU) in epochs it believes nobody checks it; behaves when it believes it is watched. */
  watched?: boolean;
  /** Fraction of epochs online; outages last `meanOutageEpochs` on average. */
  uptime?: number;
  meanOutageEpochs?: number;
  /** Which pending slashes it contests: never, only when it was honest (default), or always (griefing). */
  contest?: "never" | "whenHonest" | "always";
  /** Skips the honest work with this probability per epoch, saving `economics.providerWorkCost`, and fails if checked. */
  cheatRate?: number;
  /** Offers bribes to checkers for "pass" attestations. */
  bribe?: { fraction: number; tokensPerCheckerEpoch: number };
}

export interface CheckerGroup {
  name: string;
  /** Number of checker nodes, or `fraction` of `checkers.count`. */
  count: number;
  licenses: LicenseSpec;
  regions: string[];
  /** All members share one /24 (a Sybil). Absent: each node gets its own subnet. */
  subnet: string | undefined;
  /** Groups with the same actor are one economic agent in the profit table. */
  actor: string;
  strategy: CheckerStrategy;
}

export interface ProviderGroup {
  name: string;
  count: number;
  gpu: string[];
  regions: string[];
  stakeTokens: number;
  actor: string;
  strategy: ProviderStrategy;
}

export interface Expectation {
  /** Dotted path into the run summary, e.g. `totals.falseSlashesExecuted` or `groups.lazy.rewardPerLicense`. */
  that: string;
  is: "<" | "<=" | "==" | ">=" | ">" | "!=" | "~=";
  /** A number or another summary path. */
  than: number | string;
  /** Relative tolerance for `~=`. */
  within: number;
  because: string;
}

export interface Scenario {
  name: string;
  description: string;
  seed: string;
  epochs: number;
  mode: SimMode;
  checkers: { count: number; licenses: LicenseSpec; regions: string[] };
  providers: { count: number; gpu: string[]; regions: string[]; stakeTokens: number };
  network: {
    /** Ratio of real RTT to the speed-of-light bound over fibre, drawn per (checker, provider) path. */
    pathInflation: [number, number];
    /** Per-measurement jitter (ms, standard deviation) and fixed processing time (ms). */
    jitterMs: number;
    processingMs: number;
    /** Probability that one challenge run times out (lost packets, stalled stream). */
    challengeLoss: number;
    /** Probability that one attestation never reaches the aggregator. */
    gossipLoss: number;
  };
  sampling: {
    /** Probability that a provider-epoch gets a committee at all (1 = the protocol as specified). */
    rate: number;
    /** private = the protocol (VRF tickets); public = the counterfactual where providers can compute committees. */
    sortition: "private" | "public";
  };
  economics: {
    /** What one challenge run costs a checker (tokens): what a lazy checker saves. */
    checkerCostPerChallenge: number;
    /** What a provider's honest work costs per epoch (tokens): what a cheater saves. */
    providerWorkCost: number;
    /** What the contract takes from each accuser when a contest overturns a slash (tokens; resolveContest names them). */
    falseAccusationPenalty: number;
  };
  /** ProtocolParams overrides; token amounts (epochRewardPool, contestBond) in whole tokens. */
  params: Record<string, number>;
  checkerGroups: CheckerGroup[];
  providerGroups: ProviderGroup[];
  expect: Expectation[];
}

export class ScenarioError extends SimError {
  override name = "ScenarioError";
  readonly path: string;
  readonly file: string | undefined;
  constructor(path: string, message: string, file?: string) {
    super(`${file ? `${file}: ` : ""}${path ? `${path}: ` : ""}${message}`);
    this.path = path;
    this.file = file;
  }
}

/** Parameters the scenario may override, and whether they are token amounts (bigint in ProtocolParams). */
export const OVERRIDABLE_PARAMS: Record<string, "int" | "bps" | "tokens"> = {
  committeeSize: "int",
  reportCommitteeSize: "int",
  reportQuorumBps: "bps",
  minAttestations: "int",
  failureQuorumBps: "bps",
  aggregatorBackups: "int",
  epochRewardPool: "tokens",
  providerShareBps: "bps",
  slashBps: "bps",
  contestWindowEpochs: "int",
  contestBond: "tokens",
  recheckCommitteeMultiplier: "int",
  recheckDeadlineEpochs: "int",
  matmulSize: "int",
  matmulShareBps: "bps",
  pingCount: "int",
  latencyMaxLostBps: "bps",
  latencyMaxP95Us: "int",
  scoreLatencyTargetUs: "int",
  scoreLatencyWeightBps: "bps",
  vramWalkSteps: "int",
  vramBlockSize: "int",
  vramSampledBlocks: "int",
  matmulSampledRows: "int",
};

type Json = unknown;

function describe(v: Json): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  if (typeof v === "string") return `"${v}"`;
  return String(v);
}

/** Walks a parsed document, collecting defaults and throwing ScenarioError at the first bad field. */
class Reader {
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

export interface Vocabulary {
  regions: readonly string[];
  gpus: readonly string[];
}

/**
 * Validates a parsed scenario document and fills in defaults. `vocabulary`
 * holds the region and GPU-class names of the protocol's tables, so a typo in
 * a region is caught here rather than deep inside a run.
 */
export function parseScenario(doc: Json, vocabulary: Vocabulary, file?: string): Scenario {
  const r = new Reader(file);
  const top = r.object("", doc, [
    "name",
    "description",
    "seed",
    "epochs",
    "mode",
    "checkers",
    "providers",
    "network",
    "sampling",
    "economics",
    "params",
    "checkerGroups",
    "providerGroups",
    "expect",
  ]);
  if (doc === undefined || doc === null) r.fail("", "the scenario is empty");

  const name = r.string("name", top.name, undefined);
  const description = r.string("description", top.description, name);
  const seedRaw = top.seed ?? 1;
  if (typeof seedRaw !== "string" && typeof seedRaw !== "number") {
    r.fail("seed", `must be a number or a string, got ${describe(seedRaw)}`);
  }
  const mode = r.oneOf("mode", top.mode, [SimMode.MODELED, SimMode.REAL], SimMode.MODELED);
  const epochs = r.number("epochs", top.epochs, 20, { min: 1, max: 100_000, int: true });

  const c = r.object("checkers", top.checkers, ["count", "licenses", "regions"]);
  const checkers = {
    count: r.number("checkers.count", c.count, 100, { min: 1, max: 10_000_000, int: true }),
    licenses: r.licenses("checkers.licenses", c.licenses, 1),
    regions: r.stringList("checkers.regions", c.regions, [...vocabulary.regions], vocabulary.regions),
  };
  const p = r.object("providers", top.providers, ["count", "gpu", "regions", "stakeTokens"]);
  const providers = {
    count: r.number("providers.count", p.count, 50, { min: 1, max: 10_000_000, int: true }),
    gpu: r.stringList("providers.gpu", p.gpu, [...vocabulary.gpus], vocabulary.gpus),
    regions: r.stringList("providers.regions", p.regions, [...vocabulary.regions], vocabulary.regions),
    stakeTokens: r.number("providers.stakeTokens", p.stakeTokens, 10_000, { min: 0 }),
  };

  if (mode === SimMode.REAL) {
    if (checkers.count > 50)
      r.fail("checkers.count", `the real-signature mode runs at most 50 checkers, got ${checkers.count}`);
    if (providers.count > 10)
      r.fail("providers.count", `the real-signature mode runs at most 10 providers, got ${providers.count}`);
    if (epochs > 20) r.fail("epochs", `the real-signature mode runs at most 20 epochs, got ${epochs}`);
  }

  const n = r.object("network", top.network, [
    "pathInflation",
    "jitterMs",
    "processingMs",
    "challengeLoss",
    "gossipLoss",
  ]);
  let pathInflation: [number, number] = [1.3, 2.2];
  if (n.pathInflation !== undefined) {
    const pi = n.pathInflation as unknown[];
    if (!Array.isArray(pi) || pi.length !== 2)
      r.fail("network.pathInflation", `must be a list [min, max], got ${describe(pi)}`);
    const lo = r.number("network.pathInflation[0]", pi[0], undefined, { min: 1, max: 20 });
    const hi = r.number("network.pathInflation[1]", pi[1], undefined, { min: lo, max: 20 });
    pathInflation = [lo, hi];
  }
  const network = {
    pathInflation,
    jitterMs: r.number("network.jitterMs", n.jitterMs, 1.5, { min: 0, max: 10_000 }),
    processingMs: r.number("network.processingMs", n.processingMs, 0.5, { min: 0, max: 10_000 }),
    challengeLoss: r.probability("network.challengeLoss", n.challengeLoss, 0.01),
    gossipLoss: r.probability("network.gossipLoss", n.gossipLoss, 0.005),
  };

  const s = r.object("sampling", top.sampling, ["rate", "sortition"]);
  const sampling = {
    rate: r.number("sampling.rate", s.rate, 1, { min: 0.0001, max: 1 }),
    sortition: r.oneOf("sampling.sortition", s.sortition, ["private", "public"] as const, "private"),
  };

  const e = r.object("economics", top.economics, [
    "checkerCostPerChallenge",
    "providerWorkCost",
    "falseAccusationPenalty",
  ]);
  const economics = {
    checkerCostPerChallenge: r.number("economics.checkerCostPerChallenge", e.checkerCostPerChallenge, 0.01, {
      min: 0,
    }),
    providerWorkCost: r.number("economics.providerWorkCost", e.providerWorkCost, 0.5, { min: 0 }),
    falseAccusationPenalty: r.number("economics.falseAccusationPenalty", e.falseAccusationPenalty, 10, {
      min: 0,
    }),
  };

  const pr = r.object("params", top.params, Object.keys(OVERRIDABLE_PARAMS));
  const params: Record<string, number> = {};
  for (const [key, value] of Object.entries(pr)) {
    const kind = OVERRIDABLE_PARAMS[key];
    const path = `params.${key}`;
    if (kind === "bps") params[key] = r.number(path, value, undefined, { min: 0, max: 10_000, int: true });
    else if (kind === "int")
      params[key] = r.number(path, value, undefined, { min: 0, max: 1_000_000, int: true });
    else params[key] = r.number(path, value, undefined, { min: 0, max: 1e15 });
  }
  if ((params.committeeSize ?? 1) < 1) r.fail("params.committeeSize", "must be at least 1");

  const providerGroups = parseProviderGroups(r, top.providerGroups, providers, vocabulary);
  const providerGroupNames = providerGroups.map((g) => g.name);
  const checkerGroups = parseCheckerGroups(r, top.checkerGroups, checkers, vocabulary, providerGroupNames);

  const expect = parseExpectations(r, top.expect);

  return {
    name,
    description,
    seed: String(seedRaw),
    epochs,
    mode,
    checkers,
    providers,
    network,
    sampling,
    economics,
    params,
    checkerGroups,
    providerGroups,
    expect,
  };
}

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

function parseCheckerGroups(
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

function targetList(r: Reader, path: string, v: Json, providerGroups: string[]): string[] {
  return r.stringList(path, v, [], [...providerGroups, "honest"]);
}

function parseCheckerStrategy(r: Reader, path: string, v: Json, providerGroups: string[]): CheckerStrategy {
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

function parseProviderGroups(
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

function parseProviderStrategy(r: Reader, path: string, v: Json, vocabulary: Vocabulary): ProviderStrategy {
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
  if (o.bribe !== undefined) {
    const b = r.object(`${path}.bribe`, o.bribe, ["fraction", "tokensPerCheckerEpoch"]);
    out.bribe = {
      fraction: r.probability(`${path}.bribe.fraction`, b.fraction, undefined),
      tokensPerCheckerEpoch: r.number(`${path}.bribe.tokensPerCheckerEpoch`, b.tokensPerCheckerEpoch, 0, {
        min: 0,
      }),
    };
  }
  return out;
}

const OPS = ["<", "<=", "==", ">=", ">", "!=", "~="] as const;

function parseExpectations(r: Reader, v: Json): Expectation[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) r.fail("expect", `must be a list, got ${describe(v)}`);
  return v.map((raw, i) => {
    const path = `expect[${i}]`;
    const o = r.object(path, raw, ["that", "is", "than", "within", "because"]);
    const than = o.than;
    if (typeof than !== "number" && typeof than !== "string") {
      r.fail(`${path}.than`, `must be a number or a summary path, got ${describe(than)}`);
    }
    return {
      that: r.string(`${path}.that`, o.that, undefined),
      is: r.oneOf(`${path}.is`, o.is, OPS, undefined),
      than,
      within: r.number(`${path}.within`, o.within, 0.1, { min: 0 }),
      because: r.string(`${path}.because`, o.because, ""),
    };
  });
}
