// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

import {MatmulEntry} from "../libraries/MatmulEntry.sol";

/// @dev Exposes the MatmulEntry library to the tests (cross-checks with packages/protocol's prng.ts and matmul.ts).
contract MatmulEntryMock {
    /// @dev C[i][j] of the n×n product for `seed`, and the gas the library spent on it.
    function entry(bytes32 seed, uint256 n, uint256 i, uint256 j) external view returns (int256 value, uint256 gasUsed) {
        uint256 before = gasleft();
        value = MatmulEntry.entry(seed, n, i, j);
        gasUsed = before - gasleft();
    }

    /// @dev `deriveKey(seed, label, index)` of prng.ts (label of up to 28 bytes).
    function deriveKey(bytes32 seed, string calldata label, uint256 index) external pure returns (bytes32) {
        return MatmulEntry.key(seed, bytes32(bytes(label)), bytes(label).length, index);
    }

    /// @dev The first `length` bytes of the int8 stream (seed, label, index), from the one-generator reference.
    function int8Stream(bytes32 seed, string calldata label, uint256 index, uint256 length)
        external
        pure
        returns (bytes memory)
    {
        return MatmulEntry.stream(MatmulEntry.key(seed, bytes32(bytes(label)), bytes(label).length, index), length);
    }
}
