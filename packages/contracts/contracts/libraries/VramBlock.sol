// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

import {MatmulEntry} from "./MatmulEntry.sol";

/**
 * @dev One step of the VRAM walk recomputed on chain (packages/protocol challenges/vram.ts): block `index` of
 * the dataset `seed` (key = deriveKey(seed, "vram.block", index); word_0 = keccak256(key ‖ key); word_j =
 * keccak256(word_{j−1} ‖ word_{r_j}), r_j = uint32le(word_{j−1}[0..4]) mod j) and the step's digest
 * keccak256(nonce ‖ block). Used to measure whether a VRAM fraud proof fits on chain
 * (docs/protocol/fraud-proofs.md "VRAM fraud proof": it does not at the default 256 KiB block).
 */
library VramBlock {
    bytes32 private constant LABEL = "vram.block";
    uint256 private constant LABEL_LENGTH = 10;

    /// @dev keccak256(nonce ‖ block(seed, index, blockSize)); blockSize a positive multiple of 32.
    function stepDigest(bytes32 seed, uint256 index, uint256 blockSize, bytes32 nonce)
        internal
        pure
        returns (bytes32 digest)
    {
        bytes32 key = MatmulEntry.key(seed, LABEL, LABEL_LENGTH, index);
        assembly {
            let ptr := mload(0x40)
            mstore(ptr, nonce)
            let base := add(ptr, 0x20)
            let words := div(blockSize, 32)
            mstore(0x00, key)
            mstore(0x20, key)
            let w := keccak256(0x00, 0x40)
            mstore(base, w)
            for { let j := 1 } lt(j, words) { j := add(j, 1) } {
                // uint32 little-endian of the previous word's first four bytes.
                let b := shr(224, w)
                let le := or(
                    or(shr(24, b), and(shr(8, b), 0xff00)),
                    or(and(shl(8, b), 0xff0000), and(shl(24, b), 0xff000000))
                )
                mstore(0x00, w)
                mstore(0x20, mload(add(base, mul(mod(le, j), 32))))
                w := keccak256(0x00, 0x40)
                mstore(add(base, mul(j, 32)), w)
            }
            digest := keccak256(ptr, add(32, blockSize))
            mstore(0x40, add(base, blockSize))
        }
    }
}
