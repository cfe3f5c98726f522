import { SimError } from "../errors.ts";
/**
 * The scenario file format (YAML or JSON): its types, the parameters it may
 * override and its error. The validator is `parse.ts` (top-level sections),
 * `groups.ts` and `strategies.ts` over the field reader of `reader.ts`. Every
 * field has a default so a scenario states only what it is about; every error
 * names the field by its path (`providerGroups[1].strategy.failRate`) and says
 * what was expected and what was found.
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
  /**
   * Computes this fraction of the rows of C wrongly in every matmul (and commits and signs them), saving that
   * share of `economics.providerWorkCost`; VRAM walks and pings stay honest. ⌈wrongRows · n⌉ rows are wrong
   * and a checker's run catches them with the protocol's `detectionProbability` at the params' shape
   * (engine/fraud.ts: about 1 − (1 − wrongRows)^matmulSampledRows).
   */
  wrongRows?: number;
  /**
   * Offers bribes to checkers for "pass" attestations, spending at most `budgetPerEpoch` tokens an epoch
   * (absent: no limit). Under private sortition the budget caps the share of bribable checkers it pays;
   * under public sortition it pays its seated bribable members in seat order until the budget is spent.
   */
  bribe?: { fraction: number; tokensPerCheckerEpoch: number; budgetPerEpoch?: number };
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
  /**
   * Matmul fraud proofs (docs/protocol/fraud-proofs.md): a checker whose honest run opens a wrong row of a
   * signed commitment submits the proof to FraudProofs, which slashes the provider at once (no vote, no
   * contest), once per provider and epoch, and pays `bountyBps` of the slash to that checker. Off: wrong
   * rows are FAIL attestations that go to the vote only (the protocol before issue 11).
   */
  fraudProofs: {
    enabled: boolean;
    /** FraudProofs' fraudSlashBps; null = params.slashBps (the deploy default, CONTRACT_DEFAULTS). */
    slashBps: number | null;
    /** FraudProofs' fraudBountyBps (deploy default 5000). */
    bountyBps: number;
  };
  checkerGroups: CheckerGroup[];
  providerGroups: ProviderGroup[];
  expect: Expectation[];
}

/**
 * FraudProofs' bounty when a scenario names none: `CONTRACT_DEFAULTS.fraudBountyBps` of
 * packages/contracts/src/deploy.ts (the simulator may not import the contracts package). Its slash,
 * `fraudSlashBps`, defaults there to params.slashBps, and here too.
 */
export const DEFAULT_FRAUD_BOUNTY_BPS = 5_000;

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

export interface Vocabulary {
  regions: readonly string[];
  gpus: readonly string[];
}
