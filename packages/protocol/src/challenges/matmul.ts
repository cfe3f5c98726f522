import { keccak_256 } from "@noble/hashes/sha3.js";
import { type Address, bytesToHex, getAddress, type Hex, hexToBytes, isHex } from "viem";
import { type Codec, checkLength, checkRange, defineCodec } from "../encoding/codec.ts";
import { DecodeError, DecodeErrorCode } from "../errors.ts";
import type { ProtocolParams } from "../params.ts";
import {
  type Bytes32Like,
  bytes32,
  ChallengeError,
  ChallengeErrorCode,
  type ChallengeOutcome,
  checkDuration,
  checkInteger,
  combineResults,
  concatBytes,
  equalInt32,
  type Reason,
  ReasonCode,
} from "./common.ts";
import {
  checkMatmulSize,
  type GpuClassId,
  gpuClass,
  isGpuClassCode,
  matmulDeadlineMs,
} from "./gpu-classes.ts";
import {
  MATMUL_ABSOLUTE_MAX_SIZE,
  type MatmulRows,
  rowFromBytes,
  rowLeaf,
  rowToBytes,
} from "./matmul-commitment.ts";
import { type AnswerKeyCheck, commitmentSignatureReason } from "./matmul-signature.ts";
import { deriveKey, int8Stream, sampleDistinct, Xoshiro128 } from "./prng.ts";
import { maxProofLength, processProof } from "./row-tree.ts";

// C's bytes and its commitment (row tree v2, entry proofs) live in their own module; they are part of this one's surface.
export * from "./matmul-commitment.ts";

/**
 * Matrix multiplication (correctness and GPU class). From a 32-byte seed both
 * sides derive n×n int8 matrices A and B; the provider computes C = A·B in
 * int32 (exact: |a·b| ≤ 2^14, so no sum of n ≤ 65536 terms overflows),
 * commits to a Merkle root over C's rows and its elapsed time, then opens the
 * r rows the checker samples after seeing the root. The checker recomputes
 * only those rows: r·n² multiply-accumulates against the provider's n³.
 *
 * Row i of A is the int8 stream `deriveKey(seed, "matmul.a", i)`, *column* j
 * of B the stream `deriveKey(seed, "matmul.bt", j)` (prng.ts), so one entry
 * C[i][j] needs two streams of n bytes (`matmulEntry`): a fraud proof about
 * one entry can be checked by anyone, on chain included
 * (docs/protocol/fraud-proofs.md).
 *
 * The commitment (row tree v2) binds every 32-byte chunk of every row to its
 * position: chunk leaves `keccak256(0x00 ‖ uint32be(c) ‖ chunk)` form a row's
 * tree, row leaves `keccak256(0x01 ‖ uint32be(i) ‖ rowRoot)` the commitment
 * tree, both row-tree.ts trees. An opened row is checked as before (the
 * checker recomputes its row leaf), and one entry can be opened alone with a
 * chunk path and a row path (`entryProof`); that code is matmul-commitment.ts.
 */

const UINT64_MAX = (1n << 64n) - 1n;

export interface MatmulRequest {
  /** The matmul seed (derived from the checker's secret run seed; revealed by this message). */
  seed: Hex;
  n: number;
  /** The GPU class the provider claims (GpuClass.code); sets the deadline. */
  classId: number;
  /** The epoch of the run: the provider signs it into its MatmulCommitment (docs/protocol/fraud-proofs.md). */
  epoch: bigint;
  /** The checker's operator address: the commitment's `checker`, who is paid a fraud proof's bounty. */
  checker: Address;
}

export interface MatmulCommit {
  /** Root of the row tree of C (row-tree.ts). */
  root: Hex;
  /** The provider's own measure of its work, ms (informational; checked against the checker's clock). */
  elapsedMs: number;
  /**
   * The answer key's EIP-712 MatmulCommitment signature (65 bytes r ‖ s ‖ v) over
   * (epoch, provider, checker, seed, classId, n, root); "0x" or absent from a provider without an answer key
   * (the codec encodes absent as "0x" and always decodes it).
   */
  signature?: Hex;
}

export interface MatmulOpen {
  /** Row indices, strictly ascending. */
  rows: number[];
}

// ---------------------------------------------------------------------------------------------------------------
// generation

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
  const a = matmulRowA(seed, n, i);
  const b = matmulColumnB(seed, n, j);
  let sum = 0;
  for (let k = 0; k < n; k++) sum = (sum + a[k]! * b[k]!) | 0;
  return sum;
}

