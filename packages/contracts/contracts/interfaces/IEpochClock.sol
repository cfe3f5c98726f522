// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

/**
 * @dev Epoch numbering shared by every contract of the network: epoch 0 is
 * everything before `genesisTime`, epoch 1 starts at `genesisTime`, and each
 * epoch lasts `epochSeconds` (900 in production, seconds on a devnet).
 */
interface IEpochClock {
    /// @dev The epoch length given to the constructor is zero.
    error EpochClockZeroLength();

    /// @notice Timestamp at which epoch 1 starts.
    function genesisTime() external view returns (uint64);

    /// @notice Length of one epoch in seconds.
    function epochSeconds() external view returns (uint64);

    /// @notice The epoch of the current block.
    function currentEpoch() external view returns (uint64);

    /// @notice The epoch containing `timestamp` (0 before genesis).
    function epochAt(uint256 timestamp) external view returns (uint64);

    /// @notice Timestamp at which `epoch` (>= 1) starts.
    function epochStartTime(uint64 epoch) external view returns (uint256);
}
