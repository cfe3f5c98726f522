import {
  decodeAbiParameters,
  encodeAbiParameters,
  getAddress,
  type Hex,
  hexToBytes,
  isAddress,
  isHex,
} from "viem";
import { ChallengeError, ChallengeErrorCode, checkInteger } from "../challenges/common.ts";
import {
  chunkEntry,
  chunkLeaf,
  type EntryProof,
  MATMUL_CHUNK_ENTRIES,
  matmulChunkCount,
  matmulEntry,
  rowLeafOfRoot,
} from "../challenges/matmul.ts";
import { maxProofLength, processProof } from "../challenges/row-tree.ts";
import {
  ANSWER_TYPES,
  type MatmulCommitmentMessage,
  recoverMatmulCommitmentSigner,
} from "./answerSigning.ts";
import { type FraudProofContext, FraudReasonCode, type FraudVerdict, reject } from "./common.ts";

/**
 * Largest n a matmul fraud proof may have: the FraudProofs contract's MAX_MATMUL_SIZE (its entry
 * recomputation, MatmulEntry.sol, is exact for n ≤ 8192; a contracts test checks the two agree). Above it a
 * proof that verifies here would revert on chain, so this verifier refuses it as the contract does; no
 * in-protocol challenge is larger (ProtocolParams.matmulMaxSize is 8192 too).
 */
export const FRAUD_PROOF_MAX_MATMUL_SIZE = 8_192;

/**
 * A matmul fraud proof: a signed commitment and one entry of C under it that
 * differs from Σ_k A[i][k]·B[k][j] recomputed from the seed. Anyone can check
 * it, a contract included: two PRNG streams of n bytes, n multiply-
 * accumulates, two Merkle paths and one ecrecover
 * (docs/protocol/fraud-proofs.md).
 */
export interface MatmulFraudProof extends MatmulCommitmentMessage {
  /** The answer key's MatmulCommitment signature, 65 bytes r ‖ s ‖ v. */
  signature: Hex;
  /** Row and column of the wrong entry. */
  i: number;
  j: number;
  /** Chunk ⌊j/8⌋ of row i (32 bytes, 8 int32 little-endian); the claimed entry is its entry j mod 8. */
  chunk: Hex;
  /** Chunk leaf → row root, bottom up. */
  chunkProof: Hex[];
  /** Row leaf → commitment root, bottom up. */
  rowProof: Hex[];
}

/** A commitment with the answer key's signature, as the provider sends it. */
export interface SignedMatmulCommitment extends MatmulCommitmentMessage {
  signature: Hex;
}

/** What a valid matmul proof shows: the committed entry and the true one. */
export interface MatmulFraudFacts {
  claimed: number;
  expected: number;
}

/**
 * Assembles a proof about entry (i, j) from a signed commitment and the
 * entry's opening (`entryProof` from the provider's tree, or
 * `entryProofFromRow` from an opened row and its path). Assembles only: a
 * proof about an honest entry is built just the same and fails
 * verification with HONEST_ENTRY.
 *
 * @example
 * const row = rows.rows[k], proof = rows.proofs[k]
 * const j = wrongSampledEntry({ seed, randomness, root, n }, i, row)?.column
 * const fraud = buildMatmulFraudProof(signedCommitment, i, j, entryProofFromRow(row, j, proof))
 */
export function buildMatmulFraudProof(
  commitment: SignedMatmulCommitment,
  i: number,
  j: number,
  entry: EntryProof,
): MatmulFraudProof {
  checkInteger("row", i, 0, commitment.n - 1);
  checkInteger("column", j, 0, commitment.n - 1);
  return {
    epoch: commitment.epoch,
    provider: commitment.provider,
    checker: commitment.checker,
    seed: commitment.seed,
    classId: commitment.classId,
    n: commitment.n,
    root: commitment.root,
    signature: commitment.signature,
    i,
    j,
    chunk: entry.chunk,
    chunkProof: [...entry.chunkProof],
    rowProof: [...entry.rowProof],
  };
}

