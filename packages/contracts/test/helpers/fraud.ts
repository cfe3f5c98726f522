import { challenges } from "@checkernet/protocol";
import { chunkLeaf, matmulEntry, rowLeafOfRoot } from "@checkernet/protocol/challenges/matmul";
import {
  type AnswerDomain,
  answerKeyAddress,
  type MatmulCommitmentMessage,
  signAnswerKey,
  signMatmulCommitment,
} from "@checkernet/protocol/fraud/answerSigning";
import { buildMatmulFraudProof, type MatmulFraudProof } from "@checkernet/protocol/fraud/matmulFraud";
import { type Address, bytesToHex, type Hex, hexToBytes, keccak256, toHex } from "viem";

/**
 * Answer keys and matmul fraud proofs for the contract tests, from packages/protocol's answer signing,
 * row tree v2 and fraud-proof assembly (docs/protocol/fraud-proofs.md).
 */

/** A deterministic secp256k1 answer key per label. */
export function answerKeyOf(label: string): { privateKey: Hex; address: Address } {
  const privateKey = keccak256(toHex(`answer-key:${label}`));
  return { privateKey, address: answerKeyAddress(privateKey) };
}

/** `privateKey`'s proof of possession for `provider`: its signature over AnswerKey(provider, answerKey). */
export function proveAnswerKey(privateKey: Hex, provider: Address, domain: AnswerDomain): Hex {
  return signAnswerKey(privateKey, domain, { provider, answerKey: answerKeyAddress(privateKey) });
}

/** Chunk c of a row: entries 8c..8c+7 as int32 little-endian, zero-padded past the row's end. */
function chunkOf(row: Int32Array, c: number): Uint8Array {
  const out = new Uint8Array(32);
  const view = new DataView(out.buffer);
  for (let k = 0; k < 8 && 8 * c + k < row.length; k++) view.setInt32(4 * k, row[8 * c + k] as number, true);
  return out;
}

/**
 * A provider's commitment to an n×n result of which only `rows` are given; the other rows stand in as
 * arbitrary row roots (what a provider that never computed them could commit). The protocol's `commitRows`
 * needs all n² entries, which at n = 4096 the tests cannot compute; this builds the same tree shape
 * (chunk leaves under row roots, row leaves under the root) from the rows it has.
 */
function commitPartialResult(n: number, rows: ReadonlyMap<number, Int32Array>) {
  const rowTrees = new Map<number, challenges.RowTree>();
  const rowLeaves: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const row = rows.get(i);
    let rowRoot: Uint8Array;
    if (row === undefined) {
      rowRoot = hexToBytes(keccak256(toHex(`filler row ${i}`)));
    } else {
      const chunks = Math.ceil(n / 8);
      const tree = challenges.buildRowTree(
        Array.from({ length: chunks }, (_, c) => chunkLeaf(chunkOf(row, c), c)),
      );
      rowTrees.set(i, tree);
      rowRoot = hexToBytes(tree.root);
    }
    rowLeaves.push(rowLeafOfRoot(rowRoot, i));
  }
  const tree = challenges.buildRowTree(rowLeaves);
  return {
    root: tree.root,
    /** The chunk holding entry (i, j) and its two paths (an `EntryProof`). */
    open(i: number, j: number) {
      const rowTree = rowTrees.get(i);
      const row = rows.get(i);
      if (rowTree === undefined || row === undefined) throw new Error(`row ${i} was not committed`);
      const c = Math.floor(j / 8);
      return {
        chunk: bytesToHex(chunkOf(row, c)),
        chunkProof: challenges.rowTreeProof(rowTree, c),
        rowProof: challenges.rowTreeProof(tree, i),
      };
    },
  };
}

/**
 * Row `i` of a faulty result: the honest entries of the chunk holding column `j` (matmulEntry from the
 * seed), `C[i][j] + delta` at j, and zeros elsewhere (as a provider that skipped the work might send).
 */
function faultyRow(seed: Hex, n: number, i: number, j: number, delta: number): Int32Array {
  const row = new Int32Array(n);
  const first = 8 * Math.floor(j / 8);
  for (let col = first; col < Math.min(first + 8, n); col++) row[col] = matmulEntry(seed, n, i, col);
  row[j] = (row[j] as number) + delta;
  return row;
}

export interface FaultyRun {
  commitment: MatmulCommitmentMessage;
  /** The answer key's signature over the commitment. */
  signature: Hex;
  result: ReturnType<typeof commitPartialResult>;
}

/**
 * A commitment signed by `privateKey` whose entry (i, j) is off by `delta` (0: an honest entry) and whose
 * row i also holds the rows given in `extraRows` (for proofs that move a chunk to another row).
 */
export function faultyRun(
  privateKey: Hex,
  domain: AnswerDomain,
  fields: Omit<MatmulCommitmentMessage, "root">,
  i: number,
  j: number,
  delta = 1,
): FaultyRun {
  const row = faultyRow(fields.seed, fields.n, i, j, delta);
  const rows = new Map([[i, row]]);
  // A second committed row holding the same values: a chunk moved there still has a valid-looking path.
  if (fields.n > 1) rows.set((i + 1) % fields.n, row);
  const result = commitPartialResult(fields.n, rows);
  const commitment = { ...fields, root: result.root };
  return { commitment, signature: signMatmulCommitment(privateKey, domain, commitment), result };
}

/** The fraud proof about entry (i, j) of `run` (whether or not that entry is wrong). */
export function proofOf(run: FaultyRun, i: number, j: number): MatmulFraudProof {
  return buildMatmulFraudProof({ ...run.commitment, signature: run.signature }, i, j, run.result.open(i, j));
}
