import { providerRegistryAbi, rewardTokenAbi, slashingAbi } from "@checkernet/contracts/generated/index";
import { gpuClass } from "@checkernet/protocol/challenges/gpu-classes";
import { regionById } from "@checkernet/protocol/challenges/regions";
import { type Address, bytesToString, type Hash, hexToBytes, stringToBytes, toHex } from "viem";
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
   * The checking sets (isActiveAt) of the chain's epoch and the next, and the first epoch up to the entry
   * delay ahead whose set holds this provider (null when none does): a stake reaching the minimum in epoch
   * c counts from c + max(activationDelayEpochs, 2), an unstake or a slash under it from c + 2.
   */
  checking: { epoch: bigint; now: boolean; next: boolean; from: bigint | null };
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
    const [info, active, minStake, pendingSlashes, tokenBalance] = await Promise.all([
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
    ]);
    const checking = await checkingSets(chain, address, active);
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

/** Which checking sets hold `address`: the chain's epoch's, the next one's, and the first one ahead that does. */
async function checkingSets(
  chain: ProviderChain,
  address: Address,
  active: boolean,
): Promise<ProviderStatus["checking"]> {
  const registry = { address: chain.contracts.providerRegistry, abi: providerRegistryAbi } as const;
  const [epoch, delay] = await Promise.all([
    chain.publicClient.readContract({ ...registry, functionName: "currentEpoch" }),
    chain.publicClient.readContract({ ...registry, functionName: "activationDelayEpochs" }),
  ]);
  const inSet = (e: bigint) =>
    chain.publicClient.readContract({ ...registry, functionName: "isActiveAt", args: [address, e] });
  const [now, next] = await Promise.all([inSet(epoch), inSet(epoch + 1n)]);
  let from: bigint | null = now ? epoch : next ? epoch + 1n : null;
  // Staked but in neither yet: an entry is pending; read the sets up to the entry delay ahead (a person's
  // command, read once: at most activationDelayEpochs calls, 54 in production).
  if (from === null && active) {
    const last = epoch + (delay > 2n ? delay : 2n);
    const ahead = Array.from({ length: Number(last - epoch - 1n) }, (_, i) => epoch + 2n + BigInt(i));
    const held = await Promise.all(ahead.map(inSet));
    from = ahead[held.indexOf(true)] ?? null;
  }
  return { epoch, now, next, from };
}
