import { SimpleMerkleTree } from "@openzeppelin/merkle-tree";
import fc from "fast-check";
import { bytesToHex, concat, type Hex, hexToBytes, keccak256, numberToBytes } from "viem";
import { describe, expect, it } from "vitest";
import { ChallengeError, ReasonCode } from "../../src/challenges/common.ts";
import { gpuClass, matmulDeadlineMs } from "../../src/challenges/gpu-classes.ts";
import {
  ColumnDots,
  chunkEntry,
  chunkLeaf,
  commitRows,
  entryProof,
  entryProofFromRow,
  generateMatmul,
  generateMatmulB,
  MATMUL_ABSOLUTE_MAX_SIZE,
  MATMUL_SAMPLED_ENTRIES,
  type MatmulRows,
  macsPerSecond,
  matmulChunkCount,
  matmulColumnB,
  matmulCommitCodec,
  matmulEntry,
  matmulOpenCodec,
  matmulRequestCodec,
  matmulRowA,
  matmulRowsCodec,
  openRows,
  recomputeRow,
  rowChunkTree,
  rowLeaf,
  rowLeafOfRoot,
  sampleRows,
  solveMatmul,
  type VerifyMatmulInput,
  verifyMatmul,
} from "../../src/challenges/matmul.ts";
import { int8Stream } from "../../src/challenges/prng.ts";
import { buildRowTree, maxProofLength, processProof, rowTreeProof } from "../../src/challenges/row-tree.ts";
import { DecodeError } from "../../src/errors.ts";
import { DEFAULT_PARAMS, withParams } from "../../src/params.ts";
import { CheckResult } from "../../src/types.ts";
import { expectMutationRejected } from "./helpers.ts";

const SEED = `0x${"07".repeat(32)}` as const;
const RANDOMNESS = `0x${"99".repeat(32)}` as const;
const params = withParams({ matmulSampledRows: 4 });
const seedArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => bytesToHex(b));

/** The textbook i-j-k product, written independently of the solver under test. */
function naiveProduct(a: Int8Array, b: Int8Array, n: number): Int32Array {
  const c = new Int32Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let k = 0; k < n; k++) sum += (a[i * n + k] as number) * (b[k * n + j] as number);
      c[i * n + j] = sum;
    }
  return c;
}

/** One honest provider answer for (seed, n): commitment, asked rows and openings. */
function honestRun(seed: Hex, n: number, count = params.matmulSampledRows) {
  const { a, b } = generateMatmul(seed, n);
  const c = solveMatmul(a, b, n);
  const { root, tree } = commitRows(c, n);
  const requestedRows = sampleRows(RANDOMNESS, root, n, Math.min(count, n));
  const openings = openRows(tree, c, requestedRows);
  const input: VerifyMatmulInput = {
    seed,
    n,
    classId: "cpu-reference",
    commitment: { root, elapsedMs: 3 },
    requestedRows,
    randomness: RANDOMNESS,
    openings,
    measuredMs: 20,
    networkRttMs: 1,
    params,
  };
  return { a, b, c, root, tree, requestedRows, openings, input };
}

function codes(out: { reasons: { code: string }[] }): string[] {
  return out.reasons.map((r) => r.code);
}

