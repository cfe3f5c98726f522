// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {EpochClock} from "./EpochClock.sol";
import {ICheckerLicense} from "./interfaces/ICheckerLicense.sol";
import {ICheckerRegistry} from "./interfaces/ICheckerRegistry.sol";

/**
 * @dev Checker licenses (ERC-721) with delegation to operators. The owner
 * of this contract can mint licenses and nothing else (it cannot move, burn or
 * undelegate anyone's license). A delegation history per license, in epochs,
 * tells the rewards contract which operator a license worked for in a past
 * epoch, so an operator's penalty reaches the licenses it ran at the time. Like
 * the registry's snapshots, the history is keyed by the epoch a change takes
 * effect (the registry's activation delay after it lands).
 */
contract CheckerLicense is ERC721, Ownable, EpochClock, ICheckerLicense {
    using Checkpoints for Checkpoints.Trace208;

    struct Delegation {
        address operator;
        uint64 redelegableEpoch;
    }

    ICheckerRegistry private immutable _registry;
    uint64 private immutable _cooldownEpochs;

    uint256 private _totalSupply;
    mapping(uint256 tokenId => Delegation) private _delegations;
    mapping(uint256 tokenId => Checkpoints.Trace208) private _history;

    /**
     * @param cooldownEpochs_ epochs a license waits after undelegation; at least 1,
     * so that a license never counts for two operators in the same epoch.
     */
    constructor(
        uint64 genesisTime_,
        uint64 epochSeconds_,
        address initialOwner,
        address registry_,
        uint64 cooldownEpochs_
    ) ERC721("Checkernet Checker License", "CHKL") Ownable(initialOwner) EpochClock(genesisTime_, epochSeconds_) {
        if (cooldownEpochs_ == 0) revert CheckerLicenseInvalidCooldown();
        _registry = ICheckerRegistry(registry_);
        _cooldownEpochs = cooldownEpochs_;
    }

    /// @inheritdoc ICheckerLicense
    function mint(address to) external returns (uint256 tokenId) {
        // Checked inline rather than with the onlyOwner modifier: EDR reports reverts raised inside
        // modifiers in a form viem cannot decode, and wallets should see OwnableUnauthorizedAccount.
        _checkOwner();
        tokenId = ++_totalSupply;
        _mint(to, tokenId);
    }

    /// @inheritdoc ICheckerLicense
    function mintBatch(address to, uint256 count) external returns (uint256 firstTokenId) {
        _checkOwner();
        firstTokenId = _totalSupply + 1;
        for (uint256 i = 0; i < count; ++i) {
            _mint(to, firstTokenId + i);
        }
        _totalSupply += count;
    }

    /// @inheritdoc ICheckerLicense
    function delegate(uint256 tokenId, address operator) external {
        address owner = _requireOwned(tokenId);
        if (!_isAuthorized(owner, msg.sender, tokenId)) revert CheckerLicenseUnauthorized(msg.sender, tokenId);
        if (operator == address(0)) revert CheckerLicenseZeroOperator();
        Delegation storage delegation = _delegations[tokenId];
        if (delegation.operator != address(0)) revert CheckerLicenseAlreadyDelegated(tokenId, delegation.operator);
        uint64 epoch = currentEpoch();
        if (epoch < delegation.redelegableEpoch) {
            revert CheckerLicenseCoolingDown(tokenId, epoch, delegation.redelegableEpoch);
        }

        delegation.operator = operator;
        // The registry refuses operators that are unregistered, exiting or jailed.
        uint64 effectiveEpoch = _registry.onLicenseDelegated(tokenId, operator);
        _history[tokenId].push(uint48(effectiveEpoch), uint208(uint160(operator)));
        emit LicenseDelegated(tokenId, operator, effectiveEpoch);
    }

    /// @inheritdoc ICheckerLicense
    function undelegate(uint256 tokenId) external {
        address owner = _requireOwned(tokenId);
        Delegation storage delegation = _delegations[tokenId];
        address operator = delegation.operator;
        if (operator == address(0)) revert CheckerLicenseNotDelegated(tokenId);
        if (msg.sender != operator && !_isAuthorized(owner, msg.sender, tokenId)) {
            revert CheckerLicenseUnauthorized(msg.sender, tokenId);
        }
        uint64 epoch = currentEpoch();
        uint64 redelegable = epoch + _cooldownEpochs;

        delegation.operator = address(0);
        delegation.redelegableEpoch = redelegable;
        uint64 effectiveEpoch = _registry.onLicenseUndelegated(tokenId, operator);
        _history[tokenId].push(uint48(effectiveEpoch), 0);
        emit LicenseUndelegated(tokenId, operator, msg.sender, redelegable);
    }

    /// @inheritdoc ICheckerLicense
    function operatorOf(uint256 tokenId) external view returns (address) {
        return _delegations[tokenId].operator;
    }

    /// @inheritdoc ICheckerLicense
    function operatorAt(uint256 tokenId, uint64 epoch) external view returns (address) {
        return address(uint160(_history[tokenId].upperLookupRecent(uint48(epoch))));
    }

    /// @inheritdoc ICheckerLicense
    function redelegableEpoch(uint256 tokenId) external view returns (uint64) {
        return _delegations[tokenId].redelegableEpoch;
    }

    /// @inheritdoc ICheckerLicense
    function totalSupply() external view returns (uint256) {
        return _totalSupply;
    }

    /// @inheritdoc ICheckerLicense
    function delegationCooldownEpochs() external view returns (uint64) {
        return _cooldownEpochs;
    }

    /// @inheritdoc ICheckerLicense
    function registry() external view returns (address) {
        return address(_registry);
    }
}
