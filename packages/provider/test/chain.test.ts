import { providerRegistryAbi, rewardTokenAbi } from "@checkernet/contracts/generated/index";
import { createPublicClient, createWalletClient, custom, type PublicClient } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { beforeAll, describe, expect, it } from "vitest";
import {
  providerStatus,
  registerProvider,
  requestUnstake,
  stakeTokens,
  withdrawUnbonded,
} from "../src/chain/actions.ts";
import { connectProviderChain, type ProviderChain } from "../src/chain/client.ts";
import { ChainErrorCode } from "../src/chain/errors.ts";
import { deployedNetwork } from "./utils/chain.ts";

/** Hardhat 3's in-process EDR network, deployed with the contracts package's deployAll. */
describe("provider chain actions against the deployed contracts (Hardhat EDR)", () => {
  let chain: ProviderChain;
  let stranger: ProviderChain;
  let minStake: bigint;
  const peerId = "12D3KooWQTo4fQQvwhKuFxsogxhvBEg49SEnabAD6ktXJnE38UeJ";

  beforeAll(async () => {
    const { connection, publicClient, deployer, deployment } = await deployedNetwork();
    const testClient = await connection.viem.getTestClient();
    const contracts = deployment.contracts;
    const connect = async (): Promise<ProviderChain> => {
      const key = generatePrivateKey();
      const account = privateKeyToAccount(key);
      await testClient.setBalance({ address: account.address, value: 10n ** 20n });
      const transport = custom(connection.provider);
      return {
        publicClient: createPublicClient({ transport }) as PublicClient,
        walletClient: createWalletClient({ account, transport, chain: publicClient.chain }),
        account,
        contracts,
      };
    };
    chain = await connect();
    stranger = await connect();
    minStake = (await providerStatus(chain)).minStake;
    const fund = await deployer.writeContract({
      address: contracts.rewardToken,
      abi: rewardTokenAbi,
      functionName: "transfer",
      args: [chain.account.address, 3n * minStake],
    });
    await publicClient.waitForTransactionReceipt({ hash: fund });
  });

  it("registers the peer id and class, stakes, unstakes into unbonding", async () => {
    await registerProvider(chain, { peerId, gpuClass: "h100-sxm", region: "eu-west" });
    let status = await providerStatus(chain);
    expect(status).toMatchObject({
      registered: true,
      peerId,
      gpuModel: "h100-sxm",
      vramMiB: 80 * 1024,
      region: "eu-west",
      stake: 0n,
      active: false,
    });

    await stakeTokens(chain, 2n * minStake);
    status = await providerStatus(chain);
    expect(status.stake).toBe(2n * minStake);
    expect(status.tokenBalance).toBe(minStake);
    expect(status.active).toBe(true);
    // Live at once, checked only from the stake's epoch + the entry delay (54 on this deployment): no set
    // holds a stake made after its seed could be known (issue 14).
    const delay = await chain.publicClient.readContract({
      address: chain.contracts.providerRegistry,
      abi: providerRegistryAbi,
      functionName: "activationDelayEpochs",
    });
    const { epoch } = status.checking;
    expect(epoch).toBeGreaterThan(0n);
    expect(status.checking).toEqual({ epoch, now: false, next: false, from: epoch + delay });

    await requestUnstake(chain, minStake / 2n);
    status = await providerStatus(chain);
    expect(status.stake).toBe(2n * minStake - minStake / 2n);
    expect(status.unbonding).toBe(minStake / 2n);
    expect(status.unbondingEndEpoch).toBeGreaterThan(0n);
  });

  it("names the contract's reason when a transaction reverts", async () => {
    await expect(
      registerProvider(chain, { peerId, gpuClass: "h100-sxm", region: "eu-west" }),
    ).rejects.toMatchObject({
      code: ChainErrorCode.REVERTED,
      details: { revert: "ProviderRegistryAlreadyRegistered" },
    });
    await expect(stakeTokens(stranger, 1n)).rejects.toMatchObject({ code: ChainErrorCode.REVERTED });
    await expect(withdrawUnbonded(chain)).rejects.toMatchObject({
      details: { revert: "ProviderRegistryUnbonding" },
    });
    await expect(requestUnstake(chain, 10n ** 30n)).rejects.toMatchObject({
      details: { revert: "ProviderRegistryInsufficientStake" },
    });
  });

  it("refuses an unknown class or region before sending anything", async () => {
    await expect(
      registerProvider(stranger, { peerId, gpuClass: "gtx-480", region: "eu-west" }),
    ).rejects.toMatchObject({
      code: ChainErrorCode.BAD_ARGUMENT,
    });
    await expect(
      registerProvider(stranger, { peerId, gpuClass: "t4", region: "moon" }),
    ).rejects.toMatchObject({
      code: ChainErrorCode.BAD_ARGUMENT,
    });
  });

  it("says the RPC is down when it is", async () => {
    const down = connectProviderChain("http://127.0.0.1:9", generatePrivateKey(), chain.contracts);
    await expect(providerStatus(down)).rejects.toMatchObject({ code: ChainErrorCode.RPC_DOWN });
  });
});