describe("generation and the reference solver", () => {
  it("regenerates row i of A and B alone exactly as the full generation", () => {
    const n = 48;
    const { a, b } = generateMatmul(SEED, n);
    expect(generateMatmulB(SEED, n)).toEqual(b);
    for (const i of [0, 17, 47]) expect(matmulRowA(SEED, n, i)).toEqual(a.subarray(i * n, (i + 1) * n));
    expect(a).not.toEqual(b);
  });

  it("computes exactly the textbook product, including sizes that are not multiples of 4", () => {
    for (const n of [1, 2, 3, 5, 16, 33, 64]) {
      const { a, b } = generateMatmul(SEED, n);
      expect(solveMatmul(a, b, n)).toEqual(naiveProduct(a, b, n));
    }
  });

  it("is exact at the int8 extremes (no float rounding, no overflow)", () => {
    const n = 64;
    const a = new Int8Array(n * n).fill(-128);
    const b = new Int8Array(n * n).fill(-128);
    expect(solveMatmul(a, b, n).every((x) => x === n * 16384)).toBe(true);
    b.fill(127);
    expect(solveMatmul(a, b, n).every((x) => x === n * -16256)).toBe(true);
  });

  it("recomputes any single row from B and that row of A", () => {
    const n = 40;
    const { a, b } = generateMatmul(SEED, n);
    const c = solveMatmul(a, b, n);
    for (const i of [0, 9, 39]) {
      expect(recomputeRow(matmulRowA(SEED, n, i), b, n, i)).toEqual(c.subarray(i * n, (i + 1) * n));
      expect(recomputeRow(a, b, n, i)).toEqual(c.subarray(i * n, (i + 1) * n));
    }
    expect(() => recomputeRow(new Int8Array(3), b, n, 0)).toThrow(ChallengeError);
  });
});

describe("random-access inputs", () => {
  it("defines B by columns: B[k][j] = int8Stream(seed, 'matmul.bt', j)[k], for sizes around the transpose tile", () => {
    for (const n of [1, 3, 63, 64, 65, 130]) {
      const b = generateMatmulB(SEED, n);
      for (const j of new Set([0, Math.floor(n / 2), n - 1])) {
        const column = matmulColumnB(SEED, n, j);
        expect(column).toEqual(int8Stream(SEED, "matmul.bt", j, n));
        for (let k = 0; k < n; k++) expect(b[k * n + j]).toBe(column[k]);
      }
    }
    expect(() => matmulColumnB(SEED, 8, 8)).toThrow(ChallengeError);
  });

  it("recomputes any entry of C from two streams (matmulEntry equals the solver)", () => {
    fc.assert(
      fc.property(seedArb, fc.integer({ min: 1, max: 48 }), fc.nat(), fc.nat(), (seed, n, x, y) => {
        const { a, b } = generateMatmul(seed, n);
        const c = solveMatmul(a, b, n);
        const i = x % n;
        const j = y % n;
        expect(matmulEntry(seed, n, i, j)).toBe(c[i * n + j]);
      }),
      { numRuns: 40 },
    );
  });

  it("ColumnDots streams column j of B into the dot product: the same sum as the materialised column", () => {
    // Every n mod 4 (the trailing partial word), any row of A including the int8 extremes.
    const rowArb = (n: number) => fc.int8Array({ minLength: n, maxLength: n });
    fc.assert(
      fc.property(
        seedArb,
        fc.integer({ min: 1, max: 300 }).chain((n) => fc.tuple(fc.constant(n), rowArb(n), fc.nat())),
        (seed, [n, a, y]) => {
          const j = y % n;
          const column = matmulColumnB(seed, n, j);
          let expected = 0;
          for (let k = 0; k < n; k++) expected += (a[k] as number) * (column[k] as number);
          expect(new ColumnDots(seed, n).dot(a, j)).toBe(expected);
        },
      ),
      { numRuns: 200 },
    );
    const n = 4099;
    const extreme = new Int8Array(n).fill(-128);
    const column = matmulColumnB(SEED, n, n - 1);
    expect(new ColumnDots(SEED, n).dot(extreme, n - 1)).toBe(column.reduce((sum, v) => sum - 128 * v, 0));
    expect(() => new ColumnDots(SEED, n).dot(new Int8Array(n - 1), 0)).toThrow(ChallengeError);
    expect(() => new ColumnDots(SEED, n).dot(extreme, n)).toThrow(ChallengeError);
  });

  it("is exact at n = 256 for every entry of a row and a column", () => {
    const n = 256;
    const { a, b } = generateMatmul(SEED, n);
    const c = solveMatmul(a, b, n);
    for (let t = 0; t < n; t++) {
      expect(matmulEntry(SEED, n, 77, t)).toBe(c[77 * n + t]);
      expect(matmulEntry(SEED, n, t, 200)).toBe(c[t * n + 200]);
    }
  });
});

