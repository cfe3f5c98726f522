import { getAddress } from "viem";
import { Prng } from "./prng.ts";
import { gpuClass, type ProtocolParams, REGIONS, scenarioParams, tokensToWei } from "./protocol.ts";
import {
  type CheckerGroup,
  type LicenseSpec,
  OVERRIDABLE_PARAMS,
  type ProviderGroup,
  type Scenario,
} from "./scenario/schema.ts";

/**
 * The population of a run, built once from the scenario: struct-of-arrays so
 * 10,000 checkers and 10,000 providers cost a few typed arrays, not 20,000
 * objects on the hot path.
 */
export interface World {
  scenario: Scenario;
  params: ProtocolParams;
  regionIds: string[];
  checkers: {
    count: number;
    licenses: Int32Array;
    /** Index into regionIds. */
    region: Int16Array;
    group: Int16Array;
    /** Distinct per node, shared within a Sybil group's /24. */
    subnet: Int32Array;
    groups: CheckerGroup[];
    totalLicenses: number;
  };
  providers: {
    count: number;
    group: Int16Array;
    claimedGpu: string[];
    actualGpu: string[];
    claimedRegion: Int16Array;
    /** Where the machine really is (differs from the claim for proxies). */
    actualRegion: Int16Array;
    /** Current stake in 18-decimal units (slashes lower it). */
    stake: bigint[];
    groups: ProviderGroup[];
  };
}

function drawLicenses(rng: Prng, spec: LicenseSpec): number {
  return typeof spec === "number" ? spec : spec.min + rng.int(spec.max - spec.min + 1);
}

export function buildWorld(scenario: Scenario): World {
  const rng = Prng.derive(scenario.seed, "world");
  const tokenFields = Object.entries(OVERRIDABLE_PARAMS)
    .filter(([, kind]) => kind === "tokens")
    .map(([key]) => key);
  const params = scenarioParams(scenario.params, tokenFields);
  const regionIds = REGIONS.map((r) => r.id);
  const regionIndex = (id: string) => regionIds.indexOf(id);

  const nC = scenario.checkers.count;
  const licenses = new Int32Array(nC);
  const cRegion = new Int16Array(nC);
  const cGroup = new Int16Array(nC);
  const subnet = new Int32Array(nC);
  let at = 0;
  let nextSubnet = 0;
  scenario.checkerGroups.forEach((g, gi) => {
    const shared = g.subnet !== undefined ? nextSubnet++ : -1;
    for (let i = 0; i < g.count; i++, at++) {
      licenses[at] = drawLicenses(rng, g.licenses);
      cRegion[at] = regionIndex(rng.pick(g.regions));
      cGroup[at] = gi;
      subnet[at] = shared >= 0 ? shared : nextSubnet++;
    }
  });
  let totalLicenses = 0;
  for (const n of licenses) totalLicenses += n;

  const nP = scenario.providers.count;
  const pGroup = new Int16Array(nP);
  const claimedGpu: string[] = [];
  const actualGpu: string[] = [];
  const claimedRegion = new Int16Array(nP);
  const actualRegion = new Int16Array(nP);
  const stake: bigint[] = [];
  at = 0;
  scenario.providerGroups.forEach((g, gi) => {
    for (let i = 0; i < g.count; i++, at++) {
      pGroup[at] = gi;
      const claimed = rng.pick(g.gpu);
      claimedGpu.push(claimed);
      actualGpu.push(g.strategy.actualGpu ?? claimed);
      const region = regionIndex(rng.pick(g.regions));
      claimedRegion[at] = region;
      actualRegion[at] = g.strategy.proxy ? regionIndex(g.strategy.proxy.actualRegion) : region;
      stake.push(tokensToWei(g.stakeTokens));
    }
  });
  // Fail early on a GPU id the protocol table does not know.
  for (const id of new Set([...claimedGpu, ...actualGpu])) gpuClass(id);

  return {
    scenario,
    params,
    regionIds,
    checkers: {
      count: nC,
      licenses,
      region: cRegion,
      group: cGroup,
      subnet,
      groups: scenario.checkerGroups,
      totalLicenses,
    },
    providers: {
      count: nP,
      group: pGroup,
      claimedGpu,
      actualGpu,
      claimedRegion,
      actualRegion,
      stake,
      groups: scenario.providerGroups,
    },
  };
}

/** Registry addresses: deterministic, distinct, checksummed (0xc0… checkers, 0xa0… providers). */
export function checkerAddress(i: number): `0x${string}` {
  return getAddress(`0xc0${i.toString(16).padStart(38, "0")}`);
}

export function providerAddress(i: number): `0x${string}` {
  return getAddress(`0xa0${i.toString(16).padStart(38, "0")}`);
}
