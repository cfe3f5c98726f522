// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

import {VramBlock} from "../libraries/VramBlock.sol";

/// @dev Exposes VramBlock to the tests: one VRAM walk step recomputed on chain, and the gas it took.
contract VramBlockMock {
    function stepDigest(bytes32 seed, uint256 index, uint256 blockSize, bytes32 nonce)
        external
        view
        returns (bytes32 digest, uint256 gasUsed)
    {
        uint256 before = gasleft();
        digest = VramBlock.stepDigest(seed, index, blockSize, nonce);
        gasUsed = before - gasleft();
    }
}
