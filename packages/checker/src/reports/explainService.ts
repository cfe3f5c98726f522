import { epochReportsAbi } from "@checkernet/contracts/generated/index";
import {
  explainLicenseEpoch,
  explainProvider,
  type LicenseEpochExplanation,
  type ProviderExplanation,
  verifyPublishedReport,
} from "@checkernet/protocol/explain";
import { Beneficiary, type RewardLeaf } from "@checkernet/protocol/merkle/leaves";
import { buildRewardsTree, rewardProof, verifyRewardProof } from "@checkernet/protocol/merkle/trees";
import { type Address, getAddress, type Hex, type PublicClient, zeroAddress } from "viem";
import { toChainActionError } from "../chain/actions/errors.ts";
import { type GetReportReturnType, getReport } from "../chain/actions/getReport.ts";
import { type SimulateClaimReturnType, simulateClaim } from "../chain/actions/simulateClaim.ts";
import { CheckerError } from "../errors.ts";
import type { ReportRecord } from "./aggregatorRecords.ts";
import { publishedReportOf } from "./publishedReport.ts";

/**
 * "Why did I earn X" for the CLI and the HTTP API: the published report of
 * each epoch (held, or fetched from peers and verified), recomputed term by
 * term with protocol/src/explain.ts, next to what the Rewards contract says
 * is claimable now (an eth_call of `claim`), and whether the two agree.
 */
export interface ExplainComponents {
  publicClient: PublicClient;
  contracts: { epochReports: Address; rewards: Address };
  /** The node's verified record of an epoch, fetching it from peers when missing (ReportSync.ensure). */
  recordOf(epoch: bigint): Promise<ReportRecord | undefined>;
}

/** Largest epoch range one request may explain: each epoch costs a few RPC reads. */
const MAX_EXPLAIN_EPOCHS = 1_000;

export const ExplainServiceErrorCode = {
  INVALID_RANGE: "EXPLAIN_SERVICE_ERROR_INVALID_RANGE",
  NOT_REPORTED: "EXPLAIN_SERVICE_ERROR_NOT_REPORTED",
  UNAVAILABLE: "EXPLAIN_SERVICE_ERROR_UNAVAILABLE",
} as const;

export class ExplainServiceError extends CheckerError {
  override name = "ExplainServiceError";
  readonly code: string;
  constructor(code: string, message: string) {
    super(`${message} [${code}]`);
    this.code = code;
  }
}

/** What the chain says about one license's leaf in one epoch. */
interface OnChainLicenseState {
  reported: boolean;
  rewardsRoot: Hex | null;
  /** The contract would pay this now (0 when claimed, forfeited, locked or no leaf). */
  claimable: bigint;
  claimed: boolean;
  forfeited: boolean;
  /**
   * The leaf's amount while the contract holds license rewards of the epoch back (its penalties are not final
   * yet: Rewards.RewardsLocked); claimable from `unlockEpoch` unless forfeited by then. 0 otherwise.
   */
  locked: bigint;
  unlockEpoch: bigint | null;
}

interface LicenseEpochResult {
  epoch: bigint;
  /** Why there is no explanation: "not-reported" (no report landed) or "unavailable" (no verified leaves). */
  missing: "not-reported" | "unavailable" | null;
  explanation: LicenseEpochExplanation | null;
  onChain: OnChainLicenseState;
  /** Claimed: the explained amount is what was paid; otherwise it equals the claimable amount. */
  matchesChain: boolean;
}

export interface LicenseExplainResult {
  licenseId: bigint;
  from: bigint;
  to: bigint;
  epochs: LicenseEpochResult[];
  /** Σ payable over explained epochs. */
  explained: bigint;
  /** Σ on-chain claimable now. */
  claimable: bigint;
  /** Σ leaf amounts already claimed. */
  claimed: bigint;
  /** Σ leaf amounts still locked (claimable later). */
  locked: bigint;
  /** explained = claimable + claimed + locked, and every epoch matches. */
  matchesChain: boolean;
}

