import { deployAll } from "@checkernet/contracts/deploy";
import { network } from "hardhat";
import type { Account, Chain, PublicClient, Transport, WalletClient } from "viem";

type HardhatWallet = WalletClient<Transport, Chain, Account>;

/**
 * Hardhat 3's in-process EDR network with the contracts deployed by the
 * contracts package's deployAll (10 s epochs), from its first account; the
 * second account is left for a test's checker.
 */
export async function deployedNetwork() {
  const connection = await network.connect();
  const publicClient = (await connection.viem.getPublicClient()) as PublicClient;
  const [deployer, checkerWallet] = (await connection.viem.getWalletClients()) as HardhatWallet[];
  if (deployer === undefined || checkerWallet === undefined) throw new Error("no hardhat accounts");
  const deployment = await deployAll(deployer, publicClient, { epochSeconds: 10n });
  return { connection, publicClient, deployer, checkerWallet, deployment };
}
