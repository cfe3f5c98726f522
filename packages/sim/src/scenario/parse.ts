import { parseCheckerGroups, parseProviderGroups } from "./groups.ts";
import { describe, type Json, Reader } from "./reader.ts";
import {
  DEFAULT_FRAUD_BOUNTY_BPS,
  type Expectation,
  OVERRIDABLE_PARAMS,
  type Scenario,
  SimMode,
  type Vocabulary,
} from "./schema.ts";

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
    "fraudProofs",
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

  const fraudProofs = parseFraudProofs(r, top.fraudProofs);

  const providerGroups = parseProviderGroups(r, top.providerGroups, providers, vocabulary);
  if (mode === SimMode.REAL) {
    providerGroups.forEach((g, i) => {
      if (g.strategy.wrongRows !== undefined)
        r.fail(
          `providerGroups[${i}].strategy.wrongRows`,
          "is modelled only; the real-signature mode does not run it",
        );
    });
  }
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
    fraudProofs,
    checkerGroups,
    providerGroups,
    expect,
  };
}

/** Fraud proofs on (the protocol since issue 11) unless `fraudProofs: false` or `{ enabled: false }`. */
function parseFraudProofs(r: Reader, v: Json): Scenario["fraudProofs"] {
  if (typeof v === "boolean") return { enabled: v, slashBps: null, bountyBps: DEFAULT_FRAUD_BOUNTY_BPS };
  const f = r.object("fraudProofs", v, ["enabled", "slashBps", "bountyBps"]);
  if (f.enabled !== undefined && typeof f.enabled !== "boolean")
    r.fail("fraudProofs.enabled", `must be true or false, got ${describe(f.enabled)}`);
  const bps = { min: 0, max: 10_000, int: true };
  return {
    enabled: (f.enabled as boolean | undefined) ?? true,
    slashBps:
      f.slashBps === undefined || f.slashBps === null
        ? null
        : r.number("fraudProofs.slashBps", f.slashBps, undefined, { ...bps, min: 1 }),
    bountyBps: r.number("fraudProofs.bountyBps", f.bountyBps, DEFAULT_FRAUD_BOUNTY_BPS, bps),
  };
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
