// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

import {BLS12381} from "../libraries/BLS12381.sol";
import {PublicKeyStore} from "../libraries/PublicKeyStore.sol";
import {Tags} from "../libraries/Tags.sol";

/**
 * @dev The design the network avoids, for the gas benchmark only: every
 * attestation goes on-chain, its BLS signature is verified there and its
 * result stored. Keys are registered without a proof of possession (the
 * benchmark only measures submission). Same attestation layout and signing
 * root as packages/protocol/src/encoding/attestation.ts.
 */
contract NaiveAttestations {
    struct Attestation {
        uint64 epoch;
        address provider;
        address checker;
        uint8 kind;
        uint8 result;
        uint32 latencyP50Us;
        uint32 latencyP95Us;
        uint64 throughput;
        bytes32 transcriptHash;
    }

    struct Stored {
        uint8 result;
        uint32 latencyP50Us;
        uint32 latencyP95Us;
        uint64 throughput;
        bytes32 transcriptHash;
    }

    event AttestationRecorded(uint64 indexed epoch, address indexed provider, address indexed checker, uint8 result);

    error NaiveAttestationsInvalidSignature(uint256 index);
    error NaiveAttestationsDuplicate(uint256 index);

    bytes32 private immutable _domainSeparator;
    mapping(address checker => address keyPointer) private _keys;
    mapping(bytes32 key => Stored) private _attestations;

    constructor(address verifyingContract) {
        _domainSeparator = Tags.domainSeparator(block.chainid, verifyingContract);
    }

    function registerKey(bytes calldata publicKey) external {
        _keys[msg.sender] = PublicKeyStore.write(publicKey);
    }

    /// @dev Verifies and stores each attestation; signatures are 256-byte EIP-2537 G2 points.
    function submitAttestations(Attestation[] calldata attestations, bytes[] calldata signatures) external {
        for (uint256 i = 0; i < attestations.length; ++i) {
            Attestation calldata a = attestations[i];
            bytes32 root = keccak256(abi.encode(keccak256("checkernet.v1.attestation"), _domainSeparator, a));
            bytes memory key = PublicKeyStore.read(_keys[a.checker]);
            if (!BLS12381.verify(key, root, signatures[i])) revert NaiveAttestationsInvalidSignature(i);
            bytes32 slot = keccak256(abi.encode(a.epoch, a.provider, a.checker));
            if (_attestations[slot].transcriptHash != 0) revert NaiveAttestationsDuplicate(i);
            _attestations[slot] = Stored(a.result, a.latencyP50Us, a.latencyP95Us, a.throughput, a.transcriptHash);
            emit AttestationRecorded(a.epoch, a.provider, a.checker, a.result);
        }
    }
}
