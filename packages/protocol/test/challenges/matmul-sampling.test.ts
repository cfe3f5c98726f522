import fc from "fast-check";
import { type Address, bytesToHex, type Hex, keccak256, numberToHex, toBytes } from "viem";
import { describe, expect, it } from "vitest";
import { ReasonCode } from "../../src/challenges/common.ts";
import {
  commitRows,
  entryProofFromRow,
  generateMatmul,
  MATMUL_SAMPLED_ENTRIES,
  matmulEntry,
  openRows,
  sampleColumns,
  sampledEntryCount,
  sampleRows,
  solveMatmul,
  type VerifyMatmulInput,
  verifyMatmul,
  wrongSampledEntry,
} from "../../src/challenges/matmul.ts";
import { answerKeyAddress, signMatmulCommitment } from "../../src/fraud/answerSigning.ts";
import { buildMatmulFraudProof, verifyMatmulFraudProof } from "../../src/fraud/matmulFraud.ts";
import { withParams } from "../../src/params.ts";
import { CheckResult } from "../../src/types.ts";

const params = withParams({ matmulSampledRows: 4 });
const seedArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => bytesToHex(b));
const DOMAIN = {
  chainId: 31337n,
  verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as Address,
};
const KEY = keccak256(toBytes("matmul sampling test key"));
const PROVIDER: Address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const CHECKER: Address = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
/** Randomness number k: the checker's secret of the k-th try. */
const randomnessOf = (k: number): Hex => keccak256(numberToHex(k, { size: 32 }));

/** A provider's product for (seed, n) with the listed entries off by one, committed. */
function committed(seed: Hex, n: number, wrong: readonly (readonly [number, number])[] = []) {
  const { a, b } = generateMatmul(seed, n);
  const c = solveMatmul(a, b, n);
  for (const [i, j] of wrong) c[i * n + j] = ((c[i * n + j] as number) + 1) | 0;
  return { c, ...commitRows(c, n) };
}

/** The checker's verifyMatmul input for that commitment, with its rows drawn from `randomness`. */
function checkerInput(seed: Hex, n: number, run: ReturnType<typeof committed>, randomness: Hex) {
  const requestedRows = sampleRows(randomness, run.root, n, Math.min(n, params.matmulSampledRows));
  return {
    seed,
    n,
    classId: "cpu-reference",
    commitment: { root: run.root, elapsedMs: 3 },
    requestedRows,
    randomness,
    openings: openRows(run.tree, run.c, requestedRows),
    measuredMs: 20,
    networkRttMs: 1,
    params,
  } satisfies VerifyMatmulInput;
}

