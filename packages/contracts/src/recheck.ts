import { type Address, encodeAbiParameters, type Hex, hexToBytes, keccak256, toBytes } from "viem";

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
 * keccak256(abi.encode(RECHECK_TAG, domainSeparator, slashing, header)): the 32 bytes
 * the re-check committee signs, equal to `Slashing.recheckSigningRoot`. It names
 * the Slashing contract that checks it, so it cannot be replayed on another one.
 *
 * @example
 * const root = recheckSigningRoot(header, await reports.read.domainSeparator(), deployment.contracts.slashing);
 */
export function recheckSigningRoot(
  header: RecheckHeader,
  domainSeparator: Hex,
  slashing: Address,
): Uint8Array {
  return hexToBytes(
    keccak256(
      encodeAbiParameters(
        [{ type: "bytes32" }, { type: "bytes32" }, { type: "address" }, ...RECHECK_HEADER_ABI],
        [RecheckTag.RECHECK, domainSeparator, slashing, header],
      ),
    ),
  );
}

/**
 * Candidate `draw` for seat j of a re-check committee: license index
 * uint256(keccak256(abi.encode(RECHECK_COMMITTEE_TAG, seedOf(recheckEpoch), slashId, j, draw))) % licenseCountAt(recheckEpoch)
 * of the re-check epoch's snapshot; the first candidate whose operator is not jailed takes the seat
 * (`CheckerRegistry.committeeAt`, `Slashing.recheckCommittee(slashId)`).
 */
export function recheckSeatIndex(
  seed: Hex,
  slashId: bigint,
  seat: number,
  licenseCount: number,
  draw = 0,
): number {
  const h = keccak256(
    encodeAbiParameters(
      [
        { type: "bytes32" },
        { type: "bytes32" },
        { type: "uint256" },
        { type: "uint256" },
        { type: "uint256" },
      ],
      [RecheckTag.RECHECK_COMMITTEE, seed, slashId, BigInt(seat), BigInt(draw)],
    ),
  );
  return Number(BigInt(h) % BigInt(licenseCount));
}