/** What claiming `leaf` would do now, simulated from the zero address: the amount and whether it was claimed. */
function simulateLeafClaim(
  c: ExplainComponents,
  epoch: bigint,
  leaf: RewardLeaf,
  proof: readonly Hex[],
): Promise<SimulateClaimReturnType> {
  return simulateClaim(c.publicClient, {
    rewards: c.contracts.rewards,
    epoch,
    leaf,
    proof,
    account: zeroAddress,
  });
}

async function lastEpoch(c: ExplainComponents): Promise<bigint> {
  try {
    const current = await c.publicClient.readContract({
      address: c.contracts.epochReports,
      abi: epochReportsAbi,
      functionName: "currentEpoch",
    });
    return current > 1n ? current - 1n : 1n;
  } catch (e) {
    throw toChainActionError(e, "currentEpoch");
  }
}

/** A verified published report of `epoch` and its on-chain anchor, or why there is none. */
async function verifiedRecord(
  c: ExplainComponents,
  epoch: bigint,
): Promise<{ onChain: GetReportReturnType; record?: ReportRecord }> {
  const onChain = await getReport(c.publicClient, { epochReports: c.contracts.epochReports, epoch });
  if (onChain === null) return { onChain };
  const record = await c.recordOf(epoch);
  if (record === undefined || typeof record.header.resultsRoot !== "string") return { onChain };
  // Our own records are verified too: the explanation is only as good as its anchor.
  verifyPublishedReport(publishedReportOf(record), onChain);
  return { onChain, record };
}

/**
 * Explains a license's rewards over [from, to] (defaults: 1 and the last
 * finished epoch) and compares each epoch with the contract's answer.
 *
 * @throws ExplainServiceError INVALID_RANGE; ChainActionError RPC
 */
export async function explainLicenseRange(
  c: ExplainComponents,
  licenseId: bigint,
  range: { from?: bigint; to?: bigint } = {},
): Promise<LicenseExplainResult> {
  const from = range.from ?? 1n;
  const to = range.to ?? (await lastEpoch(c));
  if (from < 1n || to < from) {
    throw new ExplainServiceError(
      ExplainServiceErrorCode.INVALID_RANGE,
      `invalid epoch range ${from}..${to}`,
    );
  }
  if (to - from + 1n > BigInt(MAX_EXPLAIN_EPOCHS)) {
    throw new ExplainServiceError(
      ExplainServiceErrorCode.INVALID_RANGE,
      `at most ${MAX_EXPLAIN_EPOCHS} epochs per request (asked ${to - from + 1n})`,
    );
  }
  const epochs: LicenseEpochResult[] = [];
  for (let epoch = from; epoch <= to; epoch++) epochs.push(await explainLicenseInEpoch(c, licenseId, epoch));
  const explained = epochs.reduce((s, e) => s + (e.explanation?.payable ?? 0n), 0n);
  const claimable = epochs.reduce((s, e) => s + e.onChain.claimable, 0n);
  const claimed = epochs.reduce(
    (s, e) => s + (e.onChain.claimed ? (e.explanation?.leafAmount ?? 0n) : 0n),
    0n,
  );
  const locked = epochs.reduce((s, e) => s + e.onChain.locked, 0n);
  return {
    licenseId,
    from,
    to,
    epochs,
    explained,
    claimable,
    claimed,
    locked,
    matchesChain: epochs.every((e) => e.matchesChain) && explained === claimable + claimed + locked,
  };
}