const isBytes32 = (v: unknown): v is Hex =>
  typeof v === "string" && isHex(v, { strict: true }) && v.length === 66;
const isUint = (v: unknown, max: number): v is number =>
  typeof v === "number" && Number.isSafeInteger(v) && v >= 0 && v <= max;

function malformed(proof: MatmulFraudProof): string | null {
  if (typeof proof !== "object" || proof === null) return "the proof is not an object";
  if (typeof proof.epoch !== "bigint" || proof.epoch < 0n || proof.epoch >= 1n << 64n)
    return "epoch is not a uint64";
  if (!isAddress(proof.provider, { strict: false })) return "provider is not an address";
  if (!isAddress(proof.checker, { strict: false })) return "checker is not an address";
  for (const field of ["seed", "root", "chunk"] as const) {
    if (!isBytes32(proof[field])) return `${field} is not 32 bytes of hex`;
  }
  if (typeof proof.signature !== "string" || !isHex(proof.signature, { strict: true })) {
    return "signature is not hex";
  }
  if (!isUint(proof.classId, 0xffff)) return "classId is not a uint16";
  if (!isUint(proof.n, 0xffff_ffff)) return "n is not a uint32";
  if (!isUint(proof.i, 0xffff_ffff) || !isUint(proof.j, 0xffff_ffff)) return "i or j is not a uint32";
  for (const field of ["chunkProof", "rowProof"] as const) {
    const path = proof[field];
    if (!Array.isArray(path) || !path.every(isBytes32)) return `${field} is not a list of 32-byte hex nodes`;
  }
  return null;
}

/**
 * Checks a matmul fraud proof, rule by rule in this order (the first broken
 * rule is the reason):
 * 1. well-formed fields (MALFORMED_PROOF);
 * 2. 1 ≤ n ≤ FRAUD_PROOF_MAX_MATMUL_SIZE (8192, the contract's bound), i < n, j < n (OUT_OF_RANGE);
 * 3. the signature is the answer key's over MatmulCommitment(epoch, provider,
 *    checker, seed, classId, n, root) (WRONG_SIGNATURE);
 * 4. chunkProof ≤ ⌈log2 ⌈n/8⌉⌉ nodes (BAD_CHUNK_PATH), rowProof ≤ ⌈log2 n⌉
 *    nodes (BAD_ROW_PATH);
 * 5. chunk leaf (c = ⌊j/8⌋) → chunkProof → row leaf of i → rowProof gives root (ROOT_MISMATCH);
 * 6. entry j mod 8 of the chunk differs from matmulEntry(seed, n, i, j) (HONEST_ENTRY).
 */
