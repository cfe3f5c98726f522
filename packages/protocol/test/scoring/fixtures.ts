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
