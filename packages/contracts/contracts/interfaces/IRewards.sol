// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

import {Leaves} from "../libraries/Leaves.sol";

/**
 * @dev Reward claims against each epoch's rewards root. Provider leaves pay the
 * provider's address; license leaves pay the license's owner at claim time.
 * Tokens are minted at claim, so unclaimed or forfeited rewards never exist.
 */
interface IRewards {
    /// @dev One claim of a multi-claim.
    struct Claim {
        uint64 epoch;
        Leaves.RewardLeaf leaf;
        bytes32[] proof;
    }

    /// @notice `amount` of `epoch`'s rewards for (`beneficiary`, `id`) was paid to `recipient`.
    event RewardClaimed(
        uint64 indexed epoch,
        uint8 indexed beneficiary,
        uint256 indexed id,
        address recipient,
        uint256 amount
    );

    /// @dev `epoch` has no accepted report.
    error RewardsUnknownEpoch(uint64 epoch);

    /// @dev The leaf is not in `epoch`'s rewards tree.
    error RewardsInvalidProof(uint64 epoch);

    /// @dev (`beneficiary`, `id`) already claimed for `epoch`.
    error RewardsAlreadyClaimed(uint64 epoch, uint8 beneficiary, uint256 id);

    /// @dev Paying `amount` would take `epoch`'s payouts above the report's `totalRewards`.
    error RewardsEpochTotalExceeded(uint64 epoch, uint256 totalRewards, uint256 claimedAfter);

    /// @dev The beneficiary kind is unknown or a provider id is not an address.
    error RewardsInvalidBeneficiary(uint8 beneficiary, uint256 id);

    /// @dev License `licenseId` was delegated to `operator`, jailed in `epoch`: its reward is forfeited.
    error RewardsForfeited(uint64 epoch, uint256 licenseId, address operator);

    /// @dev License rewards of `epoch` are claimable from `unlockEpoch`, once no contest can take them back.
    error RewardsLocked(uint64 epoch, uint256 licenseId, uint64 unlockEpoch);

    /**
     * @notice Pays `leaf.amount` of `epoch`'s rewards, proven by `proof` against
     * the epoch's rewards root, to the provider (`beneficiary` 0, `id` =
     * uint160(address)) or to the license's current owner (`beneficiary` 1).
     * Anyone may submit the claim; the tokens always go to the beneficiary.
     */
    function claim(uint64 epoch, Leaves.RewardLeaf calldata leaf, bytes32[] calldata proof)
        external
        returns (address recipient);

    /// @notice {claim} for each element of `claims`, in order; reverts if any fails.
    function claimMany(Claim[] calldata claims) external;

    /// @notice Whether (`beneficiary`, `id`) has claimed `epoch`'s reward.
    function isClaimed(uint64 epoch, uint8 beneficiary, uint256 id) external view returns (bool);

    /// @notice Total paid out of `epoch`'s rewards so far.
    function claimedOf(uint64 epoch) external view returns (uint256);
}
