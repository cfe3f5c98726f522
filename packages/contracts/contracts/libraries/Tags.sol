// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

/**
 * @dev Domain tags, one per signed message type and per derivation, equal to
 * `DomainTag` in packages/protocol/src/encoding/domain.ts (keccak256 of the
 * ASCII string). A signature or a seat derived for one purpose can never be
 * reused for another.
 */
library Tags {
    /// @dev keccak256("checkernet.v1.network"): the domain separator itself.
    bytes32 internal constant NETWORK = keccak256("checkernet.v1.network");
    /// @dev keccak256("checkernet.v1.attestation"): one checker's attestation (signed twice for a slot: equivocation).
    bytes32 internal constant ATTESTATION = keccak256("checkernet.v1.attestation");
    /// @dev keccak256("checkernet.v1.report"): a report header co-signed by the report committee.
    bytes32 internal constant REPORT = keccak256("checkernet.v1.report");
    /// @dev keccak256("checkernet.v1.pop"): a checker's proof of possession of its BLS key.
    bytes32 internal constant PROOF_OF_POSSESSION = keccak256("checkernet.v1.pop");
    /// @dev keccak256("checkernet.v1.report-committee"): seat derivation of the report committee.
    bytes32 internal constant REPORT_COMMITTEE = keccak256("checkernet.v1.report-committee");
    /// @dev keccak256("checkernet.v1.epoch-seed"): derivation of epoch randomness.
    bytes32 internal constant EPOCH_SEED = keccak256("checkernet.v1.epoch-seed");
    /// @dev keccak256("checkernet.v1.recheck"): a re-check header co-signed by a re-check committee.
    bytes32 internal constant RECHECK = keccak256("checkernet.v1.recheck");
    /// @dev keccak256("checkernet.v1.recheck-committee"): seat derivation of a re-check committee.
    bytes32 internal constant RECHECK_COMMITTEE = keccak256("checkernet.v1.recheck-committee");

    /// @dev keccak256("checkernet.v1.seed-proposer"): seat derivation of an epoch's seed proposer.
    bytes32 internal constant SEED_PROPOSER = keccak256("checkernet.v1.seed-proposer");
    /// @dev keccak256("checkernet.v1.seed-reveal"): the message a seed proposer signs (its VRF input).
    bytes32 internal constant SEED_REVEAL = keccak256("checkernet.v1.seed-reveal");

    /**
     * @dev keccak256(abi.encode(NETWORK, chainId, verifyingContract)), as in the protocol's `domainSeparator`.
     * Callers pass `block.chainid` at call time, never a value cached at deployment, so that after a
     * chain split a signature made for one chain does not verify on the other.
     */
    function domainSeparator(uint256 chainId, address verifyingContract) internal pure returns (bytes32) {
        return keccak256(abi.encode(NETWORK, chainId, verifyingContract));
    }
}
