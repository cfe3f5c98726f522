import { type Bytes32Like, bytes32, checkInteger } from "./common.ts";
import { keccakBlockInto } from "./keccak-block.ts";
import { MATMUL_ABSOLUTE_MAX_SIZE } from "./matmul-commitment.ts";
import { deriveKey, deriveKeyPreimage, int8Stream, KEY_PREIMAGE_INDEX_AT, Xoshiro128 } from "./prng.ts";

/**
 * The matmul's inputs, random access (docs/protocol/fraud-proofs.md, "Random-access inputs"):
 * row i of A is the int8 stream `deriveKey(seed, "matmul.a", i)`, column j of B the stream
 * `deriveKey(seed, "matmul.bt", j)`, so one entry of C = A·B needs two streams of n bytes. The
 * provider generates everything; the checker only the rows and columns it samples
 * (matmul-sampling.ts); a fraud proof's verifier one row and one column.
 */

/** Row i of A (n int8 values). */
export function matmulRowA(seed: Bytes32Like, n: number, i: number): Int8Array {
  checkInteger("n", n, 1, MATMUL_ABSOLUTE_MAX_SIZE);
  checkInteger("row", i, 0, n - 1);
  return int8Stream(seed, "matmul.a", i, n);
}

/** Column j of B (n int8 values): B[k][j] = int8Stream(seed, "matmul.bt", j, n)[k]. */
export function matmulColumnB(seed: Bytes32Like, n: number, j: number): Int8Array {
  checkInteger("n", n, 1, MATMUL_ABSOLUTE_MAX_SIZE);
  checkInteger("column", j, 0, n - 1);
  return int8Stream(seed, "matmul.bt", j, n);
}

/** Columns of B generated per pass of generateMatmulB's transpose (64 · n bytes of scratch). */
const B_TILE_COLUMNS = 64;

/**
 * All of B, row-major (n² int8 values). B is defined by columns, so this
 * generates 64 columns at a time into a scratch tile and scatters them into
 * the rows: each pass reads 64 streams in step and writes 64 contiguous bytes
 * of each row, which keeps both sides in cache.
 */
export function generateMatmulB(seed: Bytes32Like, n: number): Int8Array {
  checkInteger("n", n, 1, MATMUL_ABSOLUTE_MAX_SIZE);
  const s = bytes32(seed, "seed");
  const b = new Int8Array(n * n);
  const width = Math.min(B_TILE_COLUMNS, n);
  const tile = new Int8Array(width * n);
  for (let j0 = 0; j0 < n; j0 += width) {
    const w = Math.min(width, n - j0);
    for (let t = 0; t < w; t++) {
      new Xoshiro128(deriveKey(s, "matmul.bt", j0 + t)).fill(tile.subarray(t * n, (t + 1) * n));
    }
    for (let k = 0; k < n; k++) {
      const row = k * n + j0;
      for (let t = 0; t < w; t++) b[row + t] = tile[t * n + k]!;
    }
  }
  return b;
}

/**
 * C[i][j] = Σ_k A[i][k]·B[k][j] from row i of A and column j of B alone (2n
 * bytes of generation, n multiply-accumulates): what a fraud proof's verifier
 * recomputes.
 */
export function matmulEntry(seed: Bytes32Like, n: number, i: number, j: number): number {
  return new ColumnDots(seed, n).dot(matmulRowA(seed, n, i), j);
}

/**
 * Entries of C for one seed and size, each from a row of A and column j of B
 * *without materialising the column*: the column's key is deriveKey(seed,
 * "matmul.bt", j) hashed in one permutation on a reused preimage
 * (keccakBlockInto), and its xoshiro128** stream is consumed word by word as
 * it is generated, four int8 terms per 32-bit word, in the order
 * Xoshiro128.fill writes them (low byte first, a trailing partial word by its
 * low bytes). The same number as Σ_k a[k]·matmulColumnB(seed, n, j)[k]
 * (the tests compare them), at about half the time and no allocation per
 * entry: the checker recomputes r·s of them per run (matmul-sampling.ts).
 */
export class ColumnDots {
  private readonly n: number;
  private readonly preimage: Uint8Array;
  private readonly key = new Uint8Array(32);
  private readonly keyWords: DataView;

  constructor(seed: Bytes32Like, n: number) {
    checkInteger("n", n, 1, MATMUL_ABSOLUTE_MAX_SIZE);
    this.n = n;
    // Column 0's preimage; dot() rewrites its index for each column.
    this.preimage = deriveKeyPreimage(seed, "matmul.bt");
    this.keyWords = new DataView(this.key.buffer);
  }

  /** Σ_k a[k]·B[k][j] for a row `a` of A (n int8 values). */
  dot(a: Int8Array, j: number): number {
    const n = this.n;
    checkInteger("column", j, 0, n - 1);
    checkInteger("row length", a.length, n, n);
    const p = this.preimage;
    // uint32be(j) at the preimage's index offset (prng.ts, deriveKeyPreimage).
    p[KEY_PREIMAGE_INDEX_AT] = j >>> 24;
    p[KEY_PREIMAGE_INDEX_AT + 1] = (j >>> 16) & 0xff;
    p[KEY_PREIMAGE_INDEX_AT + 2] = (j >>> 8) & 0xff;
    p[KEY_PREIMAGE_INDEX_AT + 3] = j & 0xff;
    keccakBlockInto(p, 0, p.length, this.key, 0);
    // Xoshiro128's seeding: the key's first four little-endian words, the all-zero state moved off.
    let s0 = this.keyWords.getInt32(0, true);
    let s1 = this.keyWords.getInt32(4, true);
    let s2 = this.keyWords.getInt32(8, true);
    let s3 = this.keyWords.getInt32(12, true);
    if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
    let sum = 0;
    let k = 0;
    while (k < n) {
      // One xoshiro128** step (Xoshiro128.fill), then its word's bytes as int8 terms.
      const m = Math.imul(s1, 5);
      const r = Math.imul((m << 7) | (m >>> 25), 9);
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      if (k + 4 <= n) {
        sum =
          (sum +
            a[k]! * ((r << 24) >> 24) +
            a[k + 1]! * ((r << 16) >> 24) +
            a[k + 2]! * ((r << 8) >> 24) +
            a[k + 3]! * (r >> 24)) |
          0;
        k += 4;
      } else {
        for (let shift = 24; k < n; shift -= 8, k++) sum = (sum + a[k]! * ((r << shift) >> 24)) | 0;
      }
    }
    return sum;
  }
}

/** Both matrices, row-major. */
export function generateMatmul(seed: Bytes32Like, n: number): { a: Int8Array; b: Int8Array } {
  checkInteger("n", n, 1, MATMUL_ABSOLUTE_MAX_SIZE);
  const a = new Int8Array(n * n);
  for (let i = 0; i < n; i++) a.set(int8Stream(seed, "matmul.a", i, n), i * n);
  return { a, b: generateMatmulB(seed, n) };
}
