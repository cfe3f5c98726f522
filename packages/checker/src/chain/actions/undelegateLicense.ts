import { checkerLicenseAbi } from "@checkernet/contracts/generated/index";
import type { Account, Address, Chain, Hash, PublicClient, Transport, WalletClient } from "viem";
import { ChainActionErrorCode, ChainActionError as Err, toChainActionError } from "./errors.ts";

export interface UndelegateLicenseParameters {
  checkerLicense: Address;
  licenseId: bigint;
}

export interface UndelegateLicenseReturnType {
  hash: Hash;
  gasUsed: bigint;
  /** First epoch the license may be delegated again (the cool-down's end). */
  redelegableEpoch: bigint;
}

/**
 * Ends a license's delegation, paid by its owner (or the operator). The
 * license then cools down for `delegationCooldownEpochs` epochs.
 *
 * @example
 * const { redelegableEpoch } = await undelegateLicense(publicClient, ownerWallet, { checkerLicense, licenseId: 3n });
 */
export async function undelegateLicense(
  publicClient: PublicClient,
  walletClient: WalletClient<Transport, Chain | undefined, Account>,
  params: UndelegateLicenseParameters,
): Promise<UndelegateLicenseReturnType> {
  let hash: Hash;
  try {
    const { request } = await publicClient.simulateContract({
      address: params.checkerLicense,
      abi: checkerLicenseAbi,
      functionName: "undelegate",
      args: [params.licenseId],
      account: walletClient.account,
    });
    hash = await walletClient.writeContract({ ...request, chain: walletClient.chain ?? null });
  } catch (e) {
    throw toChainActionError(e, "undelegate");
  }
  let receipt: Awaited<ReturnType<PublicClient["waitForTransactionReceipt"]>>;
  try {
    receipt = await publicClient.waitForTransactionReceipt({ hash });
  } catch (e) {
    throw toChainActionError(e, "undelegate receipt");
  }
  if (receipt.status !== "success") {
    throw new Err(ChainActionErrorCode.FAILED, "undelegate transaction failed", { hash });
  }
  let redelegableEpoch: bigint;
  try {
    redelegableEpoch = BigInt(
      await publicClient.readContract({
        address: params.checkerLicense,
        abi: checkerLicenseAbi,
        functionName: "redelegableEpoch",
        args: [params.licenseId],
      }),
    );
  } catch (e) {
    throw toChainActionError(e, "redelegableEpoch");
  }
  return { hash, gasUsed: receipt.gasUsed, redelegableEpoch };
}