/** Both matrices, row-major. */
export function generateMatmul(seed: Bytes32Like, n: number): { a: Int8Array; b: Int8Array } {
  checkInteger("n", n, 1, MATMUL_ABSOLUTE_MAX_SIZE);
  const a = new Int8Array(n * n);
  for (let i = 0; i < n; i++) a.set(int8Stream(seed, "matmul.a", i, n), i * n);
  return { a, b: generateMatmulB(seed, n) };
}

// ---------------------------------------------------------------------------------------------------------------
// provider

/**
 * Rows [from, to) of A·B as int32, row-major. The i-k-j order streams B and
 * the output row sequentially (cache friendly), and four rows of B are
 * folded per pass so each output element is loaded and stored a quarter as
 * often. Every partial sum is an exact integer below 2^31, so the `| 0`
 * wrap never changes a value; it keeps V8 on its int32 fast path.
 */
export function solveMatmulRows(a: Int8Array, b: Int8Array, n: number, from: number, to: number): Int32Array {
  checkInteger("n", n, 1, MATMUL_ABSOLUTE_MAX_SIZE);
  checkInteger("from", from, 0, n);
  checkInteger("to", to, from, n);
  const rowOnly = a.length !== n * n;
  if (b.length !== n * n || (rowOnly && !(a.length === n && to - from <= 1))) {
    throw new ChallengeError(ChallengeErrorCode.INVALID_ARGUMENT, "matrix sizes do not match n", {
      n,
      a: a.length,
      b: b.length,
    });
  }
  const out = new Int32Array((to - from) * n);
  const k4 = n & ~3;
  for (let i = from; i < to; i++) {
    const aOff = rowOnly ? 0 : i * n;
    const c = out.subarray((i - from) * n, (i - from + 1) * n);
    let k = 0;
    for (; k < k4; k += 4) {
      const a0 = a[aOff + k]!;
      const a1 = a[aOff + k + 1]!;
      const a2 = a[aOff + k + 2]!;
      const a3 = a[aOff + k + 3]!;
      const b0 = k * n;
      const b1 = b0 + n;
      const b2 = b1 + n;
      const b3 = b2 + n;
      for (let j = 0; j < n; j++) {
        c[j] = (c[j]! + a0 * b[b0 + j]! + a1 * b[b1 + j]! + a2 * b[b2 + j]! + a3 * b[b3 + j]!) | 0;
      }
    }
    for (; k < n; k++) {
      const ak = a[aOff + k]!;
      const b0 = k * n;
      for (let j = 0; j < n; j++) c[j] = (c[j]! + ak * b[b0 + j]!) | 0;
    }
  }
  return out;
}

/** The reference solver: C = A·B, n×n int32, row-major. */
export function solveMatmul(a: Int8Array, b: Int8Array, n: number): Int32Array {
  return solveMatmulRows(a, b, n, 0, n);
}

// ---------------------------------------------------------------------------------------------------------------
// checker

const SAMPLE_TAG = keccak_256(new TextEncoder().encode("checkernet.v1.challenge.matmul.sample"));

/**
 * The rows the checker opens: `count` distinct indices in [0, n), sorted,
 * from keccak256(SAMPLE_TAG ‖ randomness ‖ root ‖ uint32be(counter)). The
 * root is an input, so the rows are fixed only after the provider committed;
 * `randomness` is the checker's secret, so the provider cannot predict them.
 */
export function sampleRows(randomness: Bytes32Like, root: Bytes32Like, n: number, count: number): number[] {
  checkInteger("n", n, 1, MATMUL_ABSOLUTE_MAX_SIZE);
  checkInteger("count", count, 1, n);
  return sampleDistinct(
    concatBytes(SAMPLE_TAG, bytes32(randomness, "randomness"), bytes32(root, "root")),
    n,
    count,
  );
}

/**
 * Row i of A·B from B and row i of A alone. `a` is either all of A (n² values)
 * or just its row i (n values), as `matmulRowA` returns it.
 */
export function recomputeRow(a: Int8Array, b: Int8Array, n: number, i: number): Int32Array {
  checkInteger("row", i, 0, n - 1);
  if (a.length !== n * n && a.length !== n) {
    throw new ChallengeError(ChallengeErrorCode.INVALID_ARGUMENT, "a must be A (n²) or its row i (n)", {
      n,
      length: a.length,
    });
  }
  return solveMatmulRows(a, b, n, i, i + 1);
}

