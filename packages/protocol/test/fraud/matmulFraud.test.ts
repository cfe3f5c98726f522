import fc from "fast-check";
import { type Address, bytesToHex, type Hex, hexToBytes, keccak256, toBytes } from "viem";
import { describe, expect, it } from "vitest";
import { ChallengeError } from "../../src/challenges/common.ts";
import { entryProof, entryProofFromRow, openRows } from "../../src/challenges/matmul.ts";
import { answerKeyAddress, signMatmulCommitment } from "../../src/fraud/answerSigning.ts";
import { FraudReasonCode } from "../../src/fraud/common.ts";
import {
  buildMatmulFraudProof,
  decodeMatmulFraudProof,
  encodeMatmulFraudProof,
  type MatmulFraudProof,
  type SignedMatmulCommitment,
  verifyMatmulFraudProof,
} from "../../src/fraud/matmulFraud.ts";
import { type CommittedRun, committedRun, flipS, provenEntry } from "./helpers.ts";

const DOMAIN = {
  chainId: 31337n,
  verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as Address,
};
const KEY = keccak256(toBytes("matmul fraud test key"));
const CONTEXT = { answerKey: answerKeyAddress(KEY), domain: DOMAIN };
const PROVIDER: Address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const CHECKER: Address = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const seedArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => bytesToHex(b));

function sign(run: CommittedRun, key = KEY): SignedMatmulCommitment {
  const message = {
    epoch: 9n,
    provider: PROVIDER,
    checker: CHECKER,
    seed: run.seed,
    classId: 1,
    n: run.n,
    root: run.root,
  };
  return { ...message, signature: signMatmulCommitment(key, DOMAIN, message) };
}

const flipByte = (value: Hex, at = 0): Hex => {
  const bytes = hexToBytes(value);
  bytes[at] = (bytes[at] as number) ^ 1;
  return bytesToHex(bytes);
};

const reasonOf = (proof: MatmulFraudProof) => {
  const verdict = verifyMatmulFraudProof(proof, CONTEXT);
  return verdict.valid ? "VALID" : verdict.reason;
};

// One provider with a wrong entry at (5, 17), shared by the tampering tests.
const RUN = committedRun(`0x${"21".repeat(32)}`, 40, [[5, 17, 1]]);
const COMMIT = sign(RUN);
const PROOF = provenEntry(COMMIT, RUN, 5, 17);

