// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {EpochClock} from "./EpochClock.sol";
import {IFraudProofs} from "./interfaces/IFraudProofs.sol";
import {IProviderRegistry} from "./interfaces/IProviderRegistry.sol";
import {ISlashing} from "./interfaces/ISlashing.sol";
import {AnswerSigning} from "./libraries/AnswerSigning.sol";
import {MatmulEntry} from "./libraries/MatmulEntry.sol";

/**
 * @dev Matmul fraud proofs (docs/protocol/fraud-proofs.md). A provider signs `MatmulCommitment(epoch,
 * provider, checker, seed, classId, n, root)` with its answer key; `root` commits to the result C through
 * the row tree v2 (chunk leaves `keccak256(0x00 ‖ uint32be(c) ‖ chunk)` under a row root, row leaves
 * `keccak256(0x01 ‖ uint32be(i) ‖ rowRoot)` under `root`, OpenZeppelin's commutative pair hash). One entry
 * of a proven chunk that differs from `Σ_k A[i][k]·B[k][j]`, recomputed here from the seed (MatmulEntry),
 * proves the commitment wrong: the provider is slashed at once through ProviderRegistry, once per epoch.
 *
 * The bounty goes to the `checker` of the signed commitment, never to `msg.sender`: copying a proof out of
 * the mempool and sending it first gains a front-runner nothing (the named checker is paid either way).
 * A provider naming itself as checker to reclaim its own slash still loses `10000 − bountyBps` of it.
 *
 * The window (`fraudProofWindowEpochs`) is shorter than ProviderRegistry's unbonding period, so a provider
 * cannot withdraw ahead of a fraud it committed while bonded.
 *
 * One punishment per (provider, epoch): a proof is refused when Slashing already executed the committee's
 * FAIL slash of that epoch (FraudProofsAlreadyPunished); a committee slash still pending or contested when
 * the proof lands is superseded by it (Slashing closes it without taking tokens).
 */
