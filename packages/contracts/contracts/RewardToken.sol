// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {IRewardToken} from "./interfaces/IRewardToken.sol";

/**
 * @dev The network token. An initial supply goes to one holder (the devnet
 * faucet, or a treasury); afterwards only the rewards contract mints, and it
 * does so only for proven claims within each epoch's budget. There is no owner.
 */
contract RewardToken is ERC20, ERC20Burnable, ERC20Permit, IRewardToken {
    address private immutable _minter;

    constructor(address minter_, address initialHolder, uint256 initialSupply)
        ERC20("Checkernet Reward", "CHKR")
        ERC20Permit("Checkernet Reward")
    {
        _minter = minter_;
        if (initialSupply > 0) _mint(initialHolder, initialSupply);
    }

    /// @inheritdoc IRewardToken
    function mint(address to, uint256 amount) external {
        if (msg.sender != _minter) revert RewardTokenUnauthorizedMinter(msg.sender);
        _mint(to, amount);
    }

    /// @inheritdoc IRewardToken
    function burn(uint256 amount) public override(ERC20Burnable, IRewardToken) {
        super.burn(amount);
    }

    /// @inheritdoc IRewardToken
    function minter() external view returns (address) {
        return _minter;
    }
}
