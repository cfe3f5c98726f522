import { providerRegistryAbi, rewardTokenAbi, slashingAbi } from "@checkernet/contracts/generated/index";
import { gpuClass } from "@checkernet/protocol/challenges/gpu-classes";
import { regionById } from "@checkernet/protocol/challenges/regions";
import { type Address, bytesToString, type Hash, hexToBytes, stringToBytes, toHex } from "viem";
import { type CheckingSets, readCheckingSets } from "./checking.ts";
import type { ProviderChain } from "./client.ts";
import { ChainError, ChainErrorCode, toChainError } from "./errors.ts";
import { approveRewardToken, sendTransaction } from "./send.ts";

/**
 * The provider's chain actions, one function each, every one waiting for its
 * receipt. How a registration is written (shared with the checkers that read
 * it): `peerId` is the UTF-8 of the base58btc peer id string, `gpuModel` the
 * GPU class id of packages/protocol (e.g. "h100-sxm"), `vramMiB` that class's
 * memory in MiB, `region` the region id (e.g. "eu-west").
 */

export interface RegisterParameters {
  peerId: string;
  /** GPU class id or code from packages/protocol/src/challenges/gpu-classes.ts. */
  gpuClass: string | number;
  /** Region id from packages/protocol/src/challenges/regions.ts. */
  region: string;
}

/**
 * Registers (or, with `update`, re-registers) the provider's peer id and claimed class.
 *
 * @example
 * await registerProvider(chain, { peerId: keys.peerId.toString(), gpuClass: "h100-sxm", region: "eu-west" })
 */
export async function registerProvider(
  chain: ProviderChain,
  p: RegisterParameters & { update?: boolean },
): Promise<Hash> {
  let cls: ReturnType<typeof gpuClass>;
  let regionId: string;
  try {
    cls = gpuClass(p.gpuClass);
    regionId = regionById(p.region).id;
  } catch (err) {
    throw new ChainError(ChainErrorCode.BAD_ARGUMENT, (err as Error).message, {});
  }
  const args = [
    toHex(stringToBytes(p.peerId)),
    cls.id,
    Math.floor(cls.vramBytes / 2 ** 20),
    regionId,
  ] as const;
  return sendTransaction(chain, p.update === true ? "update" : "register", () =>
    chain.walletClient.writeContract({
      address: chain.contracts.providerRegistry,
      abi: providerRegistryAbi,
      functionName: p.update === true ? "update" : "register",
      args,
      chain: null,
    }),
  );
}

/** Approves the registry for `amount` of the reward token and stakes it. */
export async function stakeTokens(
  chain: ProviderChain,
  amount: bigint,
): Promise<{ approve: Hash; stake: Hash }> {
  if (amount <= 0n)
    throw new ChainError(ChainErrorCode.BAD_ARGUMENT, "the amount to stake must be positive", {});
  const approve = await approveRewardToken(chain, "approve", chain.contracts.providerRegistry, amount);
  const stake = await sendTransaction(chain, "stake", () =>
    chain.walletClient.writeContract({
      address: chain.contracts.providerRegistry,
      abi: providerRegistryAbi,
      functionName: "stake",
      args: [amount],
      chain: null,
    }),
  );
  return { approve, stake };
}

/** Moves `amount` of stake into unbonding (still slashable until the unbonding period ends). */
export async function requestUnstake(chain: ProviderChain, amount: bigint): Promise<Hash> {
  if (amount <= 0n)
    throw new ChainError(ChainErrorCode.BAD_ARGUMENT, "the amount to unstake must be positive", {});
  return sendTransaction(chain, "requestUnstake", () =>
    chain.walletClient.writeContract({
      address: chain.contracts.providerRegistry,
      abi: providerRegistryAbi,
      functionName: "requestUnstake",
      args: [amount],
      chain: null,
    }),
  );
}

/** Withdraws everything whose unbonding period has ended (refused while a slash is pending). */
export async function withdrawUnbonded(chain: ProviderChain): Promise<Hash> {
  return sendTransaction(chain, "withdraw", () =>
    chain.walletClient.writeContract({
      address: chain.contracts.providerRegistry,
      abi: providerRegistryAbi,
      functionName: "withdraw",
      chain: null,
    }),
  );
}

export interface ProviderStatus {
  address: Address;
  registered: boolean;
  peerId: string;
  gpuModel: string;
  vramMiB: number;
  region: string;
  stake: bigint;
  unbonding: bigint;
  unbondingEndEpoch: bigint;
  /** Live: registered with at least minStake staked now. Being checked (and paid) follows `checking`. */
  active: boolean;
  /**
   * The checking sets (isActiveAt) of the chain's epoch through the entry delay + 1 ahead, one multicall: a
   * stake reaching the minimum in epoch c counts from c + max(activationDelayEpochs, 2), an unstake or a
   * slash under it from c + 2, or from the epoch after a pending entry's (checking.ts).
   */
  checking: CheckingSets;
  pendingSlashes: bigint;
  tokenBalance: bigint;
  minStake: bigint;
}

/** Everything the chain says about this provider. */
export async function providerStatus(
  chain: ProviderChain,
  address: Address = chain.account.address,
): Promise<ProviderStatus> {
  try {
    const registry = { address: chain.contracts.providerRegistry, abi: providerRegistryAbi } as const;
    const [info, active, minStake, pendingSlashes, tokenBalance, checking] = await Promise.all([
      chain.publicClient.readContract({ ...registry, functionName: "providerInfo", args: [address] }),
      chain.publicClient.readContract({ ...registry, functionName: "isActive", args: [address] }),
      chain.publicClient.readContract({ ...registry, functionName: "minStake" }),
      chain.publicClient.readContract({
        address: chain.contracts.slashing,
        abi: slashingAbi,
        functionName: "pendingSlashCount",
        args: [address],
      }),
      chain.publicClient.readContract({
        address: chain.contracts.rewardToken,
        abi: rewardTokenAbi,
        functionName: "balanceOf",
        args: [address],
      }),
      readCheckingSets(chain, address),
    ]);
    return {
      address,
      registered: info.registered,
      peerId: info.peerId === "0x" ? "" : bytesToString(hexToBytes(info.peerId)),
      gpuModel: info.gpuModel,
      vramMiB: info.vramMiB,
      region: info.region,
      stake: info.stake,
      unbonding: info.unbonding,
      unbondingEndEpoch: BigInt(info.unbondingEndEpoch),
      active,
      checking,
      pendingSlashes,
      tokenBalance,
      minStake,
    };
  } catch (err) {
    throw toChainError(err, "status");
  }
}
