import { type Address, getAddress, type Hex } from "viem";
import { type AnswerDomain, recoverMatmulCommitmentSigner } from "../fraud/answerSigning.ts";
import { type Reason, ReasonCode } from "./common.ts";

/**
 * The answer-key rule of a matmul run (docs/protocol/fraud-proofs.md): when
 * the provider has an answer key registered for the run's epoch, its
 * MatmulCommit must carry that key's EIP-712 MatmulCommitment signature over
 * (epoch, provider, checker, seed, classId, n, root). A signed commitment
 * turns a wrong opened row into a fraud proof; without this rule a provider
 * could send wrong rows under an unsigned or garbage signature and face only
 * a vote. A provider with no registered key is judged without it
 * (transition).
 */
export interface AnswerKeyCheck {
  /** ProviderRegistry.answerKeyAt(provider, epoch), as the checker read it. */
  key: Address;
  /** EIP-712 domain: the chain id and the ProviderRegistry address. */
  domain: AnswerDomain;
  epoch: bigint;
  provider: Address;
  /** The checker named in the MatmulRequest. */
  checker: Address;
}

/** The reason the commitment's signature breaks the rule, or null when it holds. */
export function commitmentSignatureReason(
  check: AnswerKeyCheck,
  run: { seed: Hex; n: number; classId: number; root: Hex; signature: Hex },
): Reason | null {
  if (run.signature === "0x" || run.signature.length <= 2) {
    return {
      code: ReasonCode.UNSIGNED_ANSWER,
      message: `the commitment is unsigned, but ${check.provider} has answer key ${check.key} in epoch ${check.epoch}`,
    };
  }
  const signer = recoverMatmulCommitmentSigner(
    check.domain,
    {
      epoch: check.epoch,
      provider: getAddress(check.provider),
      checker: getAddress(check.checker),
      seed: run.seed,
      classId: run.classId,
      n: run.n,
      root: run.root,
    },
    run.signature,
  );
  if (signer === null || signer !== getAddress(check.key)) {
    return {
      code: ReasonCode.BAD_ANSWER_SIGNATURE,
      message:
        signer === null
          ? "the commitment's signature is not a valid low-s 65-byte signature"
          : `the commitment is signed by ${signer}, not the answer key ${check.key}`,
    };
  }
  return null;
}
