import { checkerLicenseAbi } from "@checkernet/contracts/generated/index";
import type { Account, Address, Chain, Hash, PublicClient, Transport, WalletClient } from "viem";
import { ChainActionErrorCode, ChainActionError as Err, toChainActionError } from "./errors.ts";

export interface DelegateLicenseParameters {
  checkerLicense: Address;
  licenseId: bigint;
  operator: Address;
}

export interface DelegateLicenseReturnType {
  hash: Hash;
  gasUsed: bigint;
}

/**
 * Delegates a license to an operator, paid by the license owner. The call is
 * simulated first, so a refusal costs no gas and names its reason.
 *
 * @example
 * const { hash } = await delegateLicense(publicClient, ownerWallet, { checkerLicense, licenseId: 3n, operator });
 */
export async function delegateLicense(
  publicClient: PublicClient,
  walletClient: WalletClient<Transport, Chain | undefined, Account>,
  params: DelegateLicenseParameters,
): Promise<DelegateLicenseReturnType> {
  let hash: Hash;
  try {
    const { request } = await publicClient.simulateContract({
      address: params.checkerLicense,
      abi: checkerLicenseAbi,
      functionName: "delegate",
      args: [params.licenseId, params.operator],
      account: walletClient.account,
    });
    hash = await walletClient.writeContract({ ...request, chain: walletClient.chain ?? null });
  } catch (e) {
    throw toChainActionError(e, "delegate");
  }
  let receipt: Awaited<ReturnType<PublicClient["waitForTransactionReceipt"]>>;
  try {
    receipt = await publicClient.waitForTransactionReceipt({ hash });
  } catch (e) {
    throw toChainActionError(e, "delegate receipt");
  }
  if (receipt.status !== "success")
    throw new Err(ChainActionErrorCode.FAILED, "delegate transaction failed", { hash });
  return { hash, gasUsed: receipt.gasUsed };
}