export interface VerifyMatmulInput {
  /** The seed sent in the MatmulRequest. */
  seed: Bytes32Like;
  n: number;
  /** The claimed GPU class (id or wire code). */
  classId: GpuClassId;
  /** The provider's MatmulCommit; null when none arrived before the checker gave up. */
  commitment: MatmulCommit | null;
  /** The rows the checker asked for (its MatmulOpen). */
  requestedRows: readonly number[];
  /** The provider's MatmulRows; null when none arrived. */
  openings: MatmulRows | null;
  /** Checker clock, ms, from sending the request to receiving the commitment. */
  measuredMs: number;
  /** The run's p50 ping RTT, ms (network allowance of the deadline). */
  networkRttMs: number;
  params: Pick<ProtocolParams, "matmulMaxSize">;
  /** The provider's answer key for the run (matmul-signature.ts); absent: none registered, no signature rule. */
  answerKey?: AnswerKeyCheck;
}

export interface MatmulOutcome extends ChallengeOutcome {
  /** Multiply-accumulates per second the checker credits: n³ / computeMs (uint64, 0 without a commitment). */
  throughput: bigint;
  deadlineMs: number;
  /** max(measuredMs − networkRttMs, elapsedMs, 0.001): the checker's estimate of the compute time. */
  computeMs: number;
}

/**
 * Applies the matmul rules:
 * - no commitment: TIMEOUT `NO_COMMITMENT`;
 * - `measuredMs` above the class deadline (gpu-classes.ts): FAIL
 *   `DEADLINE_EXCEEDED`, the device is slower than the class it claims;
 * - `elapsedMs` above `measuredMs` (+1 ms rounding): FAIL
 *   `ELAPSED_EXCEEDS_MEASURED`, the provider claims to have worked longer
 *   than the checker waited;
 * - with `answerKey`: no signature FAIL `UNSIGNED_ANSWER`, one that does not
 *   recover the key FAIL `BAD_ANSWER_SIGNATURE` (matmul-signature.ts);
 * - no openings: TIMEOUT `NO_OPENINGS`;
 * - not one row and one proof per asked row: FAIL `WRONG_ROW_COUNT`;
 * - a row of the wrong length: FAIL `MALFORMED_ROW`; a row that differs from
 *   the checker's recomputation: FAIL `WRONG_ROW`; a proof that does not lead
 *   from the row's leaf to the root, or is longer than ⌈log2 n⌉: FAIL
 *   `BAD_PROOF`.
 * The checker regenerates B and only the asked rows of A.
 */
