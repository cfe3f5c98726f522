// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EpochClock} from "./EpochClock.sol";
import {IProviderRegistry} from "./interfaces/IProviderRegistry.sol";
import {IRewardToken} from "./interfaces/IRewardToken.sol";
import {ISlashing} from "./interfaces/ISlashing.sol";

/**
 * @dev Provider registration and staking. Unbonding tokens stay slashable and
 * `unbondingEpochs` must exceed the slashing contract's window to open a slash
 * (`contestWindowEpochs`), so a provider cannot withdraw ahead of a failure
 * that is already reported; while a slash is pending, withdrawal is blocked.
 */
contract ProviderRegistry is EpochClock, IProviderRegistry {
    using SafeERC20 for IRewardToken;

    uint256 public constant MAX_PEER_ID_LENGTH = 128;
    uint256 public constant MAX_LABEL_LENGTH = 64;

    struct Provider {
        bool registered;
        uint64 registeredEpoch;
        uint32 vramMiB;
        uint64 unbondingEndEpoch;
        uint256 stake;
        uint256 unbonding;
        bytes peerId;
        string gpuModel;
        string region;
    }

    IRewardToken private immutable _token;
    ISlashing private immutable _slashing;
    uint256 private immutable _minStake;
    uint64 private immutable _unbondingEpochs;

    mapping(address provider => Provider) private _providers;
    address[] private _providerList;

    constructor(
        uint64 genesisTime_,
        uint64 epochSeconds_,
        address token_,
        address slashing_,
        uint256 minStake_,
        uint64 unbondingEpochs_
    ) EpochClock(genesisTime_, epochSeconds_) {
        _token = IRewardToken(token_);
        _slashing = ISlashing(slashing_);
        _minStake = minStake_;
        _unbondingEpochs = unbondingEpochs_;
    }

    /// @inheritdoc IProviderRegistry
    function register(bytes calldata peerId, string calldata gpuModel, uint32 vramMiB, string calldata region)
        external
    {
        Provider storage provider = _providers[msg.sender];
        if (provider.registered) revert ProviderRegistryAlreadyRegistered(msg.sender);
        _checkFields(peerId, gpuModel, region);
        provider.registered = true;
        provider.registeredEpoch = currentEpoch();
        _setInfo(provider, peerId, gpuModel, vramMiB, region);
        _providerList.push(msg.sender);
        emit ProviderRegistered(msg.sender, peerId, gpuModel, vramMiB, region);
    }

    /// @inheritdoc IProviderRegistry
    function update(bytes calldata peerId, string calldata gpuModel, uint32 vramMiB, string calldata region)
        external
    {
        Provider storage provider = _requireRegistered(msg.sender);
        _checkFields(peerId, gpuModel, region);
        _setInfo(provider, peerId, gpuModel, vramMiB, region);
        emit ProviderUpdated(msg.sender, peerId, gpuModel, vramMiB, region);
    }

    /// @inheritdoc IProviderRegistry
    function stake(uint256 amount) external {
        Provider storage provider = _requireRegistered(msg.sender);
        if (amount == 0) revert ProviderRegistryZeroAmount();
        provider.stake += amount;
        emit Staked(msg.sender, amount, provider.stake);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IProviderRegistry
    function requestUnstake(uint256 amount) external {
        Provider storage provider = _requireRegistered(msg.sender);
        if (amount == 0) revert ProviderRegistryZeroAmount();
        if (amount > provider.stake) revert ProviderRegistryInsufficientStake(provider.stake, amount);
        // Checked above: amount <= stake.
        unchecked {
            provider.stake -= amount;
        }
        provider.unbonding += amount;
        uint64 endEpoch = currentEpoch() + _unbondingEpochs;
        provider.unbondingEndEpoch = endEpoch;
        emit UnstakeRequested(msg.sender, amount, provider.unbonding, endEpoch);
    }

    /// @inheritdoc IProviderRegistry
    function withdraw() external {
        Provider storage provider = _requireRegistered(msg.sender);
        uint256 amount = provider.unbonding;
        if (amount == 0) revert ProviderRegistryNothingUnbonding();
        uint64 epoch = currentEpoch();
        if (epoch < provider.unbondingEndEpoch) revert ProviderRegistryUnbonding(epoch, provider.unbondingEndEpoch);
        uint256 pending = _slashing.pendingSlashCount(msg.sender);
        if (pending != 0) revert ProviderRegistrySlashPending(msg.sender, pending);
        provider.unbonding = 0;
        emit Withdrawn(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IProviderRegistry
    function slash(address providerAddress, uint256 amount) external returns (uint256 slashed) {
        if (msg.sender != address(_slashing)) revert ProviderRegistryUnauthorized(msg.sender);
        Provider storage provider = _providers[providerAddress];
        uint256 fromStake = amount < provider.stake ? amount : provider.stake;
        uint256 rest = amount - fromStake;
        uint256 fromUnbonding = rest < provider.unbonding ? rest : provider.unbonding;
        // Both parts are capped by the balances they come from.
        unchecked {
            provider.stake -= fromStake;
            provider.unbonding -= fromUnbonding;
        }
        slashed = fromStake + fromUnbonding;
        emit ProviderSlashed(providerAddress, slashed, provider.stake, provider.unbonding);
        if (slashed != 0) _token.burn(slashed);
    }

    /// @inheritdoc IProviderRegistry
    function providerInfo(address providerAddress) external view returns (ProviderInfo memory) {
        Provider storage provider = _providers[providerAddress];
        return
            ProviderInfo({
                registered: provider.registered,
                registeredEpoch: provider.registeredEpoch,
                vramMiB: provider.vramMiB,
                unbondingEndEpoch: provider.unbondingEndEpoch,
                stake: provider.stake,
                unbonding: provider.unbonding,
                peerId: provider.peerId,
                gpuModel: provider.gpuModel,
                region: provider.region
            });
    }

    /// @inheritdoc IProviderRegistry
    function stakeOf(address providerAddress) external view returns (uint256) {
        return _providers[providerAddress].stake;
    }

    /// @inheritdoc IProviderRegistry
    function slashableOf(address providerAddress) external view returns (uint256) {
        Provider storage provider = _providers[providerAddress];
        return provider.stake + provider.unbonding;
    }

    /// @inheritdoc IProviderRegistry
    function isActive(address providerAddress) external view returns (bool) {
        Provider storage provider = _providers[providerAddress];
        return provider.registered && provider.stake >= _minStake;
    }

    /// @inheritdoc IProviderRegistry
    function providerCount() external view returns (uint256) {
        return _providerList.length;
    }

    /// @inheritdoc IProviderRegistry
    function providerAt(uint256 index) external view returns (address) {
        return _providerList[index];
    }

    /// @inheritdoc IProviderRegistry
    function minStake() external view returns (uint256) {
        return _minStake;
    }

    /// @inheritdoc IProviderRegistry
    function unbondingEpochs() external view returns (uint64) {
        return _unbondingEpochs;
    }

    function _requireRegistered(address account) private view returns (Provider storage provider) {
        provider = _providers[account];
        if (!provider.registered) revert ProviderRegistryNotRegistered(account);
    }

    function _checkFields(bytes calldata peerId, string calldata gpuModel, string calldata region) private pure {
        if (peerId.length == 0 || peerId.length > MAX_PEER_ID_LENGTH) {
            revert ProviderRegistryInvalidField("peerId", peerId.length);
        }
        uint256 modelLength = bytes(gpuModel).length;
        if (modelLength == 0 || modelLength > MAX_LABEL_LENGTH) {
            revert ProviderRegistryInvalidField("gpuModel", modelLength);
        }
        uint256 regionLength = bytes(region).length;
        if (regionLength == 0 || regionLength > MAX_LABEL_LENGTH) {
            revert ProviderRegistryInvalidField("region", regionLength);
        }
    }

    function _setInfo(
        Provider storage provider,
        bytes calldata peerId,
        string calldata gpuModel,
        uint32 vramMiB,
        string calldata region
    ) private {
        provider.peerId = peerId;
        provider.gpuModel = gpuModel;
        provider.vramMiB = vramMiB;
        provider.region = region;
    }
}
