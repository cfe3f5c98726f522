import { type Address, isAddress } from "viem";
import { ProtocolError } from "./errors.ts";
import { Beneficiary, type RewardLeaf } from "./merkle/leaves.ts";
import type { ProtocolParams } from "./params.ts";
import { Verdict } from "./types.ts";

/**
 * Reward and slash arithmetic (docs/protocol/sortition-and-aggregation.md, "Rewards" and "Slashing").
 * Integer math only, every division floors, and the remainder ("dust")
 * is paid to no one: it stays in the reward contract, so the leaves never
 * add up to more than the epoch's pool.
 */

export const RewardErrorCode = {
  DUPLICATE_PROVIDER: "REWARD_ERROR_DUPLICATE_PROVIDER",
  DUPLICATE_LICENSE: "REWARD_ERROR_DUPLICATE_LICENSE",
  INVALID_INPUT: "REWARD_ERROR_INVALID_INPUT",
  INVALID_PARAMS: "REWARD_ERROR_INVALID_PARAMS",
} as const;
export type RewardErrorCode = (typeof RewardErrorCode)[keyof typeof RewardErrorCode];

export class RewardError extends ProtocolError<RewardErrorCode> {
  override name = "RewardError";
}

export interface ProviderRewardInput {
  provider: Address;
  verdict: Verdict;
  /** 0..10000 */
  scoreBps: number;
  /** Stake in the reward token's smallest unit. */
  stake: bigint;
}

export interface LicenseRewardInput {
  licenseId: bigint;
  /** Attestations of this license counted in the epoch's report. */
  countedAttestations: number;
}

const UINT256_MAX = (1n << 256n) - 1n;

function checkBps(field: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 10_000) {
    throw new RewardError(RewardErrorCode.INVALID_PARAMS, `${field} must be an integer in [0, 10000]`, {
      field,
      value,
    });
  }
}

/**
 * Splits params.epochRewardPool into reward leaves.
 *
 *   providerPool = floor(pool · providerShareBps / 10000);  licensePool = pool - providerPool
 *   provider i (verdict PASS only):  w_i = scoreBps_i · stake_i
 *                                    amount_i = floor(providerPool · w_i / Σ w)
 *   license j:                       amount_j = floor(licensePool · c_j / Σ c),  c = countedAttestations
 *
 * A pool whose weights sum to zero (no passing provider with stake and
 * score, or no counted attestation) pays nothing from that pool. Zero
 * amounts get no leaf. Leaves: providers ascending by address (id =
 * uint160(address)), then licenses ascending by id. Σ amounts ≤ pool.
 *
 * @throws RewardError on duplicate providers or licenses, negative stakes or counts, bad bps.
 */
export function splitEpochRewards(
  input: { providers: readonly ProviderRewardInput[]; licenses: readonly LicenseRewardInput[] },
  params: Pick<ProtocolParams, "epochRewardPool" | "providerShareBps">,
): RewardLeaf[] {
  checkBps("providerShareBps", params.providerShareBps);
  const pool = params.epochRewardPool;
  if (typeof pool !== "bigint" || pool < 0n || pool > UINT256_MAX) {
    throw new RewardError(RewardErrorCode.INVALID_PARAMS, "epochRewardPool must be a uint256", {
      epochRewardPool: String(pool),
    });
  }
  const providerPool = (pool * BigInt(params.providerShareBps)) / 10_000n;
  const licensePool = pool - providerPool;

  const seenProviders = new Set<string>();
  const providers = input.providers.map((p) => {
    if (typeof p.provider !== "string" || !isAddress(p.provider, { strict: false })) {
      throw new RewardError(RewardErrorCode.INVALID_INPUT, "provider is not an address", {
        provider: String(p.provider),
      });
    }
    const provider = p.provider;
    const key = provider.toLowerCase();
    if (seenProviders.has(key)) {
      throw new RewardError(RewardErrorCode.DUPLICATE_PROVIDER, "provider listed twice", { provider });
    }
    seenProviders.add(key);
    if (typeof p.stake !== "bigint" || p.stake < 0n || p.stake > UINT256_MAX) {
      throw new RewardError(RewardErrorCode.INVALID_INPUT, "stake must be a uint256", {
        provider,
        stake: String(p.stake),
      });
    }
    if (!Number.isInteger(p.scoreBps) || p.scoreBps < 0 || p.scoreBps > 10_000) {
      throw new RewardError(RewardErrorCode.INVALID_INPUT, "scoreBps must be an integer in [0, 10000]", {
        provider,
        scoreBps: p.scoreBps,
      });
    }
    const weight = p.verdict === Verdict.PASS ? BigInt(p.scoreBps) * p.stake : 0n;
    return { provider, id: BigInt(provider), weight };
  });
  providers.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  const seenLicenses = new Set<bigint>();
  const licenses = input.licenses.map((l) => {
    if (typeof l.licenseId !== "bigint" || l.licenseId < 0n || l.licenseId > UINT256_MAX) {
      throw new RewardError(RewardErrorCode.INVALID_INPUT, "licenseId must be a uint256", {
        licenseId: String(l.licenseId),
      });
    }
    if (seenLicenses.has(l.licenseId)) {
      throw new RewardError(RewardErrorCode.DUPLICATE_LICENSE, "license listed twice", {
        licenseId: String(l.licenseId),
      });
    }
    seenLicenses.add(l.licenseId);
    if (!Number.isSafeInteger(l.countedAttestations) || l.countedAttestations < 0) {
      throw new RewardError(
        RewardErrorCode.INVALID_INPUT,
        "countedAttestations must be a non-negative integer",
        {
          licenseId: String(l.licenseId),
          countedAttestations: l.countedAttestations,
        },
      );
    }
    return { id: l.licenseId, weight: BigInt(l.countedAttestations) };
  });
  licenses.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  const leaves: RewardLeaf[] = [];
  const providerWeight = providers.reduce((s, p) => s + p.weight, 0n);
  if (providerWeight > 0n) {
    for (const p of providers) {
      const amount = (providerPool * p.weight) / providerWeight;
      if (amount > 0n) leaves.push({ beneficiary: Beneficiary.PROVIDER, id: p.id, amount });
    }
  }
  const licenseWeight = licenses.reduce((s, l) => s + l.weight, 0n);
  if (licenseWeight > 0n) {
    for (const l of licenses) {
      const amount = (licensePool * l.weight) / licenseWeight;
      if (amount > 0n) leaves.push({ beneficiary: Beneficiary.LICENSE, id: l.id, amount });
    }
  }
  return leaves;
}

/** The stake slashed for a FAIL verdict: floor(stake · slashBps / 10000). */
export function slashAmount(stake: bigint, params: Pick<ProtocolParams, "slashBps">): bigint {
  checkBps("slashBps", params.slashBps);
  if (typeof stake !== "bigint" || stake < 0n || stake > UINT256_MAX) {
    throw new RewardError(RewardErrorCode.INVALID_INPUT, "stake must be a uint256", { stake: String(stake) });
  }
  return (stake * BigInt(params.slashBps)) / 10_000n;
}