export function verifyMatmul(input: VerifyMatmulInput): MatmulOutcome {
  const { n, params, commitment, openings } = input;
  checkMatmulSize(n, params);
  checkDuration("measuredMs", input.measuredMs);
  const deadlineMs = matmulDeadlineMs(input.classId, n, input.networkRttMs, params);
  const requested = [...input.requestedRows];
  const seen = new Set<number>();
  for (const i of requested) {
    checkInteger("requested row", i, 0, n - 1);
    if (seen.has(i)) {
      throw new ChallengeError(ChallengeErrorCode.INVALID_ARGUMENT, `row ${i} was requested twice`, {
        row: i,
      });
    }
    seen.add(i);
  }
  const fails: Reason[] = [];
  const timeouts: Reason[] = [];
  if (commitment === null) {
    timeouts.push({ code: ReasonCode.NO_COMMITMENT, message: "no MatmulCommit arrived" });
    return {
      result: combineResults(fails, timeouts),
      reasons: timeouts,
      throughput: 0n,
      deadlineMs,
      computeMs: 0,
    };
  }
  const root = bytes32(commitment.root, "commitment root");
  if (input.measuredMs > deadlineMs) {
    fails.push({
      code: ReasonCode.DEADLINE_EXCEEDED,
      message: `commitment after ${input.measuredMs.toFixed(1)} ms, the ${gpuClass(input.classId).id} deadline for n=${n} is ${deadlineMs.toFixed(1)} ms`,
    });
  }
  if (commitment.elapsedMs > input.measuredMs + 1) {
    fails.push({
      code: ReasonCode.ELAPSED_EXCEEDS_MEASURED,
      message: `provider reports ${commitment.elapsedMs} ms of work but answered after ${input.measuredMs.toFixed(1)} ms`,
    });
  }
  if (input.answerKey !== undefined) {
    const signed = {
      seed: bytesToHex(bytes32(input.seed, "seed")),
      n,
      classId: gpuClass(input.classId).code,
    };
    const bad = commitmentSignatureReason(input.answerKey, {
      ...signed,
      root: bytesToHex(root),
      signature: commitment.signature ?? "0x",
    });
    if (bad !== null) fails.push(bad);
  }
  const computeMs = Math.max(input.measuredMs - input.networkRttMs, commitment.elapsedMs, 0.001);
  const throughput = macsPerSecond(n, computeMs);

  if (openings === null) {
    timeouts.push({ code: ReasonCode.NO_OPENINGS, message: "no MatmulRows arrived" });
  } else if (openings.rows.length !== requested.length || openings.proofs.length !== requested.length) {
    fails.push({
      code: ReasonCode.WRONG_ROW_COUNT,
      message: `asked for ${requested.length} rows, got ${openings.rows.length} rows and ${openings.proofs.length} proofs`,
    });
  } else {
    const b = generateMatmulB(input.seed, n);
    const depth = maxProofLength(n);
    requested.forEach((i, k) => {
      const row = openings.rows[k] as Int32Array;
      const proof = openings.proofs[k] as Hex[];
      if (!(row instanceof Int32Array) || row.length !== n) {
        fails.push({ code: ReasonCode.MALFORMED_ROW, message: `row ${i} does not hold ${n} int32 values` });
        return;
      }
      const expected = recomputeRow(matmulRowA(input.seed, n, i), b, n, i);
      const column = equalInt32(row, expected);
      if (column !== -1) {
        fails.push({
          code: ReasonCode.WRONG_ROW,
          message: `row ${i} column ${column} is ${row[column]}, expected ${expected[column]}`,
        });
        return;
      }
      if (!proofLeadsToRoot(rowLeaf(row, i), proof, root, depth)) {
        fails.push({
          code: ReasonCode.BAD_PROOF,
          message: `the proof of row ${i} does not lead to the committed root`,
        });
      }
    });
  }
  return {
    result: combineResults(fails, timeouts),
    reasons: [...fails, ...timeouts],
    throughput,
    deadlineMs,
    computeMs,
  };
}

function proofLeadsToRoot(
  leaf: Uint8Array,
  proof: readonly Hex[],
  root: Uint8Array,
  maxDepth: number,
): boolean {
  if (!Array.isArray(proof) || proof.length > maxDepth) return false;
  const siblings: Uint8Array[] = [];
  for (const p of proof) {
    if (!isHex(p, { strict: true }) || p.length !== 66) return false;
    siblings.push(hexToBytes(p));
  }
  const top = processProof(leaf, siblings);
  for (let k = 0; k < 32; k++) if (top[k] !== root[k]) return false;
  return true;
}

/** n³ multiply-accumulates over `ms`, as uint64 MAC/s. */
export function macsPerSecond(n: number, ms: number): bigint {
  const micros = BigInt(Math.max(1, Math.round(ms * 1000)));
  const value = (BigInt(n) ** 3n * 1_000_000n) / micros;
  return value > UINT64_MAX ? UINT64_MAX : value;
}

// ---------------------------------------------------------------------------------------------------------------
// wire codecs

/**
 * MatmulRequest: `abi.encode((bytes32 seed, uint32 n, uint16 classId, uint64 epoch, address checker))`,
 * 160 bytes.
 */
export const matmulRequestCodec = defineCodec({
  name: "MatmulRequest",
  maxBytes: 160,
  abi: [
    {
      type: "tuple",
      components: [
        { name: "seed", type: "bytes32" },
        { name: "n", type: "uint32" },
        { name: "classId", type: "uint16" },
        { name: "epoch", type: "uint64" },
        { name: "checker", type: "address" },
      ],
    },
  ] as const,
  toAbi: (r: MatmulRequest) => [r] as const,
  fromAbi: ([f]) => {
    checkRange("MatmulRequest", "n", f.n, 1, MATMUL_ABSOLUTE_MAX_SIZE);
    if (!isGpuClassCode(f.classId)) {
      throw new DecodeError(DecodeErrorCode.OUT_OF_RANGE, "MatmulRequest.classId is not a known GPU class", {
        field: "classId",
        value: String(f.classId),
      });
    }
    return { seed: f.seed, n: f.n, classId: f.classId, epoch: f.epoch, checker: getAddress(f.checker) };
  },
});

/** Length of an answer-key signature (r ‖ s ‖ v). */
export const ANSWER_SIGNATURE_BYTES = 65;

/**
 * MatmulCommit: `abi.encode((bytes32 root, uint32 elapsedMs, bytes signature))`, the signature
 * empty or 65 bytes: at most 256 bytes.
 */
