import { encodeAbiParameters, type Hex, keccak256, toBytes } from "viem";
import type { NetworkDomain } from "../types.ts";

/**
 * Domain tags, one per signed message type. The contracts hold the same
 * constants (keccak256 of these strings), so a signature over one message
 * type can never be replayed as another.
 */
export const DomainTag = {
  NETWORK: keccak256(toBytes("checkernet.v1.network")),
  ATTESTATION: keccak256(toBytes("checkernet.v1.attestation")),
  REPORT: keccak256(toBytes("checkernet.v1.report")),
  SORTITION: keccak256(toBytes("checkernet.v1.sortition")),
  PROOF_OF_POSSESSION: keccak256(toBytes("checkernet.v1.pop")),
  PEER_BINDING: keccak256(toBytes("checkernet.v1.peer-binding")),
  REPORT_COMMITTEE: keccak256(toBytes("checkernet.v1.report-committee")),
  EPOCH_SEED: keccak256(toBytes("checkernet.v1.epoch-seed")),
  SEED_PROPOSER: keccak256(toBytes("checkernet.v1.seed-proposer")),
  SEED_REVEAL: keccak256(toBytes("checkernet.v1.seed-reveal")),
} as const;

/** keccak256(abi.encode(NETWORK_TAG, chainId, verifyingContract)): mixed into every signing root. */
export function domainSeparator(domain: NetworkDomain): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: "bytes32" }, { type: "uint256" }, { type: "address" }],
      [DomainTag.NETWORK, domain.chainId, domain.verifyingContract],
    ),
  );
}
