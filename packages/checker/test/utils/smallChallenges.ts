import { challengeKindForEpoch } from "@checkernet/protocol/challenges/transcript";
import { answerKeyAddress, signMatmulCommitment } from "@checkernet/protocol/fraud/answerSigning";
import { withParams } from "@checkernet/protocol/params";
import { type Address, ChallengeKind } from "@checkernet/protocol/types";
import { type Hex, keccak256 } from "viem";
import type { CheckerHost } from "../../src/network/host.ts";
import type { ProviderRecord } from "../../src/validation/providerDirectory.ts";
import { startChallengeServer } from "./challengeServer.ts";
import { randomAddress } from "./fixtures.ts";

/**
 * Challenges that run in milliseconds against a test provider: 4 pings 10 ms apart, a 32 × 32 product with
 * 4 rows sampled, a 16-step walk over 64-byte blocks with 4 sampled.
 */
export const SMALL_CHALLENGE_PARAMS = withParams({
  pingCount: 4,
  pingIntervalMs: 10,
  pingTimeoutMs: 400,
  matmulSize: 32,
  matmulSampledRows: 4,
  vramBlockSize: 64,
  vramWalkSteps: 16,
  vramSampledBlocks: 4,
});

/**
 * A provider served on `host` whose workload in `epoch` (drawn with `seed`) is MATMUL, with an answer key
 * (`answerKey`), committing to a wrong product it signs: a run against it fails with a fraud proof.
 */
export async function wrongProductProvider(
  host: CheckerHost,
  workload: { seed: Hex; epoch: bigint },
  answerKey: Hex,
): Promise<ProviderRecord> {
  let address: Address = randomAddress();
  while (
    challengeKindForEpoch(workload.seed, address, workload.epoch, SMALL_CHALLENGE_PARAMS) !==
    ChallengeKind.MATMUL
  )
    address = randomAddress();
  const domain = { chainId: 31337n, verifyingContract: randomAddress() };
  await startChallengeServer(host, "wrong-product", {
    sign: (req, root) => signMatmulCommitment(answerKey, domain, { ...req, provider: address, root }),
  });
  return {
    address,
    peerId: host.peerId.toString(),
    multiaddrs: host.getMultiaddrs().map(String),
    classId: 1,
    region: 0,
    vramBytes: 4096,
    vramSalt: keccak256("0x02"),
    answer: { key: answerKeyAddress(answerKey), ...domain },
  };
}
