// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

/**
 * @dev Self-contained fraud proofs (docs/protocol/fraud-proofs.md): a provider's answer, signed with its
 * registered answer key, that the chain can show to be wrong slashes the provider at once, with no vote
 * and no contest. A bounty out of the slashed tokens goes to the checker named in the signed commitment.
 */
interface IFraudProofs {
    /**
     * @dev A wrong entry of a signed matmul commitment. The first seven fields are the signed
     * `MatmulCommitment`; `signature` is the answer key's 65-byte ECDSA signature (r ‖ s ‖ v) over its
     * EIP-712 digest; `chunk` is chunk `j / 8` of row `i` (eight int32 little-endian), proven by `chunkProof`
     * to a row root and that row's leaf by `rowProof` to `root`; the claimed C[i][j] is its entry `j % 8`.
     * Field names and order are packages/protocol's `MATMUL_FRAUD_PROOF_ABI`.
     */
    struct MatmulFraudProof {
        uint64 epoch;
        address provider;
        address checker;
        bytes32 seed;
        uint16 classId;
        uint32 n;
        bytes32 root;
        bytes signature;
        uint32 i;
        uint32 j;
        bytes32 chunk;
        bytes32[] chunkProof;
        bytes32[] rowProof;
    }

    /**
     * @notice `provider` committed a wrong entry (`i`, `j`) in `epoch`: `claimed` where the product
     * is `actual`. `slashed` tokens were taken, of which `bounty` went to `checker`; `submitter` sent the proof.
     */
    event MatmulFraudProven(
        address indexed provider,
        uint64 indexed epoch,
        address indexed checker,
        uint32 i,
        uint32 j,
        int256 claimed,
        int256 actual,
        uint256 slashed,
        uint256 bounty,
        address submitter
    );

    /// @dev A constructor parameter is out of range.
    error FraudProofsInvalidParameter(string name);

    /// @dev `epoch` is in the future or more than `windowEpochs` before `currentEpoch`.
    error FraudProofsEpochOutOfWindow(uint64 epoch, uint64 currentEpoch, uint64 windowEpochs);

    /// @dev `provider` was already slashed for a fraud in `epoch` (one fraud slash per provider and epoch).
    error FraudProofsAlreadySlashed(address provider, uint64 epoch);

    /**
     * @dev `provider` was already punished for `epoch` by the committee's FAIL verdict (Slashing's slash
     * `slashId` was executed): one punishment per provider and epoch.
     */
    error FraudProofsAlreadyPunished(address provider, uint64 epoch, uint256 slashId);

    /// @dev The matrix size is 0 or above MAX_MATMUL_SIZE.
    error FraudProofsInvalidSize(uint32 n);

    /// @dev The row i or the column j is not below n.
    error FraudProofsIndexOutOfRange(uint32 i, uint32 j, uint32 n);

    /// @dev A path is longer than its tree is deep (⌈log2 ⌈n/8⌉⌉ chunk-path nodes, ⌈log2 n⌉ row-path nodes).
    error FraudProofsPathTooLong(uint256 chunkProofLength, uint256 rowProofLength);

    /// @dev `provider` had no answer key in `epoch`.
    error FraudProofsNoAnswerKey(address provider, uint64 epoch);

    /// @dev The signature does not recover `answerKey`, the provider's key of the epoch (`signer` is what it recovers, zero if malformed).
    error FraudProofsInvalidSignature(address signer, address answerKey);

    /// @dev The chunk and its two paths do not lead to the signed root (`computed` is where they lead).
    error FraudProofsInvalidPath(bytes32 computed, bytes32 root);

    /// @dev The committed entry equals the product: not a fraud.
    error FraudProofsHonestEntry(uint32 i, uint32 j, int256 value);

    /**
     * @notice Verifies a wrong matmul entry signed by the provider's answer key of the proof's epoch and, if
     * it is one, slashes `fraudSlashBps` of the provider's slashable tokens at once and pays `bountyBps` of
     * what was slashed to the proof's `checker` (not to the sender: a copied proof pays the same checker).
     * Reverts with the first check that fails: window, replay, size, indices and path lengths, signature,
     * Merkle paths, entry.
     */
    function submitMatmulFraudProof(MatmulFraudProof calldata proof) external returns (uint256 slashed, uint256 bounty);

    /// @notice The EIP-712 digest the provider's answer key signs for a matmul commitment.
    function matmulCommitmentDigest(
        uint64 epoch,
        address provider,
        address checker,
        bytes32 seed,
        uint16 classId,
        uint32 n,
        bytes32 root
    ) external view returns (bytes32);

    /// @notice Whether `provider` was already slashed for a fraud in `epoch`.
    function isFraudSlashed(address provider, uint64 epoch) external view returns (bool);

    /// @notice C[i][j] of the n×n matmul challenge for `seed` (reverts on an invalid size or index).
    function matmulEntry(bytes32 seed, uint32 n, uint32 i, uint32 j) external pure returns (int256);

    /// @notice The provider registry whose answer keys and domain the proofs use.
    function providerRegistry() external view returns (address);

    /// @notice The Slashing contract whose executed committee slashes a fraud proof may not punish again.
    function slashing() external view returns (address);

    /// @notice Epochs back from the current one in which a commitment can still be proven wrong.
    function fraudProofWindowEpochs() external view returns (uint64);

    /// @notice Share of the provider's slashable tokens (stake + unbonding) a proven fraud slashes, in bps.
    function fraudSlashBps() external view returns (uint256);

    /// @notice Share of the slashed tokens paid to the commitment's checker, in bps (the rest is burned).
    function bountyBps() external view returns (uint256);
}