describe("row tree v2", () => {
  it("builds each row's chunk tree and the commitment as OpenZeppelin trees over index-bound leaves", () => {
    for (const n of [1, 7, 8, 9, 20, 33]) {
      const { c } = honestRun(SEED, n);
      const { root } = commitRows(c, n);
      const rowLeaves: Hex[] = [];
      for (let i = 0; i < n; i++) {
        const row = c.subarray(i * n, (i + 1) * n);
        const chunkLeaves: Hex[] = [];
        for (let ch = 0; ch < matmulChunkCount(n); ch++) {
          const chunk = new Uint8Array(32);
          const view = new DataView(chunk.buffer);
          for (let e = 0; e < 8 && ch * 8 + e < n; e++) view.setInt32(e * 4, row[ch * 8 + e] as number, true);
          chunkLeaves.push(keccak256(concat([new Uint8Array([0]), numberToBytes(ch, { size: 4 }), chunk])));
        }
        const rowTree = SimpleMerkleTree.of(chunkLeaves, { sortLeaves: false });
        expect(rowChunkTree(row).root).toBe(rowTree.root);
        const leaf = keccak256(
          concat([new Uint8Array([1]), numberToBytes(i, { size: 4 }), hexToBytes(rowTree.root as Hex)]),
        );
        expect(bytesToHex(rowLeaf(row, i))).toBe(leaf);
        rowLeaves.push(leaf);
      }
      expect(root).toBe(SimpleMerkleTree.of(rowLeaves, { sortLeaves: false }).root);
    }
  });

  it("opens any entry with a chunk path and a row path that lead to the root", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.nat(), fc.nat(), (n, x, y) => {
        const { c, tree, root } = honestRun(SEED, n, 1);
        const i = x % n;
        const j = y % n;
        const proof = entryProof(tree, c, i, j);
        const chunk = hexToBytes(proof.chunk);
        expect(chunkEntry(chunk, j)).toBe(c[i * n + j]);
        expect(proof.chunkProof.length).toBeLessThanOrEqual(maxProofLength(matmulChunkCount(n)));
        expect(proof.rowProof.length).toBeLessThanOrEqual(maxProofLength(n));
        const rowRoot = processProof(
          chunkLeaf(chunk, Math.floor(j / 8)),
          proof.chunkProof.map((p) => hexToBytes(p)),
        );
        const top = processProof(
          rowLeafOfRoot(rowRoot, i),
          proof.rowProof.map((p) => hexToBytes(p)),
        );
        expect(bytesToHex(top)).toBe(root);
        const opened = openRows(tree, c, [i]);
        expect(entryProofFromRow(opened.rows[0] as Int32Array, j, opened.proofs[0] as Hex[])).toEqual(proof);
      }),
      { numRuns: 40 },
    );
  });

  it("binds positions: a chunk leaf under another index, or a row root under another row, changes the leaf", () => {
    const chunk = new Uint8Array(32).fill(3);
    expect(chunkLeaf(chunk, 1)).not.toEqual(chunkLeaf(chunk, 2));
    expect(rowLeafOfRoot(chunk, 5)).not.toEqual(rowLeafOfRoot(chunk, 7));
    expect(rowLeafOfRoot(chunk, 5)).not.toEqual(chunkLeaf(chunk, 5));
    expect(() => chunkLeaf(new Uint8Array(31), 0)).toThrow(ChallengeError);
  });
});

