// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

/**
 * @dev One entry of the matmul challenge's product, recomputed on chain (docs/protocol/fraud-proofs.md):
 * `C[i][j] = Σ_k A[i][k]·B[k][j]`, where row i of A is the int8 stream (seed, "matmul.a", i) and column j
 * of B the int8 stream (seed, "matmul.bt", j) of packages/protocol/src/challenges/prng.ts:
 *
 *   key    = keccak256(PRNG_TAG ‖ seed ‖ uint32be(index) ‖ utf8(label))
 *   state  = the key's first 16 bytes as four little-endian uint32 words s0..s3 (all zero: s0 = 1)
 *   output = xoshiro128** words rotl(s1·5, 7)·9 mod 2^32, each emitted as 4 bytes little-endian,
 *            each byte an int8 (two's complement).
 *
 * The hot loop, in assembly, runs both generators at once and takes 8 multiply-accumulates per MUL:
 *
 * - **Two generators in one word.** xoshiro's state update is XORs, shifts and one rotation, all lane-wise,
 *   so stream A's state words sit in bits 0..31 and stream B's in bits 128..159 of the same four stack
 *   words (masked after each left shift and the rotation, so no bit crosses a lane); the output's ·5 and ·9
 *   are multiplications by constants, which distribute over the lanes too.
 * - **Dot products by multiplication.** Eight int8 values of A are spread into the eight 32-bit lanes of
 *   a word P (lane k holds a_k), eight of B into Q in reverse (lane 7 − k holds b_k); lane 7 of P·Q is then
 *   Σ a_k·b_k. Lanes are signed (`spread(byte ^ 0x80) − 0x80 per lane`, as integers mod 2^256); every
 *   lane's coefficient stays below 2^17 in magnitude, so the lower lanes of the accumulated products never
 *   reach lane 7 (|Σ lower| < 2^220 for n ≤ 8192 < 2^223) and lane 7, rounded, is the exact sum.
 *
 * Gas: about 70 per int8 pair at n = 4096 (bench/gas.ts measures the whole fraud proof).
 */
