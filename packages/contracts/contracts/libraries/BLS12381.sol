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

    /// @dev DST || I2OSP(len(DST), 1): the 43-byte signing DST followed by 0x2b.
    bytes private constant _DST_PRIME = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_\x2b";

    /// @dev The base-field modulus p, 48 bytes.
    bytes private constant _P =
        hex"1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab";

    /// @dev The negated G1 generator in EIP-2537 form: e(pk, H(m)) * e(-G1, sig) == 1 iff sig is valid.
    bytes private constant _NEG_G1_GENERATOR =
        hex"0000000000000000000000000000000017f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb"
        hex"00000000000000000000000000000000114d1d6855d545a8aa7d76c8cf2e21f267816aef1db507c96655b9d5caac42364e6f38ba0ecb751bad54dcd6b939c2ca";

    /**
     * @dev `expand_message_xmd(message, DST, 256)` of RFC 9380 with SHA-256:
     * the 256 uniform bytes from which hash_to_field draws two Fp2 elements.
     */
    function expandMessage(bytes32 message) internal pure returns (bytes memory uniform) {
        // msg_prime = Z_pad (64 zero bytes) || msg || I2OSP(256, 2) || I2OSP(0, 1) || DST_prime
        bytes32 b0 = sha256(abi.encodePacked(bytes32(0), bytes32(0), message, uint16(256), uint8(0), _DST_PRIME));
        bytes32 bi = sha256(abi.encodePacked(b0, uint8(1), _DST_PRIME));
        uniform = new bytes(256);
        assembly ("memory-safe") {
            mstore(add(uniform, 0x20), bi)
        }
        for (uint256 i = 2; i <= 8; ++i) {
            bi = sha256(abi.encodePacked(b0 ^ bi, uint8(i), _DST_PRIME));
            assembly ("memory-safe") {
                mstore(add(uniform, mul(i, 0x20)), bi)
            }
        }
    }

    /**
     * @dev `hash_to_field(message, 2)` over Fp2: (u0.c0, u0.c1, u1.c0, u1.c1),
     * each the reduction mod p of 64 uniform bytes, in EIP-2537 form (256 bytes).
     */
    function hashToField(bytes32 message) internal view returns (bytes memory fields) {
        bytes memory uniform = expandMessage(message);
        fields = new bytes(256);
        for (uint256 k = 0; k < 4; ++k) {
            bytes memory chunk = new bytes(64);
            assembly ("memory-safe") {
                mcopy(add(chunk, 0x20), add(add(uniform, 0x20), mul(k, 64)), 64)
            }
            // MODEXP(base = chunk, exponent = 1, modulus = p) = chunk mod p, 48 bytes.
            bytes memory input = abi.encodePacked(uint256(64), uint256(1), uint256(48), chunk, uint8(1), _P);
            bool ok;
            assembly ("memory-safe") {
                // Written right-aligned into the 64-byte slot: the top 16 bytes stay zero.
                ok := staticcall(gas(), 0x05, add(input, 0x20), mload(input), add(add(fields, 0x30), mul(k, 64)), 48)
            }
            if (!ok) revert BLS12381PrecompileFailed(_MODEXP);
        }
    }

    /**
     * @dev `hash_to_curve(message)` on G2: map each field element with
     * MAP_FP2_TO_G2 (which clears the cofactor) and add the two points; cofactor
     * clearing is linear, so this equals clear_cofactor(Q0 + Q1) of RFC 9380.
     */
    function hashToG2(bytes32 message) internal view returns (bytes memory point) {
        bytes memory fields = hashToField(message);
        bytes memory pair = new bytes(512);
        point = new bytes(256);
        bool mapped;
        bool added;
        assembly ("memory-safe") {
            let f := add(fields, 0x20)
            let q := add(pair, 0x20)
            mapped := staticcall(gas(), 0x11, f, 128, q, 256)
            mapped := and(mapped, staticcall(gas(), 0x11, add(f, 128), 128, add(q, 256), 256))
            added := staticcall(gas(), 0x0d, q, 512, add(point, 0x20), 256)
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
        bytes memory input = bytes.concat(publicKey, hashToG2(message), _NEG_G1_GENERATOR, signature);
        bool ok;
        uint256 result;
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x0f, add(input, 0x20), mload(input), 0x00, 0x20)
            result := mload(0x00)
        }
        return ok && result == 1;
    }
}
