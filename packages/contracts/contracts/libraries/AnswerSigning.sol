// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

/**
 * @dev The EIP-712 messages a provider's answer key signs (docs/protocol/fraud-proofs.md), under the domain
 * { name: "checkernet", version: "1", chainId, verifyingContract: ProviderRegistry }. ProviderRegistry
 * checks the proof of possession (`AnswerKey`) and FraudProofs the matmul commitment, both against this
 * one domain.
 */
library AnswerSigning {
    string internal constant NAME = "checkernet";
    string internal constant VERSION = "1";

    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    /// @dev Signed by the answer key itself when a provider registers or rotates it (proof of possession).
    bytes32 internal constant ANSWER_KEY_TYPEHASH = keccak256("AnswerKey(address provider,address answerKey)");

    /// @dev Signed by the answer key when the provider commits to the root of a matmul result.
    bytes32 internal constant MATMUL_COMMITMENT_TYPEHASH =
        keccak256(
            "MatmulCommitment(uint64 epoch,address provider,address checker,bytes32 seed,uint16 classId,uint32 n,bytes32 root)"
        );

    /// @dev The domain separator of `registry` on the current chain.
    function domainSeparator(address registry) internal view returns (bytes32) {
        return
            keccak256(
                abi.encode(DOMAIN_TYPEHASH, keccak256(bytes(NAME)), keccak256(bytes(VERSION)), block.chainid, registry)
            );
    }
}