library MatmulEntry {
    /// @dev keccak256("checkernet.v1.challenge.prng"), `PRNG_TAG` of prng.ts.
    bytes32 internal constant PRNG_TAG = keccak256("checkernet.v1.challenge.prng");
    /// @dev Label of A's rows.
    bytes32 internal constant LABEL_A = "matmul.a";
    uint256 internal constant LABEL_A_LENGTH = 8;
    /// @dev Label of B's columns (B transposed: column j of B is a stream).
    bytes32 internal constant LABEL_B = "matmul.bt";
    uint256 internal constant LABEL_B_LENGTH = 9;

    /**
     * @dev C[i][j] of the n×n product for `seed`. n ≤ 2^16 keeps the bounds above; the caller checks
     * `i, j < n` (the entry is defined for any index below 2^32 all the same).
     */
    function entry(bytes32 seed, uint256 n, uint256 i, uint256 j) internal pure returns (int256 value) {
        uint256 a = _state(key(seed, LABEL_A, LABEL_A_LENGTH, i));
        uint256 b = _state(key(seed, LABEL_B, LABEL_B_LENGTH, j));
        return _dot(a, b, n);
    }

    /// @dev `deriveKey(seed, label, index)` of prng.ts for a label of up to 28 bytes, left-aligned in `label`.
    function key(bytes32 seed, bytes32 label, uint256 labelLength, uint256 index) internal pure returns (bytes32 k) {
        bytes32 tag = PRNG_TAG;
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, tag)
            mstore(add(p, 0x20), seed)
            mstore(add(p, 0x40), or(shl(224, and(index, 0xffffffff)), shr(32, label)))
            k := keccak256(p, add(68, labelLength))
        }
    }

    /**
     * @dev `length` bytes of the int8 stream of `key` (each byte an int8 in two's complement), one generator
     * at a time: the reference the tests compare with prng.ts, not used by `entry`.
     */
    function stream(bytes32 key_, uint256 length) internal pure returns (bytes memory out) {
        uint256 packed = _state(key_);
        uint256 s0 = packed & 0xffffffff;
        uint256 s1 = (packed >> 32) & 0xffffffff;
        uint256 s2 = (packed >> 64) & 0xffffffff;
        uint256 s3 = (packed >> 96) & 0xffffffff;
        out = new bytes(length);
        for (uint256 i = 0; i < length; i += 4) {
            uint256 r;
            unchecked {
                uint256 m = (s1 * 5) & 0xffffffff;
                r = ((((m << 7) | (m >> 25)) & 0xffffffff) * 9) & 0xffffffff;
                uint256 t = (s1 << 9) & 0xffffffff;
                s2 ^= s0;
                s3 ^= s1;
                s1 ^= s2;
                s0 ^= s3;
                s2 ^= t;
                s3 = ((s3 << 11) | (s3 >> 21)) & 0xffffffff;
            }
            for (uint256 k = 0; k < 4 && i + k < length; ++k) {
                out[i + k] = bytes1(uint8(r >> (8 * k)));
            }
        }
    }

    /// @dev The generator state of `key_`: s0 | s1 << 32 | s2 << 64 | s3 << 96, each word little-endian.
    function _state(bytes32 key_) private pure returns (uint256 s) {
        assembly ("memory-safe") {
            for {
                let w := 0
            } lt(w, 4) {
                w := add(w, 1)
            } {
                let o := shl(2, w)
                let word := or(
                    or(byte(o, key_), shl(8, byte(add(o, 1), key_))),
                    or(shl(16, byte(add(o, 2), key_)), shl(24, byte(add(o, 3), key_)))
                )
                s := or(s, shl(shl(5, w), word))
            }
            // The all-zero state is xoshiro's fixed point: prng.ts sets s0 = 1.
            if iszero(s) {
                s := 1
            }
        }
    }

    /// @dev Σ_k a_k·b_k over the first n bytes of the streams of packed states `a` and `b` (see `_state`).
    function _dot(uint256 a, uint256 b, uint256 n) private pure returns (int256 value) {
        assembly ("memory-safe") {
            // Lane masks: bits 0..31 and 128..159 hold stream A and stream B.
            let LANES := 0xffffffff000000000000000000000000ffffffff
            // (x·5 mod 2^32) << 7 in each lane, from x·640.
            let ROT := 0x7fffffff8000000000000000000000007fffffff80
            let SIGN := 0x8080808000000000000000000000000080808080
            let BIAS := 0x8000000080000000800000008000000080000000800000008000000080
            let s0 := or(and(a, 0xffffffff), shl(128, and(b, 0xffffffff)))
            let s1 := or(and(shr(32, a), 0xffffffff), shl(128, and(shr(32, b), 0xffffffff)))
            let s2 := or(and(shr(64, a), 0xffffffff), shl(128, and(shr(64, b), 0xffffffff)))
            let s3 := or(and(shr(96, a), 0xffffffff), shl(128, and(shr(96, b), 0xffffffff)))
            let acc := 0
            let pu := 0
            let q := 0
            for {
                let g := shr(3, add(n, 7))
            } g {
                g := sub(g, 1)
            } {
                // Output of step 1 (lanes A and B, ·9 junk above bit 31 of each lane).
                let x := and(mul(s1, 640), ROT)
                let r0 := mul(and(or(x, shr(32, x)), LANES), 9)
                let t := and(shl(9, s1), LANES)
                s2 := xor(s2, s0)
                s3 := xor(s3, s1)
                s1 := xor(s1, s2)
                s0 := xor(s0, s3)
                s2 := xor(s2, t)
                s3 := and(or(shl(11, s3), shr(21, s3)), LANES)
                // Step 2.
                x := and(mul(s1, 640), ROT)
                let r1 := mul(and(or(x, shr(32, x)), LANES), 9)
                t := and(shl(9, s1), LANES)
                s2 := xor(s2, s0)
                s3 := xor(s3, s1)
                s1 := xor(s1, s2)
                s0 := xor(s0, s3)
                s2 := xor(s2, t)
                s3 := and(or(shl(11, s3), shr(21, s3)), LANES)

                // a0..a3 at bits 0..31, a4..a7 at 128..159; then pairs, then bytes to lanes 0..7.
                pu := xor(or(and(r0, 0xffffffff), shl(128, and(r1, 0xffffffff))), SIGN)
                pu := and(or(pu, shl(48, pu)), 0xffff000000000000ffff000000000000ffff000000000000ffff)
                pu := and(or(pu, shl(24, pu)), 0xff000000ff000000ff000000ff000000ff000000ff000000ff000000ff)
                // b0..b3 at bits 128..159, b4..b7 at 0..31; then to lanes 7..0 (b_k in lane 7 - k).
                q := xor(or(and(r0, 0xffffffff00000000000000000000000000000000), and(shr(128, r1), 0xffffffff)), SIGN)
                q := or(
                    shl(64, and(q, 0xffff0000000000000000000000000000ffff)),
                    and(shr(16, q), 0xffff0000000000000000000000000000ffff)
                )
                q := sub(
                    or(
                        shl(32, and(q, 0xff00000000000000ff00000000000000ff00000000000000ff)),
                        and(shr(8, q), 0xff00000000000000ff00000000000000ff00000000000000ff)
                    ),
                    BIAS
                )
                acc := add(acc, mul(sub(pu, BIAS), q))
            }
            // The last group ran past n: take back the products of its lanes n % 8 .. 7.
            let rem := and(n, 7)
            if rem {
                let high := not(sub(shl(shl(5, rem), 1), 1))
                acc := sub(acc, mul(sub(and(pu, high), and(BIAS, high)), q))
            }
            value := signextend(3, shr(224, add(acc, shl(223, 1))))
        }
    }
}