export function verifyMatmulFraudProof(
  proof: MatmulFraudProof,
  context: FraudProofContext,
): FraudVerdict<MatmulFraudFacts> {
  const bad = malformed(proof);
  if (bad !== null) return reject(FraudReasonCode.MALFORMED_PROOF, bad);
  const { n, i, j } = proof;
  if (n < 1 || n > FRAUD_PROOF_MAX_MATMUL_SIZE) {
    return reject(FraudReasonCode.OUT_OF_RANGE, `n = ${n} is outside [1, ${FRAUD_PROOF_MAX_MATMUL_SIZE}]`);
  }
  if (i >= n || j >= n)
    return reject(FraudReasonCode.OUT_OF_RANGE, `entry (${i}, ${j}) is outside ${n}×${n}`);

  const signer = recoverMatmulCommitmentSigner(context.domain, proof, proof.signature);
  if (signer === null || signer !== getAddress(context.answerKey)) {
    return reject(
      FraudReasonCode.WRONG_SIGNATURE,
      signer === null
        ? "the signature is not a valid low-s 65-byte signature"
        : `the commitment is signed by ${signer}, not the answer key ${context.answerKey}`,
    );
  }

  const chunks = matmulChunkCount(n);
  if (proof.chunkProof.length > maxProofLength(chunks)) {
    return reject(
      FraudReasonCode.BAD_CHUNK_PATH,
      `the chunk path has ${proof.chunkProof.length} nodes, a row of ${chunks} chunks at most ${maxProofLength(chunks)}`,
    );
  }
  if (proof.rowProof.length > maxProofLength(n)) {
    return reject(
      FraudReasonCode.BAD_ROW_PATH,
      `the row path has ${proof.rowProof.length} nodes, a tree of ${n} rows at most ${maxProofLength(n)}`,
    );
  }
  const chunk = hexToBytes(proof.chunk);
  const c = Math.floor(j / MATMUL_CHUNK_ENTRIES);
  const rowRoot = processProof(
    chunkLeaf(chunk, c),
    proof.chunkProof.map((p) => hexToBytes(p)),
  );
  const top = processProof(
    rowLeafOfRoot(rowRoot, i),
    proof.rowProof.map((p) => hexToBytes(p)),
  );
  const root = hexToBytes(proof.root);
  for (let k = 0; k < 32; k++) {
    if (top[k] !== root[k]) {
      return reject(FraudReasonCode.ROOT_MISMATCH, `chunk ${c} of row ${i} does not lead to the signed root`);
    }
  }

  const claimed = chunkEntry(chunk, j);
  const expected = matmulEntry(proof.seed, n, i, j);
  if (claimed === expected) {
    return reject(FraudReasonCode.HONEST_ENTRY, `C[${i}][${j}] = ${claimed} is correct`);
  }
  return { valid: true, signer, claimed, expected };
}

/**
 * The proof as Solidity takes it: `verify(MatmulFraudProof calldata p)` with
 * `struct MatmulFraudProof { uint64 epoch; address provider; address checker;
 * bytes32 seed; uint16 classId; uint32 n; bytes32 root; bytes signature;
 * uint32 i; uint32 j; bytes32 chunk; bytes32[] chunkProof; bytes32[] rowProof; }`.
 */
export const MATMUL_FRAUD_PROOF_ABI = [
  {
    type: "tuple",
    name: "proof",
    components: [
      // The signed commitment's fields, in its EIP-712 order, then what proves the entry wrong.
      ...ANSWER_TYPES.MatmulCommitment,
      { name: "signature", type: "bytes" },
      { name: "i", type: "uint32" },
      { name: "j", type: "uint32" },
      { name: "chunk", type: "bytes32" },
      { name: "chunkProof", type: "bytes32[]" },
      { name: "rowProof", type: "bytes32[]" },
    ],
  },
] as const;

/** `abi.encode(proof)` of the MATMUL_FRAUD_PROOF_ABI tuple: the calldata arguments of the contract's `verify`. */
export function encodeMatmulFraudProof(proof: MatmulFraudProof): Hex {
  return encodeAbiParameters(MATMUL_FRAUD_PROOF_ABI, [
    {
      epoch: proof.epoch,
      provider: proof.provider,
      checker: proof.checker,
      seed: proof.seed,
      classId: proof.classId,
      n: proof.n,
      root: proof.root,
      signature: proof.signature,
      i: proof.i,
      j: proof.j,
      chunk: proof.chunk,
      chunkProof: proof.chunkProof,
      rowProof: proof.rowProof,
    },
  ]);
}

/** The inverse of encodeMatmulFraudProof; throws ChallengeError on bytes that do not decode. */
export function decodeMatmulFraudProof(encoded: Hex): MatmulFraudProof {
  let decoded: ReturnType<typeof decode>;
  try {
    decoded = decode(encoded);
  } catch (e) {
    throw new ChallengeError(ChallengeErrorCode.INVALID_ARGUMENT, "not an encoded matmul fraud proof", {
      cause: e instanceof Error ? e.message : String(e),
    });
  }
  return { ...decoded, chunkProof: [...decoded.chunkProof], rowProof: [...decoded.rowProof] };
}

function decode(encoded: Hex) {
  return decodeAbiParameters(MATMUL_FRAUD_PROOF_ABI, encoded)[0];
}
