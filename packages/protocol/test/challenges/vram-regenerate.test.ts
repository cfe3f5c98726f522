import { keccak_256 } from "@noble/hashes/sha3.js";
import fc from "fast-check";
import { bytesToHex, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import { combineResults, type Reason, ReasonCode } from "../../src/challenges/common.ts";
import {
  answerVram,
  generateVramBlock,
  generateVramBlockInto,
  regenerateVramBlock,
  sampleSteps,
  type VerifyVramInput,
  verifyVram,
  vramDatasetSeed,
  vramSampleCount,
  vramStepDigest,
  vramStepIndex,
} from "../../src/challenges/vram.ts";
import { withParams } from "../../src/params.ts";

const SEED = vramDatasetSeed("0x3333333333333333333333333333333333333333", `0x${"bb".repeat(32)}`);

/** The word chain with one keccak_256 per word over copied bytes: the documented rule, spelled out. */
function chainReference(seed: Hex, index: number, size: number): Uint8Array {
  const block = new Uint8Array(size);
  block.set(generateVramBlock(seed, index, 32), 0);
  const input = new Uint8Array(64);
  for (let j = 1; j < size / 32; j++) {
    const prev = block.subarray((j - 1) * 32, j * 32);
    const r = new DataView(prev.buffer, prev.byteOffset).getUint32(0, true) % j;
    input.set(prev, 0);
    input.set(block.subarray(r * 32, r * 32 + 32), 32);
    block.set(keccak_256(input), j * 32);
  }
  return block;
}

/** verifyVram's step checks as they were: a fresh block per distinct index, all held in a Map to the end. */
function verifyWithBlockCache(input: VerifyVramInput) {
  const { request, response } = input;
  const digests = response!.digests;
  const sampled = sampleSteps(
    input.randomness,
    digests,
    vramSampleCount(request.steps, input.params.vramSampledBlocks),
  );
  const checkedSteps = [0, ...sampled.filter((t) => t !== 0)];
  const cache = new Map<number, Uint8Array>();
  const fails: Reason[] = [];
  for (const t of checkedSteps) {
    const nonce = Buffer.from((t === 0 ? request.nonce : digests[t - 1]!).slice(2), "hex");
    const index = vramStepIndex(nonce, request.blockCount);
    let block = cache.get(index);
    if (!block) {
      block = generateVramBlock(request.seed, index, request.blockSize);
      cache.set(index, block);
    }
    const expected = bytesToHex(vramStepDigest(nonce, block));
    const got = digests[t]!.toLowerCase();
    if (got !== expected) {
      fails.push({
        code: ReasonCode.WRONG_DIGEST,
        message: `step ${t} (block ${index}) digest ${got}, expected ${expected}`,
      });
    }
  }
  return { result: combineResults(fails), reasons: fails, checkedSteps };
}

describe("generateVramBlockInto", () => {
  it("writes the documented chain into any view, aligned or not, and nothing past the block", () => {
    for (const [size, skip] of [
      [32, 0],
      [1024, 0],
      [1024, 1],
      [4096, 8],
      [4096, 3],
    ] as const) {
      const buffer = new Uint8Array(size + skip + 16).fill(0xee);
      const out = generateVramBlockInto(SEED, 7, size, buffer.subarray(skip));
      expect(out.buffer).toBe(buffer.buffer);
      expect(buffer.subarray(skip, skip + size)).toEqual(chainReference(SEED, 7, size));
      expect(buffer.subarray(0, skip).every((x) => x === 0xee)).toBe(true);
      expect(buffer.subarray(skip + size).every((x) => x === 0xee)).toBe(true);
    }
    expect(() => generateVramBlockInto(SEED, 0, 64, new Uint8Array(32))).toThrow(/64 bytes/);
  });

  it("regenerates into one scratch, the same block bytes as a fresh array", () => {
    const first = regenerateVramBlock(SEED, 1, 512);
    expect(first).toEqual(generateVramBlock(SEED, 1, 512));
    const second = regenerateVramBlock(SEED, 2, 512);
    expect(second).toBe(first);
    expect(second).toEqual(generateVramBlock(SEED, 2, 512));
  });
});

describe("verifyVram, one block at a time", () => {
  it("gives the verdict the block cache gave, on honest and tampered walks, blocks shared by steps or not", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.constantFrom(1, 2, 3, 40),
        fc.uniqueArray(fc.nat({ max: 23 }), { maxLength: 5 }),
        fc.boolean(),
        (nonce, randomness, blockCount, tampered, zeroBlocks) => {
          const blockSize = 256;
          const request = { seed: SEED, blockSize, blockCount, nonce: bytesToHex(nonce), steps: 24 };
          const zero = new Uint8Array(blockSize);
          const response = answerVram(request, (i) =>
            zeroBlocks && i % 2 === 1 ? zero : generateVramBlock(SEED, i, blockSize),
          );
          for (const t of tampered) response.digests[t] = `0x${"0f".repeat(32)}`;
          const input: VerifyVramInput = {
            request,
            response,
            randomness: bytesToHex(randomness),
            classId: "cpu-reference",
            measuredMs: 1,
            networkRttMs: 1,
            params: withParams({ vramSampledBlocks: 16 }),
          };
          const out = verifyVram(input);
          const reference = verifyWithBlockCache(input);
          expect(out.result).toBe(reference.result);
          expect(out.reasons).toEqual(reference.reasons);
          expect(out.checkedSteps).toEqual(reference.checkedSteps);
        },
      ),
      { numRuns: 60 },
    );
  });
});
