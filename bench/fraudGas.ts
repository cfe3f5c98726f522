/**
 * Gas of `FraudProofs.submitMatmulFraudProof` (docs/protocol/contracts.md, FraudProofs): a wrong entry of a
 * signed matmul commitment at n = 1,024 (the default matmulSize) and n = 4,096, proven on the given
 * deployment. Everything the proof costs is in the number: calldata (two Merkle paths, the 65-byte
 * signature), the window and replay checks, the answer key's checkpoint lookup, ecrecover, both paths, the
 * two int8 streams of n bytes and n multiply-accumulates, the slash and the bounty transfer. Used by
 * bench/gas.ts.
 */
import { getAddress, keccak256, toHex } from "viem";
import { mined, setTime, type TestChain } from "../packages/contracts/test/helpers/chain.ts";
import { type Fixture, setupProvider } from "../packages/contracts/test/helpers/fixture.ts";
import { answerKeyOf, faultyRun, proofOf, proveAnswerKey } from "../packages/contracts/test/helpers/fraud.ts";

export const FRAUD_PROOF_SIZES = [1_024, 4_096] as const;

/** Registers a provider with an answer key, waits out the key's activation delay, and proves one fraud per size. */
export async function measureFraudProofGas(
  chain: TestChain,
  fx: Fixture,
): Promise<{ n1024: bigint; n4096: bigint }> {
  const wallet = chain.wallets[16]!;
  const provider = await setupProvider(fx, wallet);
  const key = answerKeyOf("bench fraud provider");
  const domain = {
    chainId: BigInt(fx.deployment.chainId),
    verifyingContract: fx.deployment.contracts.providerRegistry,
  };
  await mined(
    chain,
    fx
      .as(wallet)
      .providers.write.setAnswerKey([key.address, proveAnswerKey(key.privateKey, provider.address, domain)]),
  );
  let epoch = await fx.c.providers.read.effectiveEpochOfChange();
  const checker = getAddress(chain.wallets[15]!.account.address);
  const gas: bigint[] = [];
  for (const n of FRAUD_PROOF_SIZES) {
    // One fraud slash per (provider, epoch): each size in its own epoch.
    await setTime(chain, fx.deployment.genesisTime + (epoch - 1n) * fx.deployment.epochSeconds + 1n);
    const fields = {
      epoch,
      provider: provider.address,
      checker,
      seed: keccak256(toHex(`bench fraud ${n}`)),
      classId: 1,
      n,
    };
    const run = faultyRun(key.privateKey, domain, fields, n - 3, n - 2);
    const receipt = await mined(
      chain,
      fx.as(wallet).fraudProofs.write.submitMatmulFraudProof([proofOf(run, n - 3, n - 2)]),
    );
    gas.push(receipt.gasUsed);
    epoch += 1n;
  }
  return { n1024: gas[0]!, n4096: gas[1]! };
}
