import { keccak_256 } from "@noble/hashes/sha3.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChallengeError } from "../../src/challenges/common.ts";
import {
  deriveKey,
  deriveKeyPreimage,
  int8Stream,
  KEY_PREIMAGE_INDEX_AT,
  PRNG_TAG,
  sampleDistinct,
  Xoshiro128,
} from "../../src/challenges/prng.ts";

const SEED = `0x${"11".repeat(32)}` as const;

/** Straight transcription of Blackman and Vigna's xoshiro128** reference C code, in BigInt. */
function referenceXoshiro(state: [bigint, bigint, bigint, bigint], count: number): number[] {
  const M = 0xffffffffn;
  const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & M;
  let [s0, s1, s2, s3] = state;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    out.push(Number((rotl((s1 * 5n) & M, 7n) * 9n) & M));
    const t = (s1 << 9n) & M;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11n);
  }
  return out;
}

function keyFromWords(words: number[]): Uint8Array {
  const key = new Uint8Array(32);
  const view = new DataView(key.buffer);
  words.forEach((w, i) => {
    view.setUint32(i * 4, w, true);
  });
  return key;
}

describe("xoshiro128**", () => {
  it("matches the reference algorithm (state 1,2,3,4 starts 11520, 0, 5927040, 70819200)", () => {
    const g = new Xoshiro128(keyFromWords([1, 2, 3, 4]));
    const got = Array.from({ length: 1000 }, () => g.nextUint32());
    expect(got.slice(0, 4)).toEqual([11520, 0, 5927040, 70819200]);
    expect(got).toEqual(referenceXoshiro([1n, 2n, 3n, 4n], 1000));
  });

  it("matches the reference for random states", () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 0xffffffff }), { minLength: 4, maxLength: 4 }), (words) => {
        fc.pre(words.some((w) => w !== 0));
        const g = new Xoshiro128(keyFromWords(words));
        const got = Array.from({ length: 64 }, () => g.nextUint32());
        const state = words.map(BigInt) as [bigint, bigint, bigint, bigint];
        expect(got).toEqual(referenceXoshiro(state, 64));
      }),
      { numRuns: 50 },
    );
  });

  it("fill emits each output word little-endian, the tail of a partial word from its low bytes", () => {
    const words = new Xoshiro128(keyFromWords([5, 6, 7, 8]));
    const expected = Array.from({ length: 3 }, () => words.nextUint32());
    const bytes = new Uint8Array(11);
    new Xoshiro128(keyFromWords([5, 6, 7, 8])).fill(bytes);
    const view = new DataView(bytes.buffer);
    expect(view.getUint32(0, true)).toBe(expected[0]);
    expect(view.getUint32(4, true)).toBe(expected[1]);
    expect([...bytes.slice(8)]).toEqual([0, 8, 16].map((k) => ((expected[2] as number) >>> k) & 0xff));
  });

  it("never starts from the all-zero fixed point", () => {
    const g = new Xoshiro128(new Uint8Array(32));
    const outputs = Array.from({ length: 8 }, () => g.nextUint32());
    expect(outputs.some((x) => x !== 0)).toBe(true);
  });
});

describe("deriveKey / int8Stream", () => {
  it("is deterministic and separates labels, indices and seeds", () => {
    const k = deriveKey(SEED, "matmul.a", 3);
    expect(deriveKey(SEED, "matmul.a", 3)).toEqual(k);
    expect(deriveKey(SEED, "matmul.b", 3)).not.toEqual(k);
    expect(deriveKey(SEED, "matmul.a", 4)).not.toEqual(k);
    expect(deriveKey(`0x${"12".repeat(32)}`, "matmul.a", 3)).not.toEqual(k);
    expect(int8Stream(SEED, "x", 0, 100)).toEqual(int8Stream(SEED, "x", 0, 100));
  });

  it("hashes the one preimage PRNG_TAG ‖ seed ‖ uint32be(index) ‖ utf8(label) (deriveKeyPreimage)", () => {
    const seed = new Uint8Array(32).fill(0x12);
    const preimage = deriveKeyPreimage(seed, "matmul.bt", 0x01020304);
    const label = new TextEncoder().encode("matmul.bt");
    expect(preimage).toEqual(new Uint8Array([...PRNG_TAG, ...seed, 1, 2, 3, 4, ...label]));
    expect(preimage.subarray(KEY_PREIMAGE_INDEX_AT, KEY_PREIMAGE_INDEX_AT + 4)).toEqual(
      new Uint8Array([1, 2, 3, 4]),
    );
    expect(deriveKey(seed, "matmul.bt", 0x01020304)).toEqual(keccak_256(preimage));
  });

  it("refuses seeds that are not 32 bytes", () => {
    expect(() => deriveKey("0x1234", "x")).toThrow(ChallengeError);
    expect(() => deriveKey(new Uint8Array(31), "x")).toThrow(ChallengeError);
  });

  it("int8 values cover the whole range roughly uniformly", () => {
    const values = int8Stream(SEED, "histogram", 0, 256 * 1000);
    const counts = new Array(256).fill(0);
    for (const v of values) counts[v + 128]++;
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1200);
  });

  it("generates 16 Mi int8 values well under a second", () => {
    const started = performance.now();
    const out = new Int8Array(16 * 2 ** 20);
    for (let row = 0; row < 4096; row++) {
      new Xoshiro128(deriveKey(SEED, "speed", row)).fill(out.subarray(row * 4096, (row + 1) * 4096));
    }
    // ~60 ms on a 2-core VM; the bound leaves room for a loaded CI machine.
    expect(performance.now() - started).toBeLessThan(1500);
  });
});

describe("sampleDistinct", () => {
  it("returns count distinct sorted indices below the bound, deterministically", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 0, max: 64 }),
        (material, bound, wanted) => {
          const count = Math.min(wanted, bound);
          const got = sampleDistinct(material, bound, count);
          expect(got).toHaveLength(count);
          expect(new Set(got).size).toBe(count);
          expect(got.every((x) => x >= 0 && x < bound)).toBe(true);
          expect([...got].sort((a, b) => a - b)).toEqual(got);
          expect(sampleDistinct(material, bound, count)).toEqual(got);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("can take every index", () => {
    expect(sampleDistinct(new Uint8Array([1]), 7, 7)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it("refuses more indices than exist", () => {
    expect(() => sampleDistinct(new Uint8Array([1]), 7, 8)).toThrow(ChallengeError);
  });
});
