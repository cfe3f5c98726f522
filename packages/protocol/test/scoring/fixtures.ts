import { type Address, getAddress, type Hex, keccak256, toHex } from "viem";
import { type Attestation, ChallengeKind, type CheckResult } from "../../src/types.ts";

/** Deterministic distinct addresses for tests. */
export function address(label: string | number): Address {
  return getAddress(keccak256(toHex(`address:${label}`)).slice(0, 42));
}

export function attestation(fields: {
  epoch?: bigint;
  provider: Address;
  checker: Address;
  result: CheckResult;
  latencyP50Us?: number;
}): Attestation {
  const p50 = fields.latencyP50Us ?? 20_000;
  return {
    epoch: fields.epoch ?? 10n,
    provider: fields.provider,
    checker: fields.checker,
    kind: ChallengeKind.LATENCY,
    result: fields.result,
    latencyP50Us: p50,
    latencyP95Us: p50 + 1_000,
    throughput: 0n,
    transcriptHash: keccak256(toHex(`${fields.checker}:${fields.provider}:${fields.result}`)) as Hex,
  };
}

/**
 * A small epoch: an honest provider, a cheater most checkers fail, and a
 * provider only two checkers reached (INCONCLUSIVE). Five checkers with 1-3
 * licenses each. Used by the report tests and the golden report vector.
 */
export function smallEpoch(epoch = 10n) {
  const checkers = [0, 1, 2, 3, 4].map((i) => address(`checker-${i}`));
  const honest = address("provider-honest");
  const cheater = address("provider-cheater");
  const quiet = address("provider-quiet");
  const seats = [1, 2, 1, 3, 1];
  const E18 = 10n ** 18n;
  const att = (provider: Address, i: number, result: CheckResult, p50: number) => ({
    attestation: attestation({ epoch, provider, checker: checkers[i]!, result, latencyP50Us: p50 }),
    seats: seats[i]!,
  });
  const perProvider = [
    {
      provider: honest,
      stake: 1_000n * E18,
      attestations: [
        att(honest, 0, 0, 21_000),
        att(honest, 1, 0, 19_500),
        att(honest, 2, 0, 22_000),
        att(honest, 3, 1, 5),
      ],
    },
    {
      provider: cheater,
      stake: 500n * E18,
      attestations: [
        att(cheater, 0, 1, 0),
        att(cheater, 1, 2, 0),
        att(cheater, 3, 1, 0),
        att(cheater, 4, 0, 150_000),
      ],
    },
    {
      provider: quiet,
      stake: 800n * E18,
      attestations: [att(quiet, 2, 0, 30_000), att(quiet, 4, 0, 31_000)],
    },
  ];
  const licensesByChecker = new Map<Address, bigint[]>([
    [checkers[0]!, [1n]],
    [checkers[1]!, [2n, 3n]],
    [checkers[2]!, [4n]],
    [checkers[3]!, [5n, 6n, 7n]],
    [checkers[4]!, [8n]],
  ]);
  return { epoch, checkers, honest, cheater, quiet, perProvider, licensesByChecker };
}