export const matmulCommitCodec = defineCodec({
  name: "MatmulCommit",
  maxBytes: 256,
  abi: [
    {
      type: "tuple",
      components: [
        { name: "root", type: "bytes32" },
        { name: "elapsedMs", type: "uint32" },
        { name: "signature", type: "bytes" },
      ],
    },
  ] as const,
  toAbi: (c: MatmulCommit) => [{ ...c, signature: c.signature ?? "0x" }] as const,
  fromAbi: ([f]) => {
    const bytes = (f.signature.length - 2) / 2;
    if (bytes !== 0) checkLength("MatmulCommit", "signature", f.signature, ANSWER_SIGNATURE_BYTES);
    return { root: f.root, elapsedMs: f.elapsedMs, signature: f.signature };
  },
});

const openCodecs = new Map<string, Codec<MatmulOpen>>();
const rowsCodecs = new Map<string, Codec<MatmulRows>>();

/**
 * MatmulOpen for a challenge of size n: `abi.encode((uint32[] rows))`, 1 to
 * `maxRows` indices, strictly ascending, each below n; at most 96 + 32·maxRows bytes.
 */
export function matmulOpenCodec(n: number, maxRows: number): Codec<MatmulOpen> {
  checkInteger("n", n, 1, MATMUL_ABSOLUTE_MAX_SIZE);
  checkInteger("maxRows", maxRows, 1, n);
  const key = `${n}/${maxRows}`;
  let codec = openCodecs.get(key);
  if (!codec) {
    codec = defineCodec({
      name: "MatmulOpen",
      maxBytes: 96 + 32 * maxRows,
      abi: [{ type: "tuple", components: [{ name: "rows", type: "uint32[]" }] }] as const,
      toAbi: (o: MatmulOpen) => [{ rows: o.rows }] as const,
      fromAbi: ([f]) => {
        checkRange("MatmulOpen", "rows.length", f.rows.length, 1, maxRows);
        f.rows.forEach((row, k) => {
          checkRange("MatmulOpen", `rows[${k}]`, row, k === 0 ? 0 : (f.rows[k - 1] as number) + 1, n - 1);
        });
        return { rows: [...f.rows] };
      },
    });
    openCodecs.set(key, codec);
  }
  return codec;
}

/**
 * MatmulRows for `count` rows of a size-n challenge:
 * `abi.encode((bytes[] rows, bytes32[][] proofs))` with exactly `count` rows
 * of exactly 4n bytes (little-endian int32) and `count` proofs of at most
 * ⌈log2 n⌉ nodes. The byte bound is exact for that shape, so an oversized
 * answer is refused before parsing.
 */
export function matmulRowsCodec(n: number, count: number): Codec<MatmulRows> {
  checkInteger("n", n, 1, MATMUL_ABSOLUTE_MAX_SIZE);
  checkInteger("count", count, 1, n);
  const key = `${n}/${count}`;
  let codec = rowsCodecs.get(key);
  if (!codec) {
    const depth = maxProofLength(n);
    const rowWords = Math.ceil((4 * n) / 32);
    const maxBytes =
      32 +
      64 +
      (32 + 32 * count + count * (32 + 32 * rowWords)) +
      (32 + 32 * count + count * (32 + 32 * depth));
    codec = defineCodec({
      name: "MatmulRows",
      maxBytes,
      abi: [
        {
          type: "tuple",
          components: [
            { name: "rows", type: "bytes[]" },
            { name: "proofs", type: "bytes32[][]" },
          ],
        },
      ] as const,
      toAbi: (r: MatmulRows) =>
        [{ rows: r.rows.map((row) => bytesToHex(rowToBytes(row))), proofs: r.proofs }] as const,
      fromAbi: ([f]) => {
        checkRange("MatmulRows", "rows.length", f.rows.length, count, count);
        checkRange("MatmulRows", "proofs.length", f.proofs.length, count, count);
        for (const [k, row] of f.rows.entries()) checkLength("MatmulRows", `rows[${k}]`, row, 4 * n);
        for (const [k, proof] of f.proofs.entries()) {
          checkRange("MatmulRows", `proofs[${k}].length`, proof.length, 0, depth);
        }
        return {
          rows: f.rows.map((row) => rowFromBytes(hexToBytes(row))),
          proofs: f.proofs.map((proof) => [...proof]),
        };
      },
    });
    rowsCodecs.set(key, codec);
  }
  return codec;
}