async function explainLicenseInEpoch(
  c: ExplainComponents,
  licenseId: bigint,
  epoch: bigint,
): Promise<LicenseEpochResult> {
  const { onChain, record } = await verifiedRecord(c, epoch);
  const none: OnChainLicenseState = {
    reported: onChain !== null,
    rewardsRoot: onChain?.rewardsRoot ?? null,
    claimable: 0n,
    claimed: false,
    forfeited: false,
    locked: 0n,
    unlockEpoch: null,
  };
  if (onChain === null || record === undefined) {
    return {
      epoch,
      missing: onChain === null ? "not-reported" : "unavailable",
      explanation: null,
      onChain: none,
      // Nothing landed: nothing to explain and nothing claimable. Unavailable leaves cannot be compared.
      matchesChain: onChain === null,
    };
  }
  const leaf: RewardLeaf | undefined = record.rewards.find(
    (r) => r.beneficiary === Beneficiary.LICENSE && r.id === licenseId,
  );
  let state = none;
  if (leaf !== undefined) {
    const tree = buildRewardsTree(record.rewards);
    const proof = rewardProof(tree, Beneficiary.LICENSE, licenseId);
    if (!verifyRewardProof(onChain.rewardsRoot, leaf, proof)) {
      throw new ExplainServiceError(
        ExplainServiceErrorCode.UNAVAILABLE,
        `epoch ${epoch}: proof does not verify`,
      );
    }
    const sim = await simulateLeafClaim(c, epoch, leaf, proof);
    state = {
      ...none,
      claimable: sim.amount,
      claimed: sim.status === "claimed",
      forfeited: sim.status === "forfeited",
      locked: sim.status === "locked" ? leaf.amount : 0n,
      unlockEpoch: sim.status === "locked" ? sim.unlockEpoch : null,
    };
  }
  if (record.inputs === undefined) {
    return { epoch, missing: "unavailable", explanation: null, onChain: state, matchesChain: false };
  }
  const explanation = explainLicenseEpoch(publishedReportOf(record), licenseId, {
    forfeited: state.forfeited,
  });
  const matchesChain =
    explanation.amount === explanation.leafAmount &&
    (state.claimed
      ? explanation.payable === explanation.leafAmount
      : explanation.payable === state.claimable + state.locked);
  return { epoch, missing: null, explanation, onChain: state, matchesChain };
}

export interface ProviderExplainResult {
  epoch: bigint;
  provider: Address;
  explanation: ProviderExplanation;
  onChain: { resultsRoot: Hex; rewardsRoot: Hex; rewardClaimable: bigint; rewardClaimed: boolean };
  /** The recomputed reward and slash equal the leaves that hash to the on-chain roots. */
  matchesChain: boolean;
}

/**
 * Explains a provider's verdict, score, reward and slash in one epoch.
 *
 * @throws ExplainServiceError NOT_REPORTED, UNAVAILABLE; ExplainError UNKNOWN_PROVIDER; ChainActionError RPC
 */
export async function explainProviderEpoch(
  c: ExplainComponents,
  provider: Address,
  epoch: bigint,
): Promise<ProviderExplainResult> {
  const { onChain, record } = await verifiedRecord(c, epoch);
  if (onChain === null) {
    throw new ExplainServiceError(
      ExplainServiceErrorCode.NOT_REPORTED,
      `epoch ${epoch} has no report on-chain`,
    );
  }
  if (record === undefined) {
    throw new ExplainServiceError(
      ExplainServiceErrorCode.UNAVAILABLE,
      `no verified leaves for epoch ${epoch} (this node and its peers hold none)`,
    );
  }
  const explanation = explainProvider(publishedReportOf(record), provider);
  const id = BigInt(getAddress(provider));
  const leaf = record.rewards.find((r) => r.beneficiary === Beneficiary.PROVIDER && r.id === id);
  let rewardClaimable = 0n;
  let rewardClaimed = false;
  if (leaf !== undefined) {
    const proof = rewardProof(buildRewardsTree(record.rewards), Beneficiary.PROVIDER, id);
    const sim = await simulateLeafClaim(c, epoch, leaf, proof);
    rewardClaimable = sim.amount;
    rewardClaimed = sim.status === "claimed";
  }
  return {
    epoch,
    provider: getAddress(provider),
    explanation,
    onChain: {
      resultsRoot: onChain.resultsRoot,
      rewardsRoot: onChain.rewardsRoot,
      rewardClaimable,
      rewardClaimed,
    },
    matchesChain:
      explanation.reward === explanation.leafReward &&
      explanation.slashAmount === explanation.leafSlashAmount &&
      (rewardClaimed || rewardClaimable === explanation.reward),
  };
}
