// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

/**
 * @dev Stores 128-byte EIP-2537 G1 public keys as the code of tiny data
 * contracts (the SSTORE2 pattern). Reading a key back with EXTCODECOPY costs
 * about 2,700 gas cold, against 8,400 for four cold storage slots, and the
 * report committee reads one key per signing seat, so this is what keeps
 * `submitReport` cheap as the committee grows. `write` stores any data
 * (a sealed committee's keys too), up to the 24,575 bytes of EIP-170.
 */
library PublicKeyStore {
    /// @dev CREATE of the data contract failed (out of gas).
    error PublicKeyStoreWriteFailed();

    uint256 internal constant KEY_LENGTH = 128;

    /**
     * @dev Deploys a contract whose runtime code is `0x00 || key`: the leading
     * STOP byte makes it inert if anyone calls it. Creation code prefix:
     * PUSH2 size, DUP1, PUSH1 0x0a, RETURNDATASIZE, CODECOPY, RETURNDATASIZE, RETURN.
     */
    function write(bytes memory key) internal returns (address pointer) {
        bytes memory code = abi.encodePacked(hex"61", uint16(key.length + 1), hex"80600a3d393df3", hex"00", key);
        assembly ("memory-safe") {
            pointer := create(0, add(code, 0x20), mload(code))
        }
        if (pointer == address(0)) revert PublicKeyStoreWriteFailed();
    }

    /// @dev The key stored at `pointer`.
    function read(address pointer) internal view returns (bytes memory key) {
        key = new bytes(KEY_LENGTH);
        assembly ("memory-safe") {
            extcodecopy(pointer, add(key, 0x20), 1, KEY_LENGTH)
        }
    }

    /// @dev All `length` bytes of data stored at `pointer` by `write` (any length up to the code size limit).
    function readAll(address pointer, uint256 length) internal view returns (bytes memory data) {
        data = new bytes(length);
        assembly ("memory-safe") {
            extcodecopy(pointer, add(data, 0x20), 1, length)
        }
    }

    /// @dev Copies the key stored at `pointer` to memory address `destination` (128 bytes).
    function copyTo(address pointer, uint256 destination) internal view {
        assembly ("memory-safe") {
            extcodecopy(pointer, destination, 1, KEY_LENGTH)
        }
    }
}
