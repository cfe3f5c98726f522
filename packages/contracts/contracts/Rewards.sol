// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ICheckerLicense} from "./interfaces/ICheckerLicense.sol";
import {ICheckerRegistry} from "./interfaces/ICheckerRegistry.sol";
import {IEpochClock} from "./interfaces/IEpochClock.sol";
import {IEpochReports} from "./interfaces/IEpochReports.sol";
import {IRewards} from "./interfaces/IRewards.sol";
import {IRewardToken} from "./interfaces/IRewardToken.sol";
import {ISlashing} from "./interfaces/ISlashing.sol";
import {Leaves} from "./libraries/Leaves.sol";

/**
 * @dev Merkle claims of epoch rewards, minted on claim. The report committee
 * fixes each epoch's rewards root and total (within the budget the reports
 * contract enforces); this contract adds that no epoch ever pays out more than
 * its total, whatever the tree holds, and that each (beneficiary, id) claims
 * once per epoch. A license whose operator signed a failure of the epoch that a
 * re-check overturned forfeits that epoch's reward; so that no accuser can claim
 * before that is decided, license rewards of an epoch stay locked until the
 * contest window and re-check deadline that follow its report have passed
 * (`Slashing.penaltiesFinalEpoch`). Provider rewards are not locked.
 */
contract Rewards is IRewards {
    IEpochReports private immutable _reports;
    IRewardToken private immutable _token;
    ICheckerLicense private immutable _license;
    ICheckerRegistry private immutable _registry;
    ISlashing private immutable _slashing;

    mapping(bytes32 claimKey => bool) private _claimed;
    mapping(uint64 epoch => uint256) private _claimedOf;

    constructor(address reports_, address token_, address license_, address registry_, address slashing_) {
        _slashing = ISlashing(slashing_);
        _reports = IEpochReports(reports_);
        _token = IRewardToken(token_);
        _license = ICheckerLicense(license_);
        _registry = ICheckerRegistry(registry_);
    }

    /// @inheritdoc IRewards
    function claim(uint64 epoch, Leaves.RewardLeaf calldata leaf, bytes32[] calldata proof)
        external
        returns (address recipient)
    {
        return _claim(epoch, leaf, proof);
    }

    /// @inheritdoc IRewards
    function claimMany(Claim[] calldata claims) external {
        for (uint256 i = 0; i < claims.length; ++i) {
            _claim(claims[i].epoch, claims[i].leaf, claims[i].proof);
        }
    }

    /// @inheritdoc IRewards
    function isClaimed(uint64 epoch, uint8 beneficiary, uint256 id) external view returns (bool) {
        return _claimed[_claimKey(epoch, beneficiary, id)];
    }

    /// @inheritdoc IRewards
    function claimedOf(uint64 epoch) external view returns (uint256) {
        return _claimedOf[epoch];
    }

    function _claim(uint64 epoch, Leaves.RewardLeaf calldata leaf, bytes32[] calldata proof)
        private
        returns (address recipient)
    {
        (bytes32 root, uint256 totalRewards) = _reports.rewardsOf(epoch);
        if (root == 0) revert RewardsUnknownEpoch(epoch);
        bytes32 key = _claimKey(epoch, leaf.beneficiary, leaf.id);
        if (_claimed[key]) revert RewardsAlreadyClaimed(epoch, leaf.beneficiary, leaf.id);
        if (!MerkleProof.verifyCalldata(proof, root, Leaves.hash(leaf))) revert RewardsInvalidProof(epoch);
        uint256 claimedAfter = _claimedOf[epoch] + leaf.amount;
        if (claimedAfter > totalRewards) revert RewardsEpochTotalExceeded(epoch, totalRewards, claimedAfter);
        recipient = _recipientOf(epoch, leaf);

        _claimed[key] = true;
        _claimedOf[epoch] = claimedAfter;
        emit RewardClaimed(epoch, leaf.beneficiary, leaf.id, recipient, leaf.amount);
        if (leaf.amount != 0) _token.mint(recipient, leaf.amount);
    }

    function _recipientOf(uint64 epoch, Leaves.RewardLeaf calldata leaf) private view returns (address) {
        if (leaf.beneficiary == Leaves.BENEFICIARY_PROVIDER) {
            if (leaf.id > type(uint160).max) revert RewardsInvalidBeneficiary(leaf.beneficiary, leaf.id);
            return address(uint160(leaf.id));
        }
        if (leaf.beneficiary == Leaves.BENEFICIARY_LICENSE) {
            uint64 unlockEpoch = _slashing.penaltiesFinalEpoch(epoch) + 1;
            uint64 nowEpoch = IEpochClock(address(_reports)).currentEpoch();
            if (nowEpoch < unlockEpoch) revert RewardsLocked(epoch, leaf.id, unlockEpoch);
            address owner = IERC721(address(_license)).ownerOf(leaf.id);
            address operator = _license.operatorAt(leaf.id, epoch);
            if (operator != address(0) && _slashing.isPenalized(operator, epoch)) {
                revert RewardsForfeited(epoch, leaf.id, operator);
            }
            return owner;
        }
        revert RewardsInvalidBeneficiary(leaf.beneficiary, leaf.id);
    }

    function _claimKey(uint64 epoch, uint8 beneficiary, uint256 id) private pure returns (bytes32) {
        return keccak256(abi.encode(epoch, beneficiary, id));
    }
}
