import { type Address, encodeAbiParameters, hexToBytes, isAddress, keccak256, toHex } from "viem";
import { DomainTag, domainSeparator } from "../encoding/domain.ts";
import type { NetworkDomain } from "../types.ts";
import type { BlsBackend } from "./backend.ts";
import { g1ToEip2537 } from "./eip2537.ts";
import { BlsError, BlsErrorCode } from "./errors.ts";

function checkOperator(operator: Address): void {
  if (!isAddress(operator, { strict: false })) {
    throw new BlsError(BlsErrorCode.INVALID_ADDRESS, "operator is not a 20-byte hex address", { operator });
  }
}

/**
 * The message a checker signs to prove it holds the secret key of the public
 * key it registers:
 *
 *   keccak256(abi.encode(DomainTag.PROOF_OF_POSSESSION, domainSeparator(domain),
 *                        operator, bytes pkEip2537))
 *
 * It is signed with the ordinary signing ciphersuite (BLS_DST), not the IETF
 * PopProve DST: the domain tag keeps it apart from every other signed message,
 * and the contract checks it with the same hash-to-G2 it already has. Binding
 * the operator and the deployment stops a proof from being replayed for
 * another operator or on another chain. A rogue key pk' = pk_a - pk_victim
 * cannot be registered, because its proof is a signature by pk' over a message
 * that contains pk' itself.
 */
export function popMessage(domain: NetworkDomain, operator: Address, publicKey: Uint8Array): Uint8Array {
  checkOperator(operator);
  return hexToBytes(
    keccak256(
      encodeAbiParameters(
        [{ type: "bytes32" }, { type: "bytes32" }, { type: "address" }, { type: "bytes" }],
        [DomainTag.PROOF_OF_POSSESSION, domainSeparator(domain), operator, toHex(g1ToEip2537(publicKey))],
      ),
    ),
  );
}

/** Signs the proof-of-possession message for the key of `secretKey`. */
export function proveKeyPossession(
  bls: BlsBackend,
  secretKey: Uint8Array,
  domain: NetworkDomain,
  operator: Address,
): Uint8Array {
  return bls.sign(secretKey, popMessage(domain, operator, bls.publicKey(secretKey)));
}

/** False (never throws) for an invalid key, proof or operator, or a proof made for another operator or domain. */
export function verifyKeyPossession(
  bls: BlsBackend,
  publicKey: Uint8Array,
  proof: Uint8Array,
  domain: NetworkDomain,
  operator: Address,
): boolean {
  let message: Uint8Array;
  try {
    message = popMessage(domain, operator, publicKey);
  } catch {
    return false;
  }
  return bls.verify(publicKey, message, proof);
}

/**
 * The message an operator key signs to vouch for its libp2p peer id:
 *
 *   keccak256(abi.encode(DomainTag.PEER_BINDING, domainSeparator(domain),
 *                        operator, bytes peerId))
 *
 * `peerId` is the binary multihash of the libp2p peer id. Peers accept
 * gossip from a peer id as the operator's only with this record, so a stolen
 * or rotated network key never carries the operator's identity by itself.
 */
export function peerBindingMessage(domain: NetworkDomain, operator: Address, peerId: Uint8Array): Uint8Array {
  checkOperator(operator);
  if (peerId.length === 0) {
    throw new BlsError(BlsErrorCode.EMPTY_INPUT, "peer id must not be empty");
  }
  return hexToBytes(
    keccak256(
      encodeAbiParameters(
        [{ type: "bytes32" }, { type: "bytes32" }, { type: "address" }, { type: "bytes" }],
        [DomainTag.PEER_BINDING, domainSeparator(domain), operator, toHex(peerId)],
      ),
    ),
  );
}

export function signPeerBinding(
  bls: BlsBackend,
  secretKey: Uint8Array,
  domain: NetworkDomain,
  operator: Address,
  peerId: Uint8Array,
): Uint8Array {
  return bls.sign(secretKey, peerBindingMessage(domain, operator, peerId));
}

/** False (never throws) for any invalid input or a binding to another peer, operator or domain. */
export function verifyPeerBinding(
  bls: BlsBackend,
  publicKey: Uint8Array,
  signature: Uint8Array,
  domain: NetworkDomain,
  operator: Address,
  peerId: Uint8Array,
): boolean {
  let message: Uint8Array;
  try {
    message = peerBindingMessage(domain, operator, peerId);
  } catch {
    return false;
  }
  return bls.verify(publicKey, message, signature);
}