describe("row commitments", () => {
  it("builds the same tree as OpenZeppelin's SimpleMerkleTree, and its proofs verify there", () => {
    for (const n of [1, 2, 3, 7, 32, 33]) {
      const { c } = honestRun(SEED, n);
      const leaves = Array.from({ length: n }, (_, i) =>
        bytesToHex(rowLeaf(c.subarray(i * n, (i + 1) * n), i)),
      );
      const oz = SimpleMerkleTree.of(leaves, { sortLeaves: false });
      const { root, tree } = commitRows(c, n);
      expect(root).toBe(oz.root);
      for (let i = 0; i < n; i++) {
        const proof = rowTreeProof(tree, i);
        expect(proof).toEqual(oz.getProof(i));
        expect(proof.length).toBeLessThanOrEqual(maxProofLength(n));
        expect(SimpleMerkleTree.verify(root, leaves[i] as Hex, proof)).toBe(true);
      }
    }
  });

  it("samples rows that depend on the root and the checker's randomness", () => {
    const { root } = honestRun(SEED, 64);
    const rows = sampleRows(RANDOMNESS, root, 64, 4);
    expect(rows).toHaveLength(4);
    expect(sampleRows(RANDOMNESS, root, 64, 4)).toEqual(rows);
    const others = [`0x${"01".repeat(32)}`, `0x${"02".repeat(32)}`, `0x${"03".repeat(32)}`] as const;
    expect(others.some((r) => sampleRows(RANDOMNESS, r, 64, 4).join() !== rows.join())).toBe(true);
    expect(others.some((r) => sampleRows(r, root, 64, 4).join() !== rows.join())).toBe(true);
  });

  it("refuses an empty tree", () => {
    expect(() => buildRowTree([])).toThrow(ChallengeError);
  });
});

