// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

/**
 * @dev BLS signatures in Ethereum's layout (public keys in G1, signatures in G2,
 * ciphersuite `BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_`) on top of the
 * EIP-2537 precompiles of the Prague hard fork.
 *
 * Points are in EIP-2537 form: every base-field element is 64 big-endian bytes
 * whose top 16 bytes are zero, a G2 coordinate `c0 + c1*u` is `c0 | c1`, a G1
 * point is 128 bytes, a G2 point 256 bytes and the point at infinity is all
 * zeros. Signatures are passed uncompressed because decompressing a G2 point
 * (a square root in Fp2) costs far more gas than 160 extra calldata bytes.
 *
 * Messages are always 32-byte signing roots, so `expand_message_xmd` is
 * specialised to a 32-byte input.
 */
library BLS12381 {
    /// @dev A precompile rejected its input (bad encoding, point off the curve or off the subgroup).
    error BLS12381PrecompileFailed(address precompile);

    uint256 internal constant G1_POINT_LENGTH = 128;
    uint256 internal constant G2_POINT_LENGTH = 256;

    address private constant _MODEXP = address(0x05);
    address private constant _G1_ADD = address(0x0b);
    address private constant _G2_ADD = address(0x0d);
    address private constant _PAIRING_CHECK = address(0x0f);
    address private constant _MAP_FP2_TO_G2 = address(0x11);

    /**
     * @dev The DST-bearing words of the two `expand_message_xmd` message layouts, for writing them with
     * mstore instead of concatenating (DST = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_", DST' = DST || 0x2b):
     * b0's message holds I2OSP(256, 2) || I2OSP(0, 1) || DST' from byte 96 (words A, B); b_i's holds
     * I2OSP(i, 1) || DST' from byte 32 (words C with i in its top byte, D).
     */
    uint256 private constant _XMD_A = 0x010000424c535f5349475f424c53313233383147325f584d443a5348412d3235;
    uint256 private constant _XMD_B = 0x365f535357555f524f5f504f505f2b0000000000000000000000000000000000;
    uint256 private constant _XMD_C = 0x00424c535f5349475f424c53313233383147325f584d443a5348412d3235365f;
    uint256 private constant _XMD_D = 0x535357555f524f5f504f505f2b00000000000000000000000000000000000000;

    /// @dev The MODEXP input tail after the 64-byte base: exponent 0x01, then the 48-byte modulus p.
    uint256 private constant _MODEXP_P_A = 0x011a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6;
    uint256 private constant _MODEXP_P_B = 0x241eabfffeb153ffffb9feffffffffaaab000000000000000000000000000000;

    /// @dev The negated G1 generator in EIP-2537 form: e(pk, H(m)) * e(-G1, sig) == 1 iff sig is valid.
    bytes private constant _NEG_G1_GENERATOR =
        hex"0000000000000000000000000000000017f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb"
        hex"00000000000000000000000000000000114d1d6855d545a8aa7d76c8cf2e21f267816aef1db507c96655b9d5caac42364e6f38ba0ecb751bad54dcd6b939c2ca";

    /**
     * @dev `expand_message_xmd(message, DST, 256)` of RFC 9380 with SHA-256:
     * the 256 uniform bytes from which hash_to_field draws two Fp2 elements.
     * Written in assembly (one scratch buffer, the SHA-256 precompile) because
     * every report and re-check pays for it.
     */
    function expandMessage(bytes32 message) internal view returns (bytes memory uniform) {
        uniform = new bytes(256);
        bool ok;
        assembly ("memory-safe") {
            let out := add(uniform, 0x20)
            let buf := mload(0x40)
            // msg_prime = Z_pad (64 zero bytes) || msg || I2OSP(256, 2) || I2OSP(0, 1) || DST': 143 bytes.
            mstore(buf, 0)
            mstore(add(buf, 0x20), 0)
            mstore(add(buf, 0x40), message)
            mstore(add(buf, 0x60), _XMD_A)
            mstore(add(buf, 0x80), _XMD_B)
            ok := staticcall(gas(), 0x02, buf, 143, buf, 0x20)
            let b0 := mload(buf)
            // b_1 = H(b0 || 1 || DST'); b_i = H((b0 ^ b_(i-1)) || i || DST'): 77 bytes each.
            let prev := 0
            for { let i := 1 } lt(i, 9) { i := add(i, 1) } {
                mstore(buf, xor(b0, prev))
                mstore(add(buf, 0x20), or(shl(248, i), _XMD_C))
                mstore(add(buf, 0x40), _XMD_D)
                ok := and(ok, staticcall(gas(), 0x02, buf, 77, add(out, mul(sub(i, 1), 0x20)), 0x20))
                prev := mload(add(out, mul(sub(i, 1), 0x20)))
            }
        }
        if (!ok) revert BLS12381PrecompileFailed(address(0x02));
    }

    /**
     * @dev `hash_to_field(message, 2)` over Fp2: (u0.c0, u0.c1, u1.c0, u1.c1),
     * each the reduction mod p of 64 uniform bytes, in EIP-2537 form (256 bytes).
     */
    function hashToField(bytes32 message) internal view returns (bytes memory fields) {
        bytes memory uniform = expandMessage(message);
        fields = new bytes(256);
        bool ok = true;
        assembly ("memory-safe") {
            let buf := mload(0x40)
            // MODEXP(base = 64 uniform bytes, exponent = 1, modulus = p) = base mod p, 48 bytes.
            mstore(buf, 64)
            mstore(add(buf, 0x20), 1)
            mstore(add(buf, 0x40), 48)
            mstore(add(buf, 0xa0), _MODEXP_P_A)
            mstore(add(buf, 0xc0), _MODEXP_P_B)
            for { let k := 0 } lt(k, 4) { k := add(k, 1) } {
                mcopy(add(buf, 0x60), add(add(uniform, 0x20), mul(k, 64)), 64)
                // Written right-aligned into the 64-byte slot: the top 16 bytes stay zero.
                ok := and(ok, staticcall(gas(), 0x05, buf, 209, add(add(fields, 0x30), mul(k, 64)), 48))
            }
        }
        if (!ok) revert BLS12381PrecompileFailed(_MODEXP);
    }

    /**
     * @dev `hash_to_curve(message)` on G2: map each field element with
     * MAP_FP2_TO_G2 (which clears the cofactor) and add the two points; cofactor
     * clearing is linear, so this equals clear_cofactor(Q0 + Q1) of RFC 9380.
     */
    function hashToG2(bytes32 message) internal view returns (bytes memory point) {
        point = new bytes(256);
        uint256 destination;
        assembly ("memory-safe") {
            destination := add(point, 0x20)
        }
        _hashToG2Into(message, destination);
    }

    /// @dev hashToG2, written to memory at `destination` (256 bytes).
    function _hashToG2Into(bytes32 message, uint256 destination) private view {
        bytes memory fields = hashToField(message);
        bool mapped;
        bool added;
        assembly ("memory-safe") {
            let f := add(fields, 0x20)
            let q := mload(0x40)
            mapped := staticcall(gas(), 0x11, f, 128, q, 256)
            mapped := and(mapped, staticcall(gas(), 0x11, add(f, 128), 128, add(q, 256), 256))
            added := staticcall(gas(), 0x0d, q, 512, destination, 256)
        }
        if (!mapped) revert BLS12381PrecompileFailed(_MAP_FP2_TO_G2);
        if (!added) revert BLS12381PrecompileFailed(_G2_ADD);
    }

    /// @dev `a + b` on G1 (no subgroup check: the pairing check does it).
    function g1Add(bytes memory a, bytes memory b) internal view returns (bytes memory sum) {
        bytes memory input = bytes.concat(a, b);
        sum = new bytes(128);
        bool ok;
        assembly ("memory-safe") {
            ok := and(eq(mload(input), 256), staticcall(gas(), 0x0b, add(input, 0x20), 256, add(sum, 0x20), 128))
        }
        if (!ok) revert BLS12381PrecompileFailed(_G1_ADD);
    }

    /// @dev True for the all-zero encoding of the point at infinity.
    function isInfinity(bytes memory point) internal pure returns (bool) {
        for (uint256 i = 0; i < point.length; i += 32) {
            bytes32 word;
            assembly ("memory-safe") {
                word := mload(add(add(point, 0x20), i))
            }
            if (word != 0) return false;
        }
        return true;
    }

    /**
     * @dev Verifies `signature` (G2, 256 bytes) over the 32-byte `message` for
     * `publicKey` (G1, 128 bytes) with one two-pair pairing check. The pairing
     * precompile checks that both points are on their curves and in the
     * prime-order subgroup; any malformed input yields false, never a revert.
     * A public key at infinity is refused (it would accept the signature at infinity).
     */
    function verify(bytes memory publicKey, bytes32 message, bytes memory signature) internal view returns (bool) {
        if (publicKey.length != G1_POINT_LENGTH || signature.length != G2_POINT_LENGTH) return false;
        if (isInfinity(publicKey)) return false;
        // pk (128) || H(m) (256) || -G1 (128) || sig (256), assembled in place.
        bytes memory input = new bytes(768);
        uint256 base;
        assembly ("memory-safe") {
            base := add(input, 0x20)
            mcopy(base, add(publicKey, 0x20), 128)
            mcopy(add(base, 512), add(signature, 0x20), 256)
        }
        _hashToG2Into(message, base + 128);
        bytes memory negG1 = _NEG_G1_GENERATOR;
        bool ok;
        uint256 result;
        assembly ("memory-safe") {
            mcopy(add(base, 384), add(negG1, 0x20), 128)
            ok := staticcall(gas(), 0x0f, base, 768, 0x00, 0x20)
            result := mload(0x00)
        }
        return ok && result == 1;
    }
}
