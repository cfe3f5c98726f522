import { encodeAbiParameters, type Hex, hexToBytes, keccak256, toBytes } from "viem";

/**
 * Re-check reports: the header a re-check committee co-signs to resolve a
 * contested slash (contracts/interfaces/ISlashing.sol, `RecheckHeader`), and
 * its two domain tags, which the protocol's DomainTag table does not hold yet.
 */
export const RecheckTag = {
  /** keccak256("checkernet.v1.recheck"): the signing tag of a re-check header. */
  RECHECK: keccak256(toBytes("checkernet.v1.recheck")),
  /** keccak256("checkernet.v1.recheck-committee"): seat derivation of a re-check committee. */
  RECHECK_COMMITTEE: keccak256(toBytes("checkernet.v1.recheck-committee")),
} as const;

export const RECHECK_HEADER_ABI = [
  {
    type: "tuple",
    components: [
      { name: "slashId", type: "uint256" },
      { name: "provider", type: "address" },
      { name: "accusedEpoch", type: "uint64" },
      { name: "recheckEpoch", type: "uint64" },
      { name: "verdict", type: "uint8" },
      { name: "attestations", type: "uint16" },
      { name: "failures", type: "uint16" },
      { name: "evidenceRoot", type: "bytes32" },
    ],
  },
] as const;

export interface RecheckHeader {
  slashId: bigint;
  provider: Hex;
  accusedEpoch: bigint;
  /** The epoch the re-check ran in (the contest epoch + 1, from the RecheckRequested event). */
  recheckEpoch: bigint;
  /** 0 PASS (overturns the slash), 1 FAIL (upholds it), 2 INCONCLUSIVE (cancels it without penalty). */
  verdict: number;
  attestations: number;
  failures: number;
  /** Merkle root of the re-check attestations kept as evidence. */
  evidenceRoot: Hex;
}

/**
 * keccak256(abi.encode(RECHECK_TAG, domainSeparator, header)): the 32 bytes
 * the re-check committee signs, equal to `Slashing.recheckSigningRoot`.
 *
 * @example
 * const root = recheckSigningRoot(header, await reports.read.domainSeparator());
 */
export function recheckSigningRoot(header: RecheckHeader, domainSeparator: Hex): Uint8Array {
  return hexToBytes(
    keccak256(
      encodeAbiParameters(
        [{ type: "bytes32" }, { type: "bytes32" }, ...RECHECK_HEADER_ABI],
        [RecheckTag.RECHECK, domainSeparator, header],
      ),
    ),
  );
}

/**
 * Seat j of a re-check committee is active license
 * uint256(keccak256(abi.encode(RECHECK_COMMITTEE_TAG, seedOf(recheckEpoch), slashId, j))) % activeLicenseCount;
 * `Slashing.recheckCommittee(slashId)` returns the operators.
 */
export function recheckSeatIndex(
  seed: Hex,
  slashId: bigint,
  seat: number,
  activeLicenseCount: number,
): number {
  const h = keccak256(
    encodeAbiParameters(
      [{ type: "bytes32" }, { type: "bytes32" }, { type: "uint256" }, { type: "uint256" }],
      [RecheckTag.RECHECK_COMMITTEE, seed, slashId, BigInt(seat)],
    ),
  );
  return Number(BigInt(h) % BigInt(activeLicenseCount));
}