describe("verifyMatmul", () => {
  it("passes every honest provider", () => {
    fc.assert(
      fc.property(seedArb, fc.integer({ min: 1, max: 40 }), (seed, n) => {
        const out = verifyMatmul(honestRun(seed, n).input);
        expect(codes(out)).toEqual([]);
        expect(out.result).toBe(CheckResult.PASS);
        expect(out.throughput).toBe(macsPerSecond(n, 19));
      }),
      { numRuns: 25 },
    );
  });

  it("fails any single wrong int32 in an opened row (n ≤ MATMUL_SAMPLED_ENTRIES: every entry recomputed)", () => {
    const n = MATMUL_SAMPLED_ENTRIES;
    const run = honestRun(SEED, n);
    fc.assert(
      fc.property(
        fc.nat({ max: run.requestedRows.length - 1 }),
        fc.nat({ max: n - 1 }),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).filter((d) => d !== 0),
        (k, column, delta) => {
          const rows = run.openings.rows.map((r) => r.slice());
          const row = rows[k] as Int32Array;
          row[column] = (row[column] as number) + delta;
          const out = verifyMatmul({ ...run.input, openings: { rows, proofs: run.openings.proofs } });
          expect(out.result).toBe(CheckResult.FAIL);
          expect(codes(out)).toEqual([ReasonCode.WRONG_ROW]);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("fails a wrong product committed consistently (the root commits to a wrong C)", () => {
    const n = MATMUL_SAMPLED_ENTRIES;
    const run = honestRun(SEED, n);
    const c = run.c.slice();
    for (let i = 0; i < n; i++) c[i * n + 5] = (c[i * n + 5] as number) + 1; // one wrong column in every row
    const { root, tree } = commitRows(c, n);
    const requestedRows = sampleRows(RANDOMNESS, root, n, 4);
    const out = verifyMatmul({
      ...run.input,
      commitment: { root, elapsedMs: 3 },
      requestedRows,
      openings: openRows(tree, c, requestedRows),
    });
    expect(out.result).toBe(CheckResult.FAIL);
    expect(codes(out)).toEqual(Array(4).fill(ReasonCode.WRONG_ROW));
  });

  it("fails proofs that belong to other rows, other trees, or are padded", () => {
    const run = honestRun(SEED, 32);
    const swapped: MatmulRows = { rows: run.openings.rows, proofs: [...run.openings.proofs].reverse() };
    expect(codes(verifyMatmul({ ...run.input, openings: swapped }))).toContain(ReasonCode.BAD_PROOF);
    const other = honestRun(`0x${"08".repeat(32)}`, 32);
    const foreign = verifyMatmul({ ...run.input, commitment: { root: other.root, elapsedMs: 3 } });
    expect(codes(foreign)).toEqual(Array(4).fill(ReasonCode.BAD_PROOF));
    const padded = run.openings.proofs.map((p) => [...p, p[0] as Hex]);
    expect(
      codes(verifyMatmul({ ...run.input, openings: { rows: run.openings.rows, proofs: padded } })),
    ).toEqual(Array(4).fill(ReasonCode.BAD_PROOF));
  });

  it("fails missing, extra or malformed rows", () => {
    const run = honestRun(SEED, 32);
    const fewer = { rows: run.openings.rows.slice(1), proofs: run.openings.proofs.slice(1) };
    expect(codes(verifyMatmul({ ...run.input, openings: fewer }))).toEqual([ReasonCode.WRONG_ROW_COUNT]);
    const short = {
      rows: run.openings.rows.map((r, k) => (k === 0 ? r.slice(1) : r)),
      proofs: run.openings.proofs,
    };
    expect(codes(verifyMatmul({ ...run.input, openings: short }))).toEqual([ReasonCode.MALFORMED_ROW]);
  });

  it("times out without a commitment or openings", () => {
    const run = honestRun(SEED, 16);
    const noCommit = verifyMatmul({ ...run.input, commitment: null, openings: null });
    expect([noCommit.result, codes(noCommit), noCommit.throughput]).toEqual([
      CheckResult.TIMEOUT,
      [ReasonCode.NO_COMMITMENT],
      0n,
    ]);
    const noOpen = verifyMatmul({ ...run.input, openings: null });
    expect([noOpen.result, codes(noOpen)]).toEqual([CheckResult.TIMEOUT, [ReasonCode.NO_OPENINGS]]);
  });

  it("times out a commitment later than the claimed class's deadline (availability, issue 14)", () => {
    const run = honestRun(SEED, 64);
    const deadline = matmulDeadlineMs("cpu-reference", 64, 1, params);
    expect(verifyMatmul({ ...run.input, measuredMs: deadline }).result).toBe(CheckResult.PASS);
    const late = verifyMatmul({ ...run.input, measuredMs: deadline + 0.5 });
    expect([late.result, codes(late)]).toEqual([CheckResult.TIMEOUT, [ReasonCode.DEADLINE_EXCEEDED]]);
    // The same wall time is fine for the slow class and far too slow for an H100.
    const claimedH100 = verifyMatmul({ ...run.input, classId: "h100-sxm", measuredMs: deadline });
    expect(codes(claimedH100)).toEqual([ReasonCode.DEADLINE_EXCEEDED]);
    expect(late.deadlineMs).toBe(deadline);
  });

  it("fails a provider claiming more work time than the checker waited", () => {
    const run = honestRun(SEED, 16);
    const out = verifyMatmul({ ...run.input, commitment: { root: run.root, elapsedMs: 40 }, measuredMs: 20 });
    expect(codes(out)).toEqual([ReasonCode.ELAPSED_EXCEEDS_MEASURED]);
  });

  it("credits n³ over the compute time, never more than the RTT-corrected wait allows", () => {
    expect(macsPerSecond(1000, 1000)).toBe(1_000_000_000n);
    const run = honestRun(SEED, 16);
    const out = verifyMatmul({ ...run.input, measuredMs: 101, networkRttMs: 1 });
    expect(out.computeMs).toBe(100);
    expect(out.throughput).toBe(40_960n);
  });

  it("refuses caller mistakes with typed errors", () => {
    const run = honestRun(SEED, 16);
    expect(() => verifyMatmul({ ...run.input, n: DEFAULT_PARAMS.matmulMaxSize + 1 })).toThrow(ChallengeError);
    expect(() => verifyMatmul({ ...run.input, requestedRows: [1, 1] })).toThrow(ChallengeError);
    expect(() => verifyMatmul({ ...run.input, requestedRows: [16] })).toThrow(ChallengeError);
    expect(() => verifyMatmul({ ...run.input, classId: "abacus" })).toThrow(ChallengeError);
    expect(() => verifyMatmul({ ...run.input, measuredMs: Number.POSITIVE_INFINITY })).toThrow(
      ChallengeError,
    );
  });
});

describe("matmul wire codecs", () => {
  it("round-trip and reject mutations", () => {
    const run = honestRun(SEED, 32);
    const request = {
      seed: SEED,
      n: 32,
      classId: gpuClass("cpu-reference").code,
      epoch: 9n,
      checker: "0x00000000000000000000000000000000000000C1" as const,
    };
    expect(matmulRequestCodec.encode(request).length).toBe(matmulRequestCodec.maxBytes);
    expect(matmulRequestCodec.decode(matmulRequestCodec.encode(request))).toEqual(request);
    expectMutationRejected(matmulRequestCodec, request);
    const unsigned = { root: run.root, elapsedMs: 1234, signature: "0x" as Hex };
    expect(matmulCommitCodec.decode(matmulCommitCodec.encode(unsigned))).toEqual(unsigned);
    const commit = { root: run.root, elapsedMs: 1234, signature: `0x${"5a".repeat(64)}1b` as Hex };
    expect(matmulCommitCodec.encode(commit).length).toBe(matmulCommitCodec.maxBytes);
    expect(matmulCommitCodec.decode(matmulCommitCodec.encode(commit))).toEqual(commit);
    expectMutationRejected(matmulCommitCodec, commit);
    const openCodec = matmulOpenCodec(32, 4);
    const open = { rows: run.requestedRows };
    expect(openCodec.decode(openCodec.encode(open))).toEqual(open);
    expectMutationRejected(openCodec, open);
    const rowsCodec = matmulRowsCodec(32, run.requestedRows.length);
    expect(rowsCodec.decode(rowsCodec.encode(run.openings))).toEqual(run.openings);
    expectMutationRejected(rowsCodec, run.openings, 60);
  });

  it("bounds sizes by n and the row count exactly", () => {
    for (const n of [5, 32, 100]) {
      const count = Math.min(4, n);
      const codec = matmulRowsCodec(n, count);
      const depth = maxProofLength(n);
      const full: MatmulRows = {
        rows: Array.from({ length: count }, () => new Int32Array(n)),
        proofs: Array.from({ length: count }, () =>
          Array.from({ length: depth }, () => `0x${"ab".repeat(32)}` as Hex),
        ),
      };
      expect(codec.encode(full).length).toBe(codec.maxBytes);
      const open = matmulOpenCodec(n, count);
      expect(open.encode({ rows: Array.from({ length: count }, (_, k) => k) }).length).toBe(open.maxBytes);
    }
  });

  it("rejects out-of-range fields", () => {
    const bad = (value: object, codec: { encode(v: never): Uint8Array; decode(b: Uint8Array): unknown }) =>
      expect(() => codec.decode(codec.encode(value as never))).toThrow(DecodeError);
    const who = { epoch: 1n, checker: "0x00000000000000000000000000000000000000C1" };
    bad({ seed: SEED, n: 0, classId: 1, ...who }, matmulRequestCodec);
    bad({ seed: SEED, n: MATMUL_ABSOLUTE_MAX_SIZE + 1, classId: 1, ...who }, matmulRequestCodec);
    bad({ seed: SEED, n: 32, classId: 999, ...who }, matmulRequestCodec);
    bad({ root: SEED, elapsedMs: 1, signature: `0x${"11".repeat(64)}` }, matmulCommitCodec);
    bad({ rows: [3, 1] }, matmulOpenCodec(32, 4));
    bad({ rows: [1, 1] }, matmulOpenCodec(32, 4));
    bad({ rows: [32] }, matmulOpenCodec(32, 4));
    bad({ rows: [] }, matmulOpenCodec(32, 4));
    const run = honestRun(SEED, 32);
    const rows32 = matmulRowsCodec(32, 4);
    // A row of another size, or a proof deeper than the tree, is refused before any hashing.
    const wide = matmulRowsCodec(33, 4).encode({
      rows: run.openings.rows.map(() => new Int32Array(33)),
      proofs: run.openings.proofs,
    });
    expect(() => rows32.decode(wide)).toThrow(DecodeError);
    const deep = {
      rows: run.openings.rows,
      proofs: run.openings.proofs.map((p) => [...p, p[0] as Hex, p[0] as Hex]),
    };
    expect(() => rows32.decode(matmulRowsCodec(1024, 4).encode(deep))).toThrow(DecodeError);
  });
});
