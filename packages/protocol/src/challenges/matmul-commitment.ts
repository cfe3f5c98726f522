import { bytesToHex, type Hex } from "viem";
import { ChallengeError, ChallengeErrorCode, checkInteger } from "./common.ts";
import { keccakBlockInto } from "./keccak-block.ts";
import { fillInnerNodes, type RowTree, rowTreeProof, treeFromNodes } from "./row-tree.ts";

/**
 * The product C as bytes and its commitment (row tree v2,
 * docs/protocol/fraud-proofs.md): row i of C is 4n bytes, int32
 * little-endian, cut into 32-byte chunks of 8 entries (the last zero-padded).
 *   chunk leaf  = keccak256(0x00 ‖ uint32be(c) ‖ chunk)
 *   row root    = row-tree.ts tree over the row's chunk leaves, in order
 *   row leaf    = keccak256(0x01 ‖ uint32be(i) ‖ row root)
 *   commitment  = row-tree.ts tree over the n row leaves, in order
 * Leaves carry their index, so a path proves where a chunk sits (the pair
 * hash is commutative); leaves (37-byte preimages) never collide with inner
 * nodes (64-byte preimages). Opened rows are checked by recomputing their row
 * leaf; one entry opens alone with a chunk path and a row path.
 */

/** Codec bound on n: 2^16 keeps every int32 sum exact and a row under 256 KiB. Params cap n lower. */
export const MATMUL_ABSOLUTE_MAX_SIZE = 65_536;