describe("matmul fraud proofs", () => {
  it("prove any wrong entry of a signed commitment, whatever n, position and error", () => {
    fc.assert(
      fc.property(
        seedArb,
        fc.integer({ min: 1, max: 40 }),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).filter((d) => d !== 0),
        (seed, n, x, y, delta) => {
          const i = x % n;
          const j = y % n;
          const run = committedRun(seed, n, [[i, j, delta]]);
          const verdict = verifyMatmulFraudProof(provenEntry(sign(run), run, i, j), CONTEXT);
          expect(verdict.valid).toBe(true);
          if (verdict.valid) {
            expect(verdict.signer).toBe(CONTEXT.answerKey);
            expect(verdict.claimed).toBe(run.c[i * n + j]);
            expect(verdict.expected).toBe(((run.c[i * n + j] as number) - delta) | 0);
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it("never exist against an honest provider, whatever the prover changes", () => {
    fc.assert(
      fc.property(
        seedArb,
        fc.integer({ min: 1, max: 33 }),
        fc.nat(),
        fc.nat(),
        fc.constantFrom("none", "chunk", "chunkProof", "rowProof", "i", "j"),
        fc.nat(),
        (seed, n, x, y, tamper, at) => {
          const run = committedRun(seed, n);
          const proof = provenEntry(sign(run), run, x % n, y % n);
          if (tamper === "chunk") proof.chunk = flipByte(proof.chunk, at % 32);
          if (tamper === "chunkProof" && proof.chunkProof.length > 0) {
            const k = at % proof.chunkProof.length;
            proof.chunkProof[k] = flipByte(proof.chunkProof[k] as Hex, at % 32);
          }
          if (tamper === "rowProof" && proof.rowProof.length > 0) {
            const k = at % proof.rowProof.length;
            proof.rowProof[k] = flipByte(proof.rowProof[k] as Hex, at % 32);
          }
          if (tamper === "i") proof.i = at % n;
          if (tamper === "j") proof.j = at % n;
          expect(verifyMatmulFraudProof(proof, CONTEXT).valid).toBe(false);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("say HONEST_ENTRY for a right entry under a right path, even in the wrong entry's chunk", () => {
    expect(reasonOf(PROOF)).toBe("VALID");
    expect(reasonOf(provenEntry(COMMIT, RUN, 5, 16))).toBe(FraudReasonCode.HONEST_ENTRY);
    expect(reasonOf({ ...PROOF, j: 18 })).toBe(FraudReasonCode.HONEST_ENTRY);
    expect(reasonOf(provenEntry(COMMIT, RUN, 39, 39))).toBe(FraudReasonCode.HONEST_ENTRY);
  });

  it("reject a chunk moved to another row or another chunk column", () => {
    for (const i of [0, 4, 6, 39]) expect(reasonOf({ ...PROOF, i })).toBe(FraudReasonCode.ROOT_MISMATCH);
    for (const j of [0, 8, 24, 39]) expect(reasonOf({ ...PROOF, j })).toBe(FraudReasonCode.ROOT_MISMATCH);
    // Another row's (honest) path under the wrong chunk.
    const other = provenEntry(COMMIT, RUN, 6, 17);
    expect(reasonOf({ ...PROOF, rowProof: other.rowProof })).toBe(FraudReasonCode.ROOT_MISMATCH);
    expect(reasonOf({ ...other, chunk: PROOF.chunk, i: 6 })).toBe(FraudReasonCode.ROOT_MISMATCH);
  });

  it("reject every tampered signed field, the signature, the chunk and the paths", () => {
    const cases: [Partial<MatmulFraudProof>, string][] = [
      [{ signature: flipByte(PROOF.signature, 10) }, FraudReasonCode.WRONG_SIGNATURE],
      [{ signature: flipS(PROOF.signature) }, FraudReasonCode.WRONG_SIGNATURE],
      [{ signature: "0x1234" }, FraudReasonCode.WRONG_SIGNATURE],
      [{ seed: flipByte(PROOF.seed) }, FraudReasonCode.WRONG_SIGNATURE],
      [{ epoch: 10n }, FraudReasonCode.WRONG_SIGNATURE],
      [{ provider: CHECKER }, FraudReasonCode.WRONG_SIGNATURE],
      [{ checker: PROVIDER }, FraudReasonCode.WRONG_SIGNATURE],
      [{ classId: 2 }, FraudReasonCode.WRONG_SIGNATURE],
      [{ n: 39 }, FraudReasonCode.WRONG_SIGNATURE],
      [{ root: flipByte(PROOF.root) }, FraudReasonCode.WRONG_SIGNATURE],
      [{ chunk: flipByte(PROOF.chunk, 4) }, FraudReasonCode.ROOT_MISMATCH],
      [
        { chunkProof: [flipByte(PROOF.chunkProof[0] as Hex), ...PROOF.chunkProof.slice(1)] },
        FraudReasonCode.ROOT_MISMATCH,
      ],
      [
        { rowProof: [...PROOF.rowProof.slice(0, -1), flipByte(PROOF.rowProof.at(-1) as Hex)] },
        FraudReasonCode.ROOT_MISMATCH,
      ],
      [{ chunkProof: PROOF.chunkProof.slice(1) }, FraudReasonCode.ROOT_MISMATCH],
      [{ rowProof: PROOF.rowProof.slice(0, -1) }, FraudReasonCode.ROOT_MISMATCH],
      // A row of 5 chunks is 3 deep; chunk 2 sits at depth 2.
      [{ chunkProof: [...PROOF.chunkProof, PROOF.root, PROOF.root] }, FraudReasonCode.BAD_CHUNK_PATH],
      [{ rowProof: [...PROOF.rowProof, PROOF.root] }, FraudReasonCode.BAD_ROW_PATH],
      [{ i: 40 }, FraudReasonCode.OUT_OF_RANGE],
      [{ j: 40 }, FraudReasonCode.OUT_OF_RANGE],
      [{ n: 0 }, FraudReasonCode.OUT_OF_RANGE],
      [{ n: 70_000 }, FraudReasonCode.OUT_OF_RANGE],
      // Above the contract's MAX_MATMUL_SIZE: a proof the chain would refuse is refused here too.
      [{ n: 8_193, i: 0, j: 0 }, FraudReasonCode.OUT_OF_RANGE],
      [{ chunk: "0x1234" }, FraudReasonCode.MALFORMED_PROOF],
      [{ rowProof: ["0x12"] }, FraudReasonCode.MALFORMED_PROOF],
      [{ epoch: -1n }, FraudReasonCode.MALFORMED_PROOF],
      [{ i: 1.5 }, FraudReasonCode.MALFORMED_PROOF],
      [{ provider: "0x12" as Address }, FraudReasonCode.MALFORMED_PROOF],
      [{ signature: 7 as unknown as Hex }, FraudReasonCode.MALFORMED_PROOF],
    ];
    for (const [change, reason] of cases) {
      expect(
        reasonOf({ ...PROOF, ...change }),
        JSON.stringify(change, (_k, v) => String(v)),
      ).toBe(reason);
    }
    expect(verifyMatmulFraudProof(null as unknown as MatmulFraudProof, CONTEXT).valid).toBe(false);
  });

  it("count only the answer key's signature, under the registry's domain", () => {
    const other = sign(RUN, keccak256(toBytes("someone else")));
    expect(reasonOf(provenEntry(other, RUN, 5, 17))).toBe(FraudReasonCode.WRONG_SIGNATURE);
    const elsewhere = { ...CONTEXT, domain: { ...DOMAIN, chainId: 1n } };
    expect(verifyMatmulFraudProof(PROOF, elsewhere).valid).toBe(false);
    const otherRegistry = { ...CONTEXT, domain: { ...DOMAIN, verifyingContract: CHECKER } };
    expect(verifyMatmulFraudProof(PROOF, otherRegistry).valid).toBe(false);
  });

  it("build the same proof from the checker's opened row as from the provider's tree", () => {
    const opened = openRows(RUN.tree, RUN.c, [5]);
    const fromRow = buildMatmulFraudProof(
      COMMIT,
      5,
      17,
      entryProofFromRow(opened.rows[0] as Int32Array, 17, opened.proofs[0] as Hex[]),
    );
    expect(fromRow).toEqual(PROOF);
    expect(() => buildMatmulFraudProof(COMMIT, 40, 0, entryProof(RUN.tree, RUN.c, 0, 0))).toThrow(
      ChallengeError,
    );
  });

  it("round-trip through their ABI encoding", () => {
    const encoded = encodeMatmulFraudProof(PROOF);
    expect(decodeMatmulFraudProof(encoded)).toEqual({
      ...PROOF,
      provider: PROOF.provider,
      checker: PROOF.checker,
    });
    expect(() => decodeMatmulFraudProof("0x1234")).toThrow(ChallengeError);
  });
});
