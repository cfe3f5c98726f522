import { type Bytes32Like, bytes32, checkInteger } from "./common.ts";
import { MATMUL_ABSOLUTE_MAX_SIZE } from "./matmul-commitment.ts";
import { deriveKey, int8Stream, Xoshiro128 } from "./prng.ts";

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
  return dotInt8(matmulRowA(seed, n, i), matmulColumnB(seed, n, j));
}

/** Σ_k a[k]·b[k] in int32 (exact for n ≤ 65536 int8 terms): one entry of C from its row of A and column of B. */
export function dotInt8(a: Int8Array, b: Int8Array): number {
  let sum = 0;
  for (let k = 0; k < a.length; k++) sum = (sum + a[k]! * b[k]!) | 0;
  return sum;
}

/** Both matrices, row-major. */
export function generateMatmul(seed: Bytes32Like, n: number): { a: Int8Array; b: Int8Array } {
  checkInteger("n", n, 1, MATMUL_ABSOLUTE_MAX_SIZE);
  const a = new Int8Array(n * n);
  for (let i = 0; i < n; i++) a.set(int8Stream(seed, "matmul.a", i, n), i * n);
  return { a, b: generateMatmulB(seed, n) };
}