export interface MatmulRows {
  /** The opened rows of C, in the order asked. */
  rows: Int32Array[];
  /** One sibling path per row, bottom up. */
  proofs: Hex[][];
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** A row's wire bytes: its int32 values little-endian, 4n bytes. */
export function rowToBytes(row: Int32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(row.buffer.slice(row.byteOffset, row.byteOffset + row.byteLength));
  const out = new Uint8Array(row.length * 4);
  const view = new DataView(out.buffer);
  for (let j = 0; j < row.length; j++) view.setInt32(j * 4, row[j]!, true);
  return out;
}

export function rowFromBytes(bytes: Uint8Array): Int32Array {
  if (bytes.length % 4 !== 0) {
    throw new ChallengeError(ChallengeErrorCode.INVALID_ARGUMENT, "row bytes must be a multiple of 4", {
      length: bytes.length,
    });
  }
  const out = new Int32Array(bytes.length / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let j = 0; j < out.length; j++) out[j] = view.getInt32(j * 4, true);
  return out;
}

/** Entries of C per chunk leaf: 8 int32, 32 bytes. */
export const MATMUL_CHUNK_ENTRIES = 8;

/** Chunks per row of a size-n product: ⌈n / 8⌉. */
export function matmulChunkCount(n: number): number {
  return Math.ceil(n / MATMUL_CHUNK_ENTRIES);
}

const CHUNK_LEAF_TAG = 0x00;
const ROW_LEAF_TAG = 0x01;
/** 0x00|0x01 ‖ uint32be(index) ‖ 32 bytes: the preimage of a chunk or row leaf. */
const leafInput = new Uint8Array(37);

function tagIndex(tag: number, index: number): void {
  leafInput[0] = tag;
  leafInput[1] = index >>> 24;
  leafInput[2] = (index >>> 16) & 0xff;
  leafInput[3] = (index >>> 8) & 0xff;
  leafInput[4] = index & 0xff;
}

/** A row of C as its little-endian bytes, without a copy where the platform is little-endian. */
function rowBytesView(row: Int32Array): Uint8Array {
  return LITTLE_ENDIAN ? new Uint8Array(row.buffer, row.byteOffset, row.byteLength) : rowToBytes(row);
}

/**
 * Writes the chunk tree of a row (its little-endian bytes) into `nodes`
 * ((2m − 1)·32 bytes for m = ⌈n/8⌉ chunks); the row root ends at nodes[0..32].
 * Chunk c's leaf is keccak256(0x00 ‖ uint32be(c) ‖ entries 8c..8c+7), the
 * last chunk zero-padded.
 */
function fillChunkTree(rowBytes: Uint8Array, nodes: Uint8Array): void {
  const length = rowBytes.length;
  const m = Math.ceil(length / 32);
  const last = 2 * m - 2;
  for (let c = 0; c < m; c++) {
    tagIndex(CHUNK_LEAF_TAG, c);
    const from = c * 32;
    if (from + 32 <= length) {
      leafInput.set(rowBytes.subarray(from, from + 32), 5);
    } else {
      leafInput.fill(0, 5);
      leafInput.set(rowBytes.subarray(from, length), 5);
    }
    keccakBlockInto(leafInput, 0, 37, nodes, (last - c) * 32);
  }
  fillInnerNodes(nodes, m);
}

/** Writes row i's leaf, keccak256(0x01 ‖ uint32be(i) ‖ rowRoot), to out[outOffset]. */
function rowLeafInto(i: number, rowRoot: Uint8Array, out: Uint8Array, outOffset: number): void {
  tagIndex(ROW_LEAF_TAG, i);
  leafInput.set(rowRoot.subarray(0, 32), 5);
  keccakBlockInto(leafInput, 0, 37, out, outOffset);
}

/** The chunk leaf of a 32-byte chunk at position c: keccak256(0x00 ‖ uint32be(c) ‖ chunk). */
export function chunkLeaf(chunk: Uint8Array, c: number): Uint8Array {
  checkInteger("chunk", c, 0, 0xffff_ffff);
  if (chunk.length !== 32) {
    throw new ChallengeError(ChallengeErrorCode.INVALID_ARGUMENT, "a chunk is 32 bytes", {
      length: chunk.length,
    });
  }
  const out = new Uint8Array(32);
  tagIndex(CHUNK_LEAF_TAG, c);
  leafInput.set(chunk, 5);
  keccakBlockInto(leafInput, 0, 37, out, 0);
  return out;
}

/** The row leaf of row i with root `rowRoot`: keccak256(0x01 ‖ uint32be(i) ‖ rowRoot). */
export function rowLeafOfRoot(rowRoot: Uint8Array, i: number): Uint8Array {
  checkInteger("row", i, 0, 0xffff_ffff);
  const out = new Uint8Array(32);
  rowLeafInto(i, rowRoot, out, 0);
  return out;
}

/** The chunk tree of one row of C (its chunk leaves in order; root = the row root). */
export function rowChunkTree(row: Int32Array): RowTree {
  if (row.length === 0) {
    throw new ChallengeError(ChallengeErrorCode.INVALID_ARGUMENT, "a row holds at least one entry");
  }
  const m = matmulChunkCount(row.length);
  const nodes = new Uint8Array((2 * m - 1) * 32);
  fillChunkTree(rowBytesView(row), nodes);
  return treeFromNodes(nodes, m);
}

/** Row i's leaf in the commitment tree: keccak256(0x01 ‖ uint32be(i) ‖ root of the row's chunk tree). */
export function rowLeaf(row: Int32Array, i: number): Uint8Array {
  checkInteger("row", i, 0, 0xffff_ffff);
  return rowLeafOfRoot(rowChunkTree(row).nodes, i);
}

/**
 * Commits to C (row tree v2): one chunk tree per row, then the row tree over
 * the row leaves, in row order. One reused buffer for every chunk tree, no
 * hex on the way.
 *
 * @example
 * const { a, b } = generateMatmul(seed, 256)
 * const c = solveMatmul(a, b, 256)
 * const { root, tree } = commitRows(c, 256) // send { root, elapsedMs }
 */
export function commitRows(c: Int32Array, n: number): { root: Hex; tree: RowTree } {
  checkInteger("n", n, 1, MATMUL_ABSOLUTE_MAX_SIZE);
  if (c.length !== n * n) {
    throw new ChallengeError(ChallengeErrorCode.INVALID_ARGUMENT, "C must hold n² values", {
      n,
      length: c.length,
    });
  }
  const chunkNodes = new Uint8Array((2 * matmulChunkCount(n) - 1) * 32);
  const nodes = new Uint8Array((2 * n - 1) * 32);
  const lastLeaf = 2 * n - 2;
  for (let i = 0; i < n; i++) {
    fillChunkTree(rowBytesView(c.subarray(i * n, (i + 1) * n)), chunkNodes);
    rowLeafInto(i, chunkNodes, nodes, (lastLeaf - i) * 32);
  }
  fillInnerNodes(nodes, n);
  const tree = treeFromNodes(nodes, n);
  return { root: tree.root, tree };
}

/** Opens the asked rows of C with their proofs (the MatmulRows answer). */
export function openRows(tree: RowTree, c: Int32Array, rowIndices: readonly number[]): MatmulRows {
  const n = tree.leafCount;
  if (c.length !== n * n) {
    throw new ChallengeError(ChallengeErrorCode.INVALID_ARGUMENT, "C does not match the tree", {
      n,
      length: c.length,
    });
  }
  const rows: Int32Array[] = [];
  const proofs: Hex[][] = [];
  for (const i of rowIndices) {
    checkInteger("row", i, 0, n - 1);
    rows.push(c.slice(i * n, (i + 1) * n));
    proofs.push(rowTreeProof(tree, i));
  }
  return { rows, proofs };
}

/** One entry of C opened alone: its chunk, the chunk's path in the row tree, the row's path in the commitment. */
export interface EntryProof {
  /** The 32 bytes of entries C[i][8c .. 8c+7], int32 little-endian, c = ⌊j/8⌋ (zero-padded past n). */
  chunk: Hex;
  /** Sibling path from the chunk leaf to the row root, bottom up (≤ ⌈log2 ⌈n/8⌉⌉ nodes). */
  chunkProof: Hex[];
  /** Sibling path from the row leaf to the commitment root, bottom up (≤ ⌈log2 n⌉ nodes). */
  rowProof: Hex[];
}

/**
 * Opens entry (i, j) of a committed C (the provider's tree and product).
 *
 * @example
 * const { tree } = commitRows(c, n)
 * const { chunk, chunkProof, rowProof } = entryProof(tree, c, 3, 17)
 */
export function entryProof(tree: RowTree, c: Int32Array, i: number, j: number): EntryProof {
  const n = tree.leafCount;
  if (c.length !== n * n) {
    throw new ChallengeError(ChallengeErrorCode.INVALID_ARGUMENT, "C does not match the tree", {
      n,
      length: c.length,
    });
  }
  checkInteger("row", i, 0, n - 1);
  return entryProofFromRow(c.subarray(i * n, (i + 1) * n), j, rowTreeProof(tree, i));
}

/**
 * Opens entry (i, j) from an opened row i of C and that row's path in the
 * commitment (what a checker holds after a MatmulRows answer).
 */
export function entryProofFromRow(row: Int32Array, j: number, rowProof: readonly Hex[]): EntryProof {
  checkInteger("column", j, 0, row.length - 1);
  const c = Math.floor(j / MATMUL_CHUNK_ENTRIES);
  const chunk = new Int32Array(MATMUL_CHUNK_ENTRIES);
  chunk.set(row.subarray(c * MATMUL_CHUNK_ENTRIES, Math.min(row.length, (c + 1) * MATMUL_CHUNK_ENTRIES)));
  return {
    chunk: bytesToHex(rowToBytes(chunk)),
    chunkProof: rowTreeProof(rowChunkTree(row), c),
    rowProof: [...rowProof],
  };
}

/** Entry j mod 8 of a 32-byte chunk, read as int32 little-endian. */
export function chunkEntry(chunk: Uint8Array, j: number): number {
  const at = (j % MATMUL_CHUNK_ENTRIES) * 4;
  return new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength).getInt32(at, true);
}
