import { encodeAbiParameters, hexToBytes, keccak256 } from "viem";
import type { NetworkDomain, ReportHeader } from "../types.ts";
import { checkRange, defineCodec } from "./codec.ts";
import { DomainTag, domainSeparator } from "./domain.ts";

export const REPORT_HEADER_ABI = [
  {
    type: "tuple",
    components: [
      { name: "epoch", type: "uint64" },
      { name: "seed", type: "bytes32" },
      { name: "resultsRoot", type: "bytes32" },
      { name: "rewardsRoot", type: "bytes32" },
      { name: "totalRewards", type: "uint256" },
      { name: "providerCount", type: "uint32" },
      { name: "attestationCount", type: "uint32" },
    ],
  },
] as const;

export const reportHeaderCodec = defineCodec({
  name: "ReportHeader",
  maxBytes: 7 * 32,
  abi: REPORT_HEADER_ABI,
  toAbi: (r: ReportHeader) => [r] as const,
  fromAbi: ([f]) => {
    checkRange("ReportHeader", "epoch", f.epoch, 1n, (1n << 64n) - 1n);
    return { ...f };
  },
});

/**
 * The 32 bytes the report committee signs, and the contract recomputes:
 * keccak256(abi.encode(REPORT_TAG, domainSeparator, header)).
 */
export function reportSigningRoot(header: ReportHeader, domain: NetworkDomain): Uint8Array {
  return hexToBytes(
    keccak256(
      encodeAbiParameters(
        [{ type: "bytes32" }, { type: "bytes32" }, ...REPORT_HEADER_ABI],
        [DomainTag.REPORT, domainSeparator(domain), header],
      ),
    ),
  );
}
