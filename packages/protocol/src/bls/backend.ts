/**
 * BLS12-381 in Ethereum's layout: public keys in G1 (48 bytes compressed),
 * signatures in G2 (96 bytes compressed), the proof-of-possession ciphersuite
 * BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_. Two backends implement this
 * interface (@noble/curves, portable; @chainsafe/blst, native) and must
 * produce identical bytes.
 */
export interface BlsBackend {
  readonly name: "noble" | "blst";
  /** Derives the 48-byte compressed public key from a 32-byte secret key. */
  publicKey(secretKey: Uint8Array): Uint8Array;
  /** Signs a message (any length; the protocol signs 32-byte signing roots). */
  sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array;
  /** False (never throws) for any invalid point, wrong length or wrong signature. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  aggregateSignatures(signatures: readonly Uint8Array[]): Uint8Array;
  aggregatePublicKeys(publicKeys: readonly Uint8Array[]): Uint8Array;
  /** Many signers, one message (the report co-signatures). Requires proofs of possession of every key. */
  fastAggregateVerify(publicKeys: readonly Uint8Array[], message: Uint8Array, signature: Uint8Array): boolean;
  /**
   * Many (key, message, signature) sets checked at once with a random linear
   * combination (as Lodestar does): true only if every set is valid.
   */
  verifyBatch(sets: readonly SignatureSet[]): boolean;
}

export interface SignatureSet {
  publicKey: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
}
