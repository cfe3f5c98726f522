// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

/**
 * @dev A checker license (ERC-721). Its owner delegates it to an operator (a
 * registered checker node); the operator's weight, and its share of report
 * committee seats, is the number of licenses delegated to it. Rewards accrue to
 * the license and its current owner claims them.
 */
interface ICheckerLicense {
    /// @notice `tokenId` now counts for `operator` from `epoch` on.
    event LicenseDelegated(uint256 indexed tokenId, address indexed operator, uint64 epoch);

    /// @notice `tokenId` stopped counting for `operator`; `by` undelegated it; it can be delegated again from `redelegableEpoch`.
    event LicenseUndelegated(
        uint256 indexed tokenId,
        address indexed operator,
        address by,
        uint64 redelegableEpoch
    );

    /// @dev `account` may not change the delegation of `tokenId`.
    error CheckerLicenseUnauthorized(address account, uint256 tokenId);

    /// @dev `tokenId` is already delegated to `operator`; undelegate first.
    error CheckerLicenseAlreadyDelegated(uint256 tokenId, address operator);

    /// @dev `tokenId` is not delegated.
    error CheckerLicenseNotDelegated(uint256 tokenId);

    /// @dev `tokenId` was undelegated recently and cannot be delegated before `redelegableEpoch`.
    error CheckerLicenseCoolingDown(uint256 tokenId, uint64 currentEpoch, uint64 redelegableEpoch);

    /// @dev Delegation to the zero address.
    error CheckerLicenseZeroOperator();

    /// @dev The cool-down given to the constructor is zero.
    error CheckerLicenseInvalidCooldown();

    /// @notice Mints the next license to `to`. Only the owner (the license seller; it can mint, nothing else).
    function mint(address to) external returns (uint256 tokenId);

    /// @notice Mints `count` consecutive licenses to `to` and returns the first id. Only the owner.
    function mintBatch(address to, uint256 count) external returns (uint256 firstTokenId);

    /**
     * @notice Delegates `tokenId` to `operator`, which must be registered in the
     * checker registry, not exiting and not jailed. Only the license's owner or
     * an approved account; the license must not be delegated or cooling down.
     */
    function delegate(uint256 tokenId, address operator) external;

    /**
     * @notice Ends the delegation of `tokenId`. The owner, an approved account or
     * the operator itself (to release a license before exiting) may call it. The
     * license then cools down for `delegationCooldownEpochs` epochs, so it never
     * counts for two operators in one epoch.
     */
    function undelegate(uint256 tokenId) external;

    /// @notice The operator `tokenId` is delegated to now (zero if none).
    function operatorOf(uint256 tokenId) external view returns (address);

    /// @notice The operator `tokenId` was delegated to at the end of `epoch` (zero if none).
    function operatorAt(uint256 tokenId, uint64 epoch) external view returns (address);

    /// @notice First epoch in which `tokenId` may be delegated again.
    function redelegableEpoch(uint256 tokenId) external view returns (uint64);

    /// @notice Number of licenses minted.
    function totalSupply() external view returns (uint256);

    /// @notice Epochs a license waits after undelegation before it can be delegated again.
    function delegationCooldownEpochs() external view returns (uint64);

    /// @notice The checker registry notified of every delegation change.
    function registry() external view returns (address);
}
