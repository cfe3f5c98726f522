// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/**
 * @dev The network's ERC-20: staked by providers, posted as contest bonds, paid
 * as rewards. Only the rewards contract mints, and only against a Merkle proof
 * within an epoch's budget; slashed stake and forfeited bonds are burned.
 */
interface IRewardToken is IERC20 {
    /// @dev `account` called `mint` but is not the minter.
    error RewardTokenUnauthorizedMinter(address account);

    /// @notice Mints `amount` to `to`. Only the minter (the rewards contract).
    function mint(address to, uint256 amount) external;

    /// @notice Destroys `amount` of the caller's tokens.
    function burn(uint256 amount) external;

    /// @notice The only address allowed to mint, fixed at deployment.
    function minter() external view returns (address);
}
