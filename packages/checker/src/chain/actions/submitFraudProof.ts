import { fraudProofsAbi } from "@checkernet/contracts/generated/index";
import type { MatmulFraudProof } from "@checkernet/protocol/fraud/matmulFraud";
import type { Account, Address, Chain, Hash, PublicClient, Transport, WalletClient } from "viem";
import { ChainActionError, ChainActionErrorCode, toChainActionError } from "./errors.ts";
import { waitForReceipt } from "./receipt.ts";

export interface SubmitFraudProofReturnType {
  hash: Hash;
  gasUsed: bigint;
  blockNumber: bigint;
}

/**
 * Sends `FraudProofs.submitMatmulFraudProof(proof)` (the MATMUL_FRAUD_PROOF_ABI
 * tuple) and waits for the receipt. viem estimates gas first, so a proof the
 * contract refuses fails here with the custom error's name
 * (`details.revert`) and costs nothing.
 */
export async function submitFraudProof(
  publicClient: PublicClient,
  walletClient: WalletClient<Transport, Chain | undefined, Account>,
  params: { fraudProofs: Address; proof: MatmulFraudProof },
): Promise<SubmitFraudProofReturnType> {
  const p = params.proof;
  let hash: Hash;
  try {
    hash = await walletClient.writeContract({
      address: params.fraudProofs,
      abi: fraudProofsAbi,
      functionName: "submitMatmulFraudProof",
      args: [
        {
          epoch: p.epoch,
          provider: p.provider,
          checker: p.checker,
          seed: p.seed,
          classId: p.classId,
          n: p.n,
          root: p.root,
          signature: p.signature,
          i: p.i,
          j: p.j,
          chunk: p.chunk,
          chunkProof: p.chunkProof,
          rowProof: p.rowProof,
        },
      ],
      chain: walletClient.chain ?? null,
      account: walletClient.account,
    });
  } catch (e) {
    throw toChainActionError(e, "submitMatmulFraudProof");
  }
  const receipt = await waitForReceipt(publicClient, hash, "submitMatmulFraudProof");
  if (receipt.status !== "success") {
    throw new ChainActionError(ChainActionErrorCode.FAILED, "submitMatmulFraudProof transaction failed", {
      hash,
    });
  }
  return { hash, gasUsed: receipt.gasUsed, blockNumber: receipt.blockNumber };
}