describe("sampled entries (matmul-sampling.ts)", () => {
  it("passes every honest provider, sizes above the sample included", () => {
    fc.assert(
      fc.property(seedArb, seedArb, fc.constantFrom(1, 7, 40, 65, 96, 128), (seed, randomness, n) => {
        const out = verifyMatmul(checkerInput(seed, n, committed(seed, n), randomness));
        expect(out.reasons).toEqual([]);
        expect(out.result).toBe(CheckResult.PASS);
      }),
      { numRuns: 30 },
    );
  });

  it("fails a wrong entry at a sampled position with WRONG_ROW, and that entry is a valid fraud proof", () => {
    const n = 128;
    fc.assert(
      fc.property(seedArb, fc.nat({ max: n - 1 }), fc.nat({ max: n - 1 }), (seed, i, j) => {
        const run = committed(seed, n, [[i, j]]);
        // The checker's secret is its own; find one under which (i, j) is sampled, after the commitment.
        let k = 0;
        const sampled = (r: Hex) =>
          sampleRows(r, run.root, n, 4).includes(i) && sampleColumns(r, run.root, n, i).includes(j);
        while (!sampled(randomnessOf(k))) k++;
        const input = checkerInput(seed, n, run, randomnessOf(k));
        const out = verifyMatmul(input);
        expect(out.result).toBe(CheckResult.FAIL);
        expect(out.reasons.map((r) => r.code)).toEqual([ReasonCode.WRONG_ROW]);
        expect(out.reasons[0]?.message).toContain(`row ${i} column ${j} `);

        const at = input.requestedRows.indexOf(i);
        const row = input.openings.rows[at] as Int32Array;
        const wrong = wrongSampledEntry({ seed, randomness: randomnessOf(k), root: run.root, n }, i, row);
        expect(wrong).toEqual({ column: j, claimed: row[j], expected: matmulEntry(seed, n, i, j) });
        const message = {
          epoch: 3n,
          provider: PROVIDER,
          checker: CHECKER,
          seed,
          classId: 1,
          n,
          root: run.root,
        };
        const signed = { ...message, signature: signMatmulCommitment(KEY, DOMAIN, message) };
        const proof = buildMatmulFraudProof(
          signed,
          i,
          j,
          entryProofFromRow(row, j, input.openings.proofs[at]!),
        );
        const verdict = verifyMatmulFraudProof(proof, { answerKey: answerKeyAddress(KEY), domain: DOMAIN });
        expect(verdict).toMatchObject({ valid: true, claimed: row[j], expected: row[j]! - 1 });
      }),
      { numRuns: 15 },
    );
  });

  it("passes a committed wrong entry outside the sample, and catches any change after the commitment", () => {
    const n = 128;
    const seed = `0x${"3a".repeat(32)}` as Hex;
    const honest = committed(seed, n);
    const randomness = randomnessOf(1);
    const input = checkerInput(seed, n, honest, randomness);
    const i = input.requestedRows[0] as number;
    const j = [...Array(n).keys()].find((c) => !sampleColumns(randomness, honest.root, n, i).includes(c))!;
    // Changed after the commitment: the row no longer leads to the root, whatever column.
    const rows = input.openings.rows.map((r) => r.slice());
    (rows[0] as Int32Array)[j] = ((rows[0] as Int32Array)[j] as number) + 1;
    const changed = verifyMatmul({ ...input, openings: { rows, proofs: input.openings.proofs } });
    expect(changed.reasons.map((r) => r.code)).toEqual([ReasonCode.BAD_PROOF]);
    // Committed, in an unsampled column: the price of sampling (docs/protocol/challenges.md, detection).
    let k = 0;
    const run = committed(seed, n, [[i, j]]);
    const missed = (r: Hex) =>
      sampleRows(r, run.root, n, 4).includes(i) && !sampleColumns(r, run.root, n, i).includes(j);
    while (!missed(randomnessOf(k))) k++;
    expect(verifyMatmul(checkerInput(seed, n, run, randomnessOf(k))).result).toBe(CheckResult.PASS);
  });

  it("draws the columns from the checker's randomness and the root, so not before the commitment", () => {
    const n = 1024;
    const root = keccak256(toBytes("root"));
    const randomness = randomnessOf(7);
    const columns = sampleColumns(randomness, root, n, 5);
    expect(columns).toHaveLength(MATMUL_SAMPLED_ENTRIES);
    expect(new Set(columns).size).toBe(columns.length);
    expect([...columns].sort((x, y) => x - y)).toEqual(columns);
    expect(columns.every((c) => c >= 0 && c < n)).toBe(true);
    expect(sampleColumns(randomness, root, n, 5)).toEqual(columns);
    // Another root (another commitment), another secret or another row: other columns. Two draws of 16 of
    // 1,024 agree by chance with probability 1/C(1024, 16) < 10^-34.
    fc.assert(
      fc.property(seedArb, seedArb, (otherRoot, otherRandomness) => {
        fc.pre(otherRoot !== root && otherRandomness !== randomness);
        expect(sampleColumns(randomness, otherRoot, n, 5)).not.toEqual(columns);
        expect(sampleColumns(otherRandomness, root, n, 5)).not.toEqual(columns);
      }),
      { numRuns: 50 },
    );
    expect(sampleColumns(randomness, root, n, 6)).not.toEqual(columns);
    // Not the rows' draw either (own tag): the first row's columns are not the rows' sample.
    expect(sampleColumns(randomness, root, n, 0).slice(0, 4)).not.toEqual(sampleRows(randomness, root, n, 4));
    // Each column about equally likely: over 1,600 roots, column 0 is drawn 1,600 · 16/1024 = 25 times ± 5σ.
    const share = MATMUL_SAMPLED_ENTRIES / n;
    const roots = 25 / share;
    let hits = 0;
    for (let k = 0; k < roots; k++)
      if (sampleColumns(randomness, randomnessOf(1000 + k), n, 5).includes(0)) hits++;
    expect(hits).toBeGreaterThan(25 - 5 * Math.sqrt(25 * (1 - share)));
    expect(hits).toBeLessThan(25 + 5 * Math.sqrt(25 * (1 - share)));
  });

  it("recomputes min(n, 16) entries per opened row: every entry of a small one", () => {
    expect(MATMUL_SAMPLED_ENTRIES).toBe(16);
    expect(sampledEntryCount(1)).toBe(1);
    expect(sampledEntryCount(5)).toBe(5);
    expect(sampledEntryCount(16)).toBe(16);
    expect(sampledEntryCount(40)).toBe(16);
    expect(sampledEntryCount(4096)).toBe(16);
    expect(sampleColumns(randomnessOf(2), randomnessOf(3), 5, 0)).toEqual([...Array(5).keys()]);
    // Another count (bench/challenge.ts's candidate shapes): that many distinct columns.
    const many = sampleColumns(randomnessOf(2), randomnessOf(3), 1024, 0, 64);
    expect(many).toHaveLength(64);
    expect(new Set(many).size).toBe(64);
  });
});
