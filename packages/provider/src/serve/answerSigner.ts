import type { MatmulRequest } from "@checkernet/protocol/challenges/matmul";
import {
  type AnswerDomain,
  type AnswerMessage,
  answerKeyAddress,
  answersHash,
  signMatmulCommitment,
  signRunTranscript,
} from "@checkernet/protocol/fraud/answerSigning";
import { type Address, getAddress, type Hex } from "viem";

/**
 * Signs the provider's matmul commitments and, at the end of each run, its
 * RunTranscript (run-signature.ts) with its answer key (EIP-712
 * MatmulCommitment, docs/protocol/fraud-proofs.md) under the domain
 * {name "checkernet", version "1", chainId, verifyingContract = ProviderRegistry}.
 * A signed commitment makes a wrong row a fraud proof; an honest provider's
 * signatures cost it a few milliseconds per run (bench:challenge -- --signing).
 */
export interface AnswerSigner {
  /** The answer key's address (what ProviderRegistry.answerKeyAt returns). */
  address: Address;
  /** The signature over (request.epoch, provider, request.checker, request.seed, classId, n, root). */
  signCommitment(request: MatmulRequest, root: Hex): Hex;
  /** The RunTranscript signature over (epoch, provider, checker, run seed, answersHash(messages)). */
  signRun(run: { epoch: bigint; checker: Address; seed: Hex }, messages: readonly AnswerMessage[]): Hex;
}

export function answerSigner(privateKey: Hex, providerAddress: Address, domain: AnswerDomain): AnswerSigner {
  const provider = getAddress(providerAddress);
  const signingDomain = { chainId: domain.chainId, verifyingContract: getAddress(domain.verifyingContract) };
  return {
    address: answerKeyAddress(privateKey),
    signCommitment: (request, root) =>
      signMatmulCommitment(privateKey, signingDomain, {
        epoch: request.epoch,
        provider,
        checker: request.checker,
        seed: request.seed,
        classId: request.classId,
        n: request.n,
        root,
      }),
    signRun: (run, messages) =>
      signRunTranscript(privateKey, signingDomain, {
        epoch: run.epoch,
        provider,
        checker: getAddress(run.checker),
        seed: run.seed,
        answersHash: answersHash(messages),
      }),
  };
}
