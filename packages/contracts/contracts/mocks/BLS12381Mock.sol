// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

import {BLS12381} from "../libraries/BLS12381.sol";

/// @dev Exposes the BLS library to the tests (golden vectors and cross-checks with @noble/curves).
contract BLS12381Mock {
    function expandMessage(bytes32 message) external view returns (bytes memory) {
        return BLS12381.expandMessage(message);
    }

    function hashToField(bytes32 message) external view returns (bytes memory) {
        return BLS12381.hashToField(message);
    }

    function hashToG2(bytes32 message) external view returns (bytes memory) {
        return BLS12381.hashToG2(message);
    }

    function g1Add(bytes calldata a, bytes calldata b) external view returns (bytes memory) {
        return BLS12381.g1Add(a, b);
    }

    function verify(bytes calldata publicKey, bytes32 message, bytes calldata signature) external view returns (bool) {
        return BLS12381.verify(publicKey, message, signature);
    }

    /// @dev Gas of one verification, for the benchmark.
    function verifyGas(bytes calldata publicKey, bytes32 message, bytes calldata signature)
        external
        view
        returns (bool valid, uint256 gasUsed)
    {
        uint256 start = gasleft();
        valid = BLS12381.verify(publicKey, message, signature);
        gasUsed = start - gasleft();
    }
}
