// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

/**
 * @dev The two per-epoch Merkle leaf layouts of packages/protocol/src/merkle/leaves.ts.
 * Trees are OpenZeppelin StandardMerkleTree: leaf = keccak256(bytes.concat(keccak256(abi.encode(values)))),
 * so a leaf can never be confused with an inner node.
 */
library Leaves {
    /// @dev Verdict of a result leaf (packages/protocol `Verdict`).
    uint8 internal constant VERDICT_PASS = 0;
    uint8 internal constant VERDICT_FAIL = 1;
    uint8 internal constant VERDICT_INCONCLUSIVE = 2;

    /// @dev Beneficiary of a reward leaf (packages/protocol `Beneficiary`).
    uint8 internal constant BENEFICIARY_PROVIDER = 0;
    uint8 internal constant BENEFICIARY_LICENSE = 1;

    /// @dev One provider's outcome in one epoch.
    struct ResultLeaf {
        address provider;
        uint8 verdict;
        uint32 scoreBps;
        uint32 medianLatencyUs;
        uint16 attestations;
        uint16 failures;
        uint256 slashAmount;
        address[] accusers;
    }

    /// @dev One payment of one epoch: `id` is uint160(provider) or a license token id.
    struct RewardLeaf {
        uint8 beneficiary;
        uint256 id;
        uint256 amount;
    }

    function hash(ResultLeaf calldata leaf) internal pure returns (bytes32) {
        return
            keccak256(
                bytes.concat(
                    keccak256(
                        abi.encode(
                            leaf.provider,
                            leaf.verdict,
                            leaf.scoreBps,
                            leaf.medianLatencyUs,
                            leaf.attestations,
                            leaf.failures,
                            leaf.slashAmount,
                            leaf.accusers
                        )
                    )
                )
            );
    }

    function hash(RewardLeaf calldata leaf) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(leaf.beneficiary, leaf.id, leaf.amount))));
    }
}
