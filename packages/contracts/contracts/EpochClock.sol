// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

import {IEpochClock} from "./interfaces/IEpochClock.sol";

/**
 * @dev Epoch numbering as immutables, inherited by every contract that needs
 * the current epoch (so none pays for an external call to learn it). The
 * deployment gives all of them the same genesis time and epoch length.
 */
abstract contract EpochClock is IEpochClock {
    uint64 private immutable _genesisTime;
    uint64 private immutable _epochSeconds;

    constructor(uint64 genesisTime_, uint64 epochSeconds_) {
        if (epochSeconds_ == 0) revert EpochClockZeroLength();
        _genesisTime = genesisTime_;
        _epochSeconds = epochSeconds_;
    }

    /// @inheritdoc IEpochClock
    function genesisTime() public view returns (uint64) {
        return _genesisTime;
    }

    /// @inheritdoc IEpochClock
    function epochSeconds() public view returns (uint64) {
        return _epochSeconds;
    }

    /// @inheritdoc IEpochClock
    function currentEpoch() public view returns (uint64) {
        return epochAt(block.timestamp);
    }

    /// @inheritdoc IEpochClock
    function epochAt(uint256 timestamp) public view returns (uint64) {
        if (timestamp < _genesisTime) return 0;
        return uint64((timestamp - _genesisTime) / _epochSeconds + 1);
    }

    /// @inheritdoc IEpochClock
    function epochStartTime(uint64 epoch) public view returns (uint256) {
        if (epoch == 0) return 0;
        return uint256(_genesisTime) + uint256(epoch - 1) * _epochSeconds;
    }
}
