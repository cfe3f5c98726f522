import { checkerLicenseAbi, epochReportsAbi } from "@checkernet/contracts/generated/index";
import { Beneficiary, type RewardLeaf } from "@checkernet/protocol/merkle/leaves";
import { buildRewardsTree, rewardProof, verifyRewardProof } from "@checkernet/protocol/merkle/trees";
import {
  type Account,
  type Address,
  type Chain,
  getAddress,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import {
  type ClaimRewardsReturnType,
  claimRewards,
  type RewardClaim,
} from "../chain/actions/claimRewards.ts";
import { ChainActionError, ChainActionErrorCode, toChainActionError } from "../chain/actions/errors.ts";
import { getClaimStatus } from "../chain/actions/getClaimStatus.ts";
import { simulateClaim } from "../chain/actions/simulateClaim.ts";
import type { CheckerDb } from "../db/checkerDb.ts";
import { readReportRecords } from "../reports/aggregatorRecords.ts";

/** The reward leaves this node stored for one epoch (as aggregator or co-signer). */
export interface StoredRewards {
  epoch: bigint;
  rewardsRoot: Hex;
  rewards: RewardLeaf[];
}

export interface RewardContracts {
  epochReports: Address;
  rewards: Address;
  checkerLicense: Address;
}

export interface LicenseReward {
  epoch: bigint;
  licenseId: bigint;
  amount: bigint;
  claimed: boolean;
  /**
   * Unclaimed but not claimable yet: the epoch's penalties are not final (Rewards.RewardsLocked); claimable
   * from this epoch on, unless forfeited by then. Null when claimed or claimable.
   */
  unlockEpoch: bigint | null;
  /** Forfeited: the license's operator signed a failure of the epoch that a re-check overturned. */
  forfeited: boolean;
  /** The license owner now (who a claim pays). */
  owner: Address;
  proof: Hex[];
  leaf: RewardLeaf;
}

/** Reward leaves of every stored report up to `lastEpoch`. */
export async function storedRewardsFromDb(db: CheckerDb, lastEpoch: bigint): Promise<StoredRewards[]> {
  return (await readReportRecords(db, lastEpoch))
    .filter((r) => r.rewards.length > 0)
    .map((r) => ({ epoch: r.epoch, rewardsRoot: r.header.rewardsRoot, rewards: r.rewards }));
}

/** The same from a running node's status API (`GET /rewards`), when its database is locked by it. */
export async function storedRewardsFromApi(baseUrl: string): Promise<StoredRewards[]> {
  let res: Response;
  try {
    res = await fetch(`${baseUrl}/rewards`, { signal: AbortSignal.timeout(5_000) });
  } catch (e) {
    throw new Error(`cannot reach the node's API at ${baseUrl}: ${(e as Error).message}`);
  }
  if (!res.ok) throw new Error(`the node's API at ${baseUrl} answered HTTP ${res.status}`);
  const body = (await res.json()) as {
    epoch: string;
    rewardsRoot: Hex;
    rewards: { beneficiary: number; id: string; amount: string }[];
  }[];
  return body.map((r) => ({
    epoch: BigInt(r.epoch),
    rewardsRoot: r.rewardsRoot,
    rewards: r.rewards.map((l) => ({
      beneficiary: l.beneficiary as Beneficiary,
      id: BigInt(l.id),
      amount: BigInt(l.amount),
    })),
  }));
}

/**
 * License rewards from the stored leaves whose report landed on-chain with
 * the same rewards root, with claimed state and current owner. `owner`
 * keeps the licenses that address owns; `operator` (when no owner is given)
 * those delegated to that operator in the epoch.
 *
 * @throws ChainActionError RPC when the chain cannot be read
 */
export async function licenseRewards(
  client: PublicClient,
  contracts: RewardContracts,
  stored: readonly StoredRewards[],
  filter: { owner?: Address; operator?: Address },
): Promise<LicenseReward[]> {
  const out: LicenseReward[] = [];
  for (const s of stored) {
    let root: Hex;
    try {
      [root] = await client.readContract({
        address: contracts.epochReports,
        abi: epochReportsAbi,
        functionName: "rewardsOf",
        args: [s.epoch],
      });
    } catch (e) {
      throw toChainActionError(e, "rewardsOf");
    }
    // Leaves of a report that never landed (or lost to another) prove nothing.
    if (root.toLowerCase() !== s.rewardsRoot.toLowerCase()) continue;
    const tree = buildRewardsTree(s.rewards);
    for (const leaf of s.rewards) {
      if (leaf.beneficiary !== Beneficiary.LICENSE) continue;
      const status = await getClaimStatus(client, {
        ...contracts,
        rewards: contracts.rewards,
        epoch: s.epoch,
        leaf,
      });
      if (filter.owner !== undefined) {
        if (status.recipient !== getAddress(filter.owner)) continue;
      } else if (filter.operator !== undefined) {
        let op: Address;
        try {
          op = await client.readContract({
            address: contracts.checkerLicense,
            abi: checkerLicenseAbi,
            functionName: "operatorAt",
            args: [leaf.id, s.epoch],
          });
        } catch (e) {
          throw toChainActionError(e, "operatorAt");
        }
        if (getAddress(op) !== getAddress(filter.operator)) continue;
      }
      const proof = rewardProof(tree, Beneficiary.LICENSE, leaf.id);
      // Checked here, before anything is sent: a proof that does not reach the on-chain root would only revert.
      if (!verifyRewardProof(root, leaf, proof)) {
        throw new ChainActionError(
          ChainActionErrorCode.INVALID_PROOF,
          `the proof of license ${leaf.id} for epoch ${s.epoch} does not verify against the on-chain rewards root`,
        );
      }
      // What the contract would do now: claims of a locked or forfeited reward only revert.
      const sim = status.claimed
        ? undefined
        : await simulateClaim(client, {
            rewards: contracts.rewards,
            epoch: s.epoch,
            leaf,
            proof,
            account: status.recipient,
          });
      out.push({
        epoch: s.epoch,
        licenseId: leaf.id,
        amount: leaf.amount,
        claimed: status.claimed,
        unlockEpoch: sim?.status === "locked" ? sim.unlockEpoch : null,
        forfeited: sim?.status === "forfeited",
        owner: status.recipient,
        proof,
        leaf,
      });
    }
  }
  return out;
}

/**
 * Per license: claimable now, locked (claimable once the epoch's penalties are final) and already claimed
 * totals; `epochs` are the claimable ones. Forfeited rewards count nowhere.
 */
export function summarizeRewards(rewards: readonly LicenseReward[]) {
  const by = new Map<
    string,
    {
      licenseId: string;
      owner: Address;
      claimable: bigint;
      locked: bigint;
      claimed: bigint;
      epochs: string[];
      lockedEpochs: string[];
    }
  >();
  for (const r of rewards) {
    const k = String(r.licenseId);
    const e = by.get(k) ?? {
      licenseId: k,
      owner: r.owner,
      claimable: 0n,
      locked: 0n,
      claimed: 0n,
      epochs: [],
      lockedEpochs: [],
    };
    if (r.claimed) e.claimed += r.amount;
    else if (r.forfeited) {
      // Nothing to claim, ever.
    } else if (r.unlockEpoch !== null) {
      e.locked += r.amount;
      e.lockedEpochs.push(String(r.epoch));
    } else {
      e.claimable += r.amount;
      e.epochs.push(String(r.epoch));
    }
    by.set(k, e);
  }
  return [...by.values()];
}

/**
 * The claims `sender` can make now: every unclaimed, unforfeited, unlocked
 * license reward it owns (optionally only `licenseId`), with its proof. Used
 * by claimAll and by `checker claim --print-tx`, which builds the
 * transaction for an external signer.
 *
 * @throws ChainActionError NOTHING_TO_DO, NOT_OWNER (licenseId owned by someone else), RPC
 */
export async function claimableBy(
  client: PublicClient,
  contracts: RewardContracts,
  stored: readonly StoredRewards[],
  owner: Address,
  options: { licenseId?: bigint } = {},
): Promise<RewardClaim[]> {
  const sender = getAddress(owner);
  const all = await licenseRewards(client, contracts, stored, {});
  const selected = all.filter((r) => options.licenseId === undefined || r.licenseId === options.licenseId);
  if (options.licenseId !== undefined) {
    const foreign = selected.find((r) => r.owner !== sender);
    if (foreign !== undefined) {
      throw new ChainActionError(
        ChainActionErrorCode.NOT_OWNER,
        `license ${foreign.licenseId} is owned by ${foreign.owner}, not by ${sender}`,
      );
    }
  }
  const mine = selected.filter((r) => !r.claimed && !r.forfeited && r.owner === sender && r.amount > 0n);
  // One locked leaf would revert the whole claimMany: those wait for their unlock epoch.
  const claims: RewardClaim[] = mine
    .filter((r) => r.unlockEpoch === null)
    .map((r) => ({ epoch: r.epoch, leaf: r.leaf, proof: r.proof }));
  if (claims.length === 0) {
    const locked = mine.filter((r) => r.unlockEpoch !== null);
    const next = locked.reduce<bigint | null>(
      (m, r) => (m === null || (r.unlockEpoch as bigint) < m ? (r.unlockEpoch as bigint) : m),
      null,
    );
    throw new ChainActionError(
      ChainActionErrorCode.NOTHING_TO_DO,
      next === null
        ? `nothing to claim for ${sender}`
        : `nothing to claim for ${sender} yet: ${locked.length} reward(s) locked until their epoch's penalties are final (the first unlocks in epoch ${next})`,
    );
  }
  return claims;
}

/**
 * Claims every unclaimed license reward the sender owns (optionally only
 * `licenseId`) in one transaction.
 *
 * @throws ChainActionError NOTHING_TO_DO, NOT_OWNER (licenseId owned by someone else), RPC, REVERTED
 */
export async function claimAll(
  client: PublicClient,
  wallet: WalletClient<Transport, Chain | undefined, Account>,
  contracts: RewardContracts,
  stored: readonly StoredRewards[],
  options: { licenseId?: bigint } = {},
): Promise<ClaimRewardsReturnType & { claims: number }> {
  const sender = getAddress(wallet.account.address);
  const claims = await claimableBy(client, contracts, stored, sender, options);
  const result = await claimRewards(client, wallet, {
    rewards: contracts.rewards,
    checkerLicense: contracts.checkerLicense,
    claims,
  });
  return { ...result, claims: claims.length };
}
