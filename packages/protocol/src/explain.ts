import { type Address, getAddress, type Hex, isAddress } from "viem";
import { ProtocolError } from "./errors.ts";
import { Beneficiary, type ResultLeaf, type RewardLeaf } from "./merkle/leaves.ts";
import { buildResultsTree, buildRewardsTree, EMPTY_ROOT } from "./merkle/trees.ts";
import type { ProtocolParams } from "./params.ts";
import { buildReport, type EpochReport, licenseParticipation } from "./scoring/report.ts";
import { computeVerdict, type WeightedAttestation } from "./scoring/verdict.ts";
import { type Attestation, ChallengeKind, type CheckResult, type ReportHeader, Verdict } from "./types.ts";

/**
 * "Why did I earn X": the reward and score math of scoring/report.ts and
 * rewards.ts, re-run from an epoch's published inputs and returned term by
 * term. The inputs are not in the on-chain roots, but they are bound to
 * them: `verifyPublishedReport` rebuilds the report from the inputs and
 * requires the same leaves, and the leaves must hash to the on-chain roots,
 * so a published report that passes explains the chain's numbers exactly.
 */

export const ExplainErrorCode = {
  /** The leaves do not hash to the on-chain roots (or the report never landed). */
  ROOT_MISMATCH: "EXPLAIN_ERROR_ROOT_MISMATCH",
  /** Rebuilding the report from its inputs gives other leaves than the published ones. */
  INPUTS_MISMATCH: "EXPLAIN_ERROR_INPUTS_MISMATCH",
  /** The report carries no inputs, so its numbers cannot be recomputed. */
  NO_INPUTS: "EXPLAIN_ERROR_NO_INPUTS",
  INVALID_INPUT: "EXPLAIN_ERROR_INVALID_INPUT",
  UNKNOWN_PROVIDER: "EXPLAIN_ERROR_UNKNOWN_PROVIDER",
} as const;
export type ExplainErrorCode = (typeof ExplainErrorCode)[keyof typeof ExplainErrorCode];

export class ExplainError extends ProtocolError<ExplainErrorCode> {
  override name = "ExplainError";
}

/** The parameters the report's math reads; published with the inputs so anyone can re-run it. */
export type ReportParams = Pick<
  ProtocolParams,
  | "epochRewardPool"
  | "providerShareBps"
  | "slashBps"
  | "minAttestations"
  | "failureQuorumBps"
  | "scoreLatencyTargetUs"
  | "scoreLatencyWeightBps"
>;

export const REPORT_PARAM_KEYS = [
  "epochRewardPool",
  "providerShareBps",
  "slashBps",
  "minAttestations",
  "failureQuorumBps",
  "scoreLatencyTargetUs",
  "scoreLatencyWeightBps",
] as const satisfies readonly (keyof ReportParams)[];

/** One counted attestation as the verdict and reward math see it (signatures and transcripts stay with the evidence protocol). */
export interface CountedAttestation {
  checker: Address;
  /** Seats the checker holds on this provider's committee. */
  seats: number;
  result: CheckResult;
  latencyP50Us: number;
}

/** Everything buildReport read besides the seed: per-provider attestations and stakes, licenses per operator, parameters. */
export interface ReportInputs {
  providers: { provider: Address; stake: bigint; attestations: CountedAttestation[] }[];
  licensesByChecker: { checker: Address; licenseIds: bigint[] }[];
  params: ReportParams;
}

/** What a checker publishes for an epoch: the header, every leaf, and the inputs they were computed from. */
export interface PublishedReport {
  header: ReportHeader;
  results: ResultLeaf[];
  rewards: RewardLeaf[];
  /** Absent in records written before inputs were kept: the leaves still verify, the terms cannot be recomputed. */
  inputs?: ReportInputs;
}

/** The on-chain anchor: `EpochReports.reportOf(epoch)`. */
export interface OnChainRoots {
  resultsRoot: Hex;
  rewardsRoot: Hex;
}