contract FraudProofs is EpochClock, IFraudProofs {
    /// @dev Largest n accepted (the codec bound `matmulMaxSize` of packages/protocol/src/params.ts).
    uint32 public constant MAX_MATMUL_SIZE = 8192;

    IProviderRegistry private immutable _providers;
    ISlashing private immutable _slashing;
    uint64 private immutable _windowEpochs;
    uint256 private immutable _fraudSlashBps;
    uint256 private immutable _bountyBps;

    /// @dev keccak256(abi.encode(provider, epoch)) => slashed for a fraud of that epoch.
    mapping(bytes32 providerAndEpoch => bool) private _slashed;

    /**
     * @param providers_ ProviderRegistry: answer keys, their EIP-712 domain and the slash.
     * @param slashing_ Slashing: a committee slash it executed for (provider, epoch) bars a fraud slash of it.
     * @param windowEpochs_ a commitment of epoch e can be proven wrong until epoch e + this (below the
     * registry's unbonding period by at least 2).
     * @param fraudSlashBps_ share of the slashable tokens (stake + unbonding) slashed per proven fraud.
     * @param bountyBps_ share of the slashed tokens paid to the commitment's checker (below 10000).
     */
    constructor(
        uint64 genesisTime_,
        uint64 epochSeconds_,
        address providers_,
        address slashing_,
        uint64 windowEpochs_,
        uint256 fraudSlashBps_,
        uint256 bountyBps_
    ) EpochClock(genesisTime_, epochSeconds_) {
        // A provider that unstakes in c is still checked in c + 1 (a leave counts from c + 2); a fraud of c + 1
        // must be provable (up to c + 1 + W) before it can withdraw (from c + U).
        if (windowEpochs_ + 2 > IProviderRegistry(providers_).unbondingEpochs()) {
            revert FraudProofsInvalidParameter("fraudProofWindowEpochs");
        }
        if (fraudSlashBps_ == 0 || fraudSlashBps_ > 10_000) revert FraudProofsInvalidParameter("fraudSlashBps");
        if (bountyBps_ >= 10_000) revert FraudProofsInvalidParameter("bountyBps");
        _providers = IProviderRegistry(providers_);
        _slashing = ISlashing(slashing_);
        _windowEpochs = windowEpochs_;
        _fraudSlashBps = fraudSlashBps_;
        _bountyBps = bountyBps_;
    }

    /// @inheritdoc IFraudProofs
    function submitMatmulFraudProof(MatmulFraudProof calldata proof)
        external
        returns (uint256 slashed, uint256 bounty)
    {
        uint64 epoch = proof.epoch;
        address provider = proof.provider;
        uint64 nowEpoch = currentEpoch();
        if (epoch > nowEpoch || nowEpoch - epoch > _windowEpochs) {
            revert FraudProofsEpochOutOfWindow(epoch, nowEpoch, _windowEpochs);
        }
        // Before the expensive checks: the loser of a race between two checkers pays little.
        bytes32 replayKey = keccak256(abi.encode(provider, epoch));
        if (_slashed[replayKey]) revert FraudProofsAlreadySlashed(provider, epoch);
        uint256 executed = _slashing.executedSlashIdOf(epoch, provider);
        if (executed != 0) revert FraudProofsAlreadyPunished(provider, epoch, executed);
        uint32 n = proof.n;
        if (n == 0 || n > MAX_MATMUL_SIZE) revert FraudProofsInvalidSize(n);
        if (proof.i >= n || proof.j >= n) revert FraudProofsIndexOutOfRange(proof.i, proof.j, n);
        // As packages/protocol's verifier: no path longer than its tree is deep.
        if (proof.chunkProof.length > _ceilLog2((uint256(n) + 7) / 8) || proof.rowProof.length > _ceilLog2(n)) {
            revert FraudProofsPathTooLong(proof.chunkProof.length, proof.rowProof.length);
        }

        _checkSignature(proof);
        int256 claimed = _provenEntry(proof);
        int256 actual = MatmulEntry.entry(proof.seed, n, proof.i, proof.j);
        if (claimed == actual) revert FraudProofsHonestEntry(proof.i, proof.j, actual);

        _slashed[replayKey] = true;
        uint256 amount = (_providers.slashableOf(provider) * _fraudSlashBps) / 10_000;
        (slashed, bounty) = _providers.slashWithBounty(provider, amount, proof.checker, _bountyBps);
        emit MatmulFraudProven(
            provider,
            epoch,
            proof.checker,
            proof.i,
            proof.j,
            claimed,
            actual,
            slashed,
            bounty,
            msg.sender
        );
    }

    /// @inheritdoc IFraudProofs
    function matmulCommitmentDigest(
        uint64 epoch,
        address provider,
        address checker,
        bytes32 seed,
        uint16 classId,
        uint32 n,
        bytes32 root
    ) public view returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(AnswerSigning.MATMUL_COMMITMENT_TYPEHASH, epoch, provider, checker, seed, classId, n, root)
        );
        return MessageHashUtils.toTypedDataHash(AnswerSigning.domainSeparator(address(_providers)), structHash);
    }

    /// @inheritdoc IFraudProofs
    function isFraudSlashed(address provider, uint64 epoch) external view returns (bool) {
        return _slashed[keccak256(abi.encode(provider, epoch))];
    }

    /// @inheritdoc IFraudProofs
    function matmulEntry(bytes32 seed, uint32 n, uint32 i, uint32 j) external pure returns (int256) {
        if (n == 0 || n > MAX_MATMUL_SIZE) revert FraudProofsInvalidSize(n);
        if (i >= n || j >= n) revert FraudProofsIndexOutOfRange(i, j, n);
        return MatmulEntry.entry(seed, n, i, j);
    }

    /// @inheritdoc IFraudProofs
    function providerRegistry() external view returns (address) {
        return address(_providers);
    }

    /// @inheritdoc IFraudProofs
    function slashing() external view returns (address) {
        return address(_slashing);
    }

    /// @inheritdoc IFraudProofs
    function fraudProofWindowEpochs() external view returns (uint64) {
        return _windowEpochs;
    }

    /// @inheritdoc IFraudProofs
    function fraudSlashBps() external view returns (uint256) {
        return _fraudSlashBps;
    }

    /// @inheritdoc IFraudProofs
    function bountyBps() external view returns (uint256) {
        return _bountyBps;
    }

    /// @dev The signature must recover the provider's answer key of the proof's epoch.
    function _checkSignature(MatmulFraudProof calldata proof) private view {
        address answerKey = _providers.answerKeyAt(proof.provider, proof.epoch);
        if (answerKey == address(0)) revert FraudProofsNoAnswerKey(proof.provider, proof.epoch);
        bytes32 digest = matmulCommitmentDigest(
            proof.epoch,
            proof.provider,
            proof.checker,
            proof.seed,
            proof.classId,
            proof.n,
            proof.root
        );
        (address signer, ECDSA.RecoverError error, ) = ECDSA.tryRecoverCalldata(digest, proof.signature);
        if (error != ECDSA.RecoverError.NoError || signer != answerKey) {
            revert FraudProofsInvalidSignature(signer, answerKey);
        }
    }

    /// @dev ⌈log2 x⌉ for x ≥ 1: the depth of a row tree of x leaves (row-tree.ts `maxProofLength`).
    function _ceilLog2(uint256 x) private pure returns (uint256 depth) {
        while ((uint256(1) << depth) < x) ++depth;
    }

    /// @dev Proves the chunk to the root and returns its entry `j % 8` (int32 little-endian).
    function _provenEntry(MatmulFraudProof calldata proof) private pure returns (int256 claimed) {
        bytes32 chunk = proof.chunk;
        bytes32 chunkLeaf = keccak256(abi.encodePacked(bytes1(0x00), proof.j / 8, chunk));
        bytes32 rowRoot = MerkleProof.processProofCalldata(proof.chunkProof, chunkLeaf);
        bytes32 rowLeaf = keccak256(abi.encodePacked(bytes1(0x01), proof.i, rowRoot));
        bytes32 computed = MerkleProof.processProofCalldata(proof.rowProof, rowLeaf);
        if (computed != proof.root) revert FraudProofsInvalidPath(computed, proof.root);
        uint256 offset = 4 * uint256(proof.j % 8);
        // Bytes offset..offset+3 of the chunk, least significant first.
        uint32 word = uint32(uint8(chunk[offset])) |
            (uint32(uint8(chunk[offset + 1])) << 8) |
            (uint32(uint8(chunk[offset + 2])) << 16) |
            (uint32(uint8(chunk[offset + 3])) << 24);
        claimed = int256(int32(word));
    }
}