/** The inputs of buildReport in their published form. */
export function reportInputsOf(
  perProvider: ReadonlyMap<Address, { stake: bigint; attestations: readonly WeightedAttestation[] }>,
  licensesByChecker: ReadonlyMap<Address, readonly bigint[]>,
  params: ReportParams,
): ReportInputs {
  const byAddress = (a: { provider?: Address; checker?: Address }, b: typeof a) =>
    String(a.provider ?? a.checker).toLowerCase() < String(b.provider ?? b.checker).toLowerCase() ? -1 : 1;
  return {
    providers: [...perProvider.entries()]
      .map(([provider, p]) => ({
        provider: getAddress(provider),
        stake: p.stake,
        attestations: p.attestations
          .map(({ attestation: a, seats }) => ({
            checker: getAddress(a.checker),
            seats,
            result: a.result,
            latencyP50Us: a.latencyP50Us,
          }))
          .sort(byAddress),
      }))
      .sort(byAddress),
    licensesByChecker: [...licensesByChecker.entries()]
      .map(([checker, ids]) => ({
        checker: getAddress(checker),
        licenseIds: [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
      }))
      .sort(byAddress),
    params: pickReportParams(params),
  };
}

export function pickReportParams(params: ReportParams): ReportParams {
  return Object.fromEntries(REPORT_PARAM_KEYS.map((k) => [k, params[k]])) as unknown as ReportParams;
}

function weighted(epoch: bigint, provider: Address, a: CountedAttestation): WeightedAttestation {
  // Only epoch, provider, checker, result and p50 enter the verdict; the rest is filler of the right type.
  const attestation: Attestation = {
    epoch,
    provider,
    checker: a.checker,
    kind: ChallengeKind.LATENCY,
    result: a.result,
    latencyP50Us: a.latencyP50Us,
    latencyP95Us: a.latencyP50Us,
    throughput: 0n,
    transcriptHash: EMPTY_ROOT,
  };
  return { attestation, seats: a.seats };
}

function perProviderOf(epoch: bigint, inputs: ReportInputs) {
  return new Map(
    inputs.providers.map((p) => [
      getAddress(p.provider),
      { stake: p.stake, attestations: p.attestations.map((a) => weighted(epoch, p.provider, a)) },
    ]),
  );
}

function licensesMap(inputs: ReportInputs): Map<Address, bigint[]> {
  return new Map(inputs.licensesByChecker.map((l) => [getAddress(l.checker), [...l.licenseIds]]));
}

/** buildReport over the published inputs (with the header's epoch and seed). */
export function recomputeReport(
  header: Pick<ReportHeader, "epoch" | "seed">,
  inputs: ReportInputs,
): EpochReport {
  const perProvider = perProviderOf(header.epoch, inputs);
  return buildReport({
    epoch: header.epoch,
    seed: header.seed,
    perProvider,
    licenseParticipation: licenseParticipation(perProvider, licensesMap(inputs)),
    params: inputs.params as ProtocolParams,
  });
}

/**
 * Checks a published report against the chain: its leaves must hash to the
 * on-chain roots, and, when it carries inputs, rebuilding the report from
 * them must give the same header. Returns normally when everything matches.
 *
 * @throws ExplainError ROOT_MISMATCH, INPUTS_MISMATCH (naming the field)
 */
export function verifyPublishedReport(report: PublishedReport, onChain: OnChainRoots): void {
  const resultsRoot = report.results.length > 0 ? (buildResultsTree(report.results).root as Hex) : EMPTY_ROOT;
  const rewardsRoot = report.rewards.length > 0 ? (buildRewardsTree(report.rewards).root as Hex) : EMPTY_ROOT;
  for (const [field, mine, chain] of [
    ["resultsRoot", resultsRoot, onChain.resultsRoot],
    ["rewardsRoot", rewardsRoot, onChain.rewardsRoot],
    ["header.resultsRoot", report.header.resultsRoot, onChain.resultsRoot],
    ["header.rewardsRoot", report.header.rewardsRoot, onChain.rewardsRoot],
  ] as const) {
    if (mine.toLowerCase() !== chain.toLowerCase()) {
      throw new ExplainError(ExplainErrorCode.ROOT_MISMATCH, `published ${field} differs from the chain's`, {
        epoch: String(report.header.epoch),
        field,
        published: mine,
        onChain: chain,
      });
    }
  }
  if (report.inputs === undefined) return;
  let rebuilt: EpochReport;
  try {
    rebuilt = recomputeReport(report.header, report.inputs);
  } catch (e) {
    throw new ExplainError(ExplainErrorCode.INPUTS_MISMATCH, "published inputs do not build a report", {
      epoch: String(report.header.epoch),
      reason: (e as Error).message,
    });
  }
  for (const field of ["resultsRoot", "rewardsRoot", "totalRewards"] as const) {
    const a = String(rebuilt.header[field]).toLowerCase();
    const b = String(report.header[field]).toLowerCase();
    if (a !== b) {
      throw new ExplainError(ExplainErrorCode.INPUTS_MISMATCH, `published inputs give another ${field}`, {
        epoch: String(report.header.epoch),
        field,
        recomputed: a,
        published: b,
      });
    }
  }
}

/** The pool split of rewards.ts for one epoch's parameters. */
export function poolSplit(params: Pick<ReportParams, "epochRewardPool" | "providerShareBps">) {
  const pool = params.epochRewardPool;
  const providerPool = (pool * BigInt(params.providerShareBps)) / 10_000n;
  return { pool, providerShareBps: params.providerShareBps, providerPool, licensePool: pool - providerPool };
}

/** One provider the license's operator attested in the epoch. */
export interface LicenseAttestationTerm {
  provider: Address;
  seats: number;
  result: CheckResult;
  /** The provider reached params.minAttestations distinct checkers (its verdict is not INCONCLUSIVE). */
  quorumReached: boolean;
  providerVerdict: Verdict;
}

/** Every term of one license's reward in one epoch. */
export interface LicenseEpochExplanation {
  epoch: bigint;
  licenseId: bigint;
  /** The operator the license counted for in the epoch's inputs (null: not delegated then). */
  operator: Address | null;
  /** The operator's attestations counted in the report, each with its seats. */
  attestations: LicenseAttestationTerm[];
  /** W: Σ seats of the operator's counted attestations. */
  operatorSeats: number;
  /** m: licenses the operator ran in the epoch. */
  operatorLicenses: number;
  /** Position of this license among the operator's, ascending by id (it gets one extra seat when < W mod m). */
  licenseIndex: number | null;
  /** c_j = floor(W / m) + (licenseIndex < W mod m ? 1 : 0). */
  countedAttestations: number;
  /** Σ c over all licenses in the epoch. */
  totalCountedAttestations: number;
  pool: bigint;
  licensePool: bigint;
  /** floor(licensePool · c_j / Σ c), before penalties. */
  amount: bigint;
  /** The amount in the published reward leaf (0 when the license has none); equals `amount` for a verified report. */
  leafAmount: bigint;
  /** The operator was jailed in the epoch (an overturned accusation): the contract refuses the claim. */
  forfeited: boolean;
  /** amount, or 0 when forfeited. */
  payable: bigint;
  formula: string;
}

/**
 * Recomputes one license's reward in one epoch from the published inputs.
 * `penalties.forfeited` comes from the chain (Slashing.isPenalized of the
 * operator for that epoch: it attested a FAIL a re-check overturned): the
 * leaf still exists, the claim reverts.
 *
 * @throws ExplainError NO_INPUTS when the report carries no inputs
 */
export function explainLicenseEpoch(
  report: PublishedReport,
  licenseId: bigint,
  penalties: { forfeited: boolean } = { forfeited: false },
): LicenseEpochExplanation {
  const inputs = requireInputs(report);
  const epoch = report.header.epoch;
  const rebuilt = recomputeReport(report.header, inputs);
  const verdictOf = new Map(rebuilt.results.map((r) => [r.provider.toLowerCase(), r]));
  const owner = inputs.licensesByChecker.find((l) => l.licenseIds.includes(licenseId));
  const participation = licenseParticipation(perProviderOf(epoch, inputs), licensesMap(inputs));
  const totalCounted = participation.reduce((s, l) => s + l.countedAttestations, 0);
  const mine = participation.find((l) => l.licenseId === licenseId);
  const { pool, licensePool } = poolSplit(inputs.params);
  const counted = mine?.countedAttestations ?? 0;
  const amount = totalCounted > 0 ? (licensePool * BigInt(counted)) / BigInt(totalCounted) : 0n;
  const leafAmount =
    report.rewards.find((r) => r.beneficiary === Beneficiary.LICENSE && r.id === licenseId)?.amount ?? 0n;

  const attestations: LicenseAttestationTerm[] = [];
  let operatorSeats = 0;
  if (owner !== undefined) {
    const key = owner.checker.toLowerCase();
    for (const p of inputs.providers) {
      for (const a of p.attestations) {
        if (a.checker.toLowerCase() !== key) continue;
        const leaf = verdictOf.get(p.provider.toLowerCase());
        operatorSeats += a.seats;
        attestations.push({
          provider: getAddress(p.provider),
          seats: a.seats,
          result: a.result,
          quorumReached: leaf !== undefined && leaf.verdict !== Verdict.INCONCLUSIVE,
          providerVerdict: leaf?.verdict ?? Verdict.INCONCLUSIVE,
        });
      }
    }
  }
  const sortedIds =
    owner === undefined ? [] : [...owner.licenseIds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const index = sortedIds.indexOf(licenseId);
  return {
    epoch,
    licenseId,
    operator: owner === undefined ? null : getAddress(owner.checker),
    attestations,
    operatorSeats,
    operatorLicenses: sortedIds.length,
    licenseIndex: index < 0 ? null : index,
    countedAttestations: counted,
    totalCountedAttestations: totalCounted,
    pool,
    licensePool,
    amount,
    leafAmount,
    forfeited: penalties.forfeited,
    payable: penalties.forfeited ? 0n : amount,
    formula: `floor(${licensePool} · ${counted} / ${totalCounted}) = ${amount}`,
  };
}

export interface LicenseRangeExplanation {
  licenseId: bigint;
  epochs: LicenseEpochExplanation[];
  /** Σ payable over the epochs. */
  total: bigint;
}

/** explainLicenseEpoch over several epochs, summed. */
export function explainLicense(
  reports: readonly { report: PublishedReport; forfeited?: boolean }[],
  licenseId: bigint,
): LicenseRangeExplanation {
  const epochs = reports.map(({ report, forfeited }) =>
    explainLicenseEpoch(report, licenseId, { forfeited: forfeited === true }),
  );
  return { licenseId, epochs, total: epochs.reduce((s, e) => s + e.payable, 0n) };
}

/** Every term of a provider's verdict, score, reward and slash in one epoch. */
export interface ProviderExplanation {
  epoch: bigint;
  provider: Address;
  attestations: CountedAttestation[];
  /** Distinct checkers counted, and the minimum for a verdict. */
  attestationCount: number;
  minAttestations: number;
  quorumReached: boolean;
  /** Σ seats, and Σ seats of FAIL/TIMEOUT attestations. */
  weight: number;
  failureWeight: number;
  /** failureWeight · 10000 > failureQuorumBps · weight means FAIL. */
  failureQuorumBps: number;
  failureQuorumReached: boolean;
  verdict: Verdict;
  /** floor((weight − failureWeight) · 10000 / weight). */
  passBps: number;
  medianLatencyUs: number;
  latencyTargetUs: number;
  /** 10000 at or below the target, else floor(target · 10000 / median). */
  latencyBps: number;
  latencyWeightBps: number;
  scoreBps: number;
  stake: bigint;
  /** scoreBps · stake when PASS, else 0. */
  rewardWeight: bigint;
  /** Σ reward weights of the epoch's passing providers. */
  totalRewardWeight: bigint;
  providerPool: bigint;
  /** floor(providerPool · rewardWeight / totalRewardWeight). */
  reward: bigint;
  /** The amount in the published reward leaf. */
  leafReward: bigint;
  slashBps: number;
  /** floor(stake · slashBps / 10000) when FAIL, else 0; equals the result leaf's. */
  slashAmount: bigint;
  leafSlashAmount: bigint;
  /** The checkers that attested FAIL (not TIMEOUT): the ones penalized if a re-check overturns the verdict. */
  accusers: Address[];
}

/**
 * Recomputes a provider's verdict, score, reward and proposed slash from
 * the published inputs.
 *
 * @throws ExplainError NO_INPUTS, UNKNOWN_PROVIDER (not in the report), INVALID_INPUT
 */
export function explainProvider(report: PublishedReport, provider: Address): ProviderExplanation {
  if (typeof provider !== "string" || !isAddress(provider, { strict: false })) {
    throw new ExplainError(ExplainErrorCode.INVALID_INPUT, "provider is not an address", {
      provider: String(provider),
    });
  }
  const inputs = requireInputs(report);
  const epoch = report.header.epoch;
  const key = provider.toLowerCase();
  const entry = inputs.providers.find((p) => p.provider.toLowerCase() === key);
  if (entry === undefined) {
    throw new ExplainError(ExplainErrorCode.UNKNOWN_PROVIDER, "provider is not in the epoch's report", {
      epoch: String(epoch),
      provider,
    });
  }
  const params = inputs.params;
  const v = computeVerdict(
    entry.attestations.map((a) => weighted(epoch, entry.provider, a)),
    params,
  );
  const passBps = v.weight === 0 ? 0 : Math.floor(((v.weight - v.failureWeight) * 10_000) / v.weight);
  const latencyBps =
    v.medianLatencyUs <= params.scoreLatencyTargetUs
      ? 10_000
      : Number((BigInt(params.scoreLatencyTargetUs) * 10_000n) / BigInt(v.medianLatencyUs));
  const rebuilt = recomputeReport(report.header, inputs);
  let totalRewardWeight = 0n;
  for (const r of rebuilt.results) {
    if (r.verdict !== Verdict.PASS) continue;
    const stake =
      inputs.providers.find((p) => p.provider.toLowerCase() === r.provider.toLowerCase())?.stake ?? 0n;
    totalRewardWeight += BigInt(r.scoreBps) * stake;
  }
  const rewardWeight = v.verdict === Verdict.PASS ? BigInt(v.scoreBps) * entry.stake : 0n;
  const { providerPool } = poolSplit(params);
  const reward = totalRewardWeight > 0n ? (providerPool * rewardWeight) / totalRewardWeight : 0n;
  const id = BigInt(getAddress(provider));
  const leaf = report.results.find((r) => r.provider.toLowerCase() === key);
  const slash = v.verdict === Verdict.FAIL ? (entry.stake * BigInt(params.slashBps)) / 10_000n : 0n;
  return {
    epoch,
    provider: getAddress(provider),
    attestations: entry.attestations,
    attestationCount: v.attestations,
    minAttestations: params.minAttestations,
    quorumReached: v.attestations >= params.minAttestations,
    weight: v.weight,
    failureWeight: v.failureWeight,
    failureQuorumBps: params.failureQuorumBps,
    failureQuorumReached: v.failureWeight * 10_000 > params.failureQuorumBps * v.weight,
    verdict: v.verdict,
    passBps,
    medianLatencyUs: v.medianLatencyUs,
    latencyTargetUs: params.scoreLatencyTargetUs,
    latencyBps,
    latencyWeightBps: params.scoreLatencyWeightBps,
    scoreBps: v.scoreBps,
    stake: entry.stake,
    rewardWeight,
    totalRewardWeight,
    providerPool,
    reward,
    leafReward:
      report.rewards.find((r) => r.beneficiary === Beneficiary.PROVIDER && r.id === id)?.amount ?? 0n,
    slashBps: params.slashBps,
    slashAmount: slash,
    leafSlashAmount: leaf?.slashAmount ?? 0n,
    accusers: v.accusers,
  };
}

function requireInputs(report: PublishedReport): ReportInputs {
  if (report.inputs === undefined) {
    throw new ExplainError(
      ExplainErrorCode.NO_INPUTS,
      "the report carries no inputs: its numbers cannot be recomputed",
      { epoch: String(report.header.epoch) },
    );
  }
  return report.inputs;
}
