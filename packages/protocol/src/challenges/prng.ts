import { keccak_256 } from "@noble/hashes/sha3.js";
import {
  type Bytes32Like,
  bytes32,
  ChallengeError,
  ChallengeErrorCode,
  checkInteger,
  u32be,
} from "./common.ts";

/**
 * Deterministic randomness for the challenge workloads, in two layers.
 *
 * 1. **Keys** come from keccak256 in counter mode:
 *    `deriveKey(seed, label, i) = keccak256(PRNG_TAG ‖ seed ‖ uint32be(i) ‖ utf8(label))`.
 *    Every matrix row, VRAM block and ping nonce has its own key, so any one
 *    of them can be produced without the others (the checker regenerates
 *    row i of A and nothing else of A).
 * 2. **Bulk bytes** (matrix entries) come from xoshiro128** (Blackman and
 *    Vigna, 2018) seeded with the first 16 bytes of a key. It is an order of
 *    magnitude faster than keccak in JavaScript: 16 Mi int8 values in ~100 ms
 *    where keccak in counter mode needs ~1 s (bench/challenge.ts prints both).
 *
 * Why a non-cryptographic generator is good enough here: the challenge seed is
 * the checker's secret until the challenge starts, and from then on the
 * provider is *given* the seed, so predicting outputs from outputs buys it
 * nothing. What the workload needs is (a) no way to precompute before the
 * seed is revealed, which keccak's key derivation gives, and (b) entries with
 * no structure that makes the product cheaper than n³ multiply-accumulates;
 * xoshiro128** passes BigCrush, and its GF(2)-linear state transition says
 * nothing about products over the integers. Streams are short (one row, at
 * most 8 KiB) next to the generator's 2^128 − 1 period.
 */
export const PRNG_TAG: Uint8Array = keccak_256(new TextEncoder().encode("checkernet.v1.challenge.prng"));

const utf8 = new TextEncoder();

/** Offset of uint32be(index) in deriveKeyPreimage's bytes: a caller deriving many keys of one label rewrites only it. */
export const KEY_PREIMAGE_INDEX_AT = 64;

/**
 * The bytes deriveKey hashes: PRNG_TAG ‖ seed ‖ uint32be(index) ‖ utf8(label). The one place the preimage
 * is laid out; ColumnDots (matmul-inputs.ts) reuses one for every column, rewriting its index.
 */
export function deriveKeyPreimage(seed: Bytes32Like, label: string, index = 0): Uint8Array {
  checkInteger("stream index", index, 0, 0xffff_ffff);
  const s = bytes32(seed, "seed");
  const l = utf8.encode(label);
  const input = new Uint8Array(KEY_PREIMAGE_INDEX_AT + 4 + l.length);
  input.set(PRNG_TAG, 0);
  input.set(s, 32);
  input.set(u32be(index), KEY_PREIMAGE_INDEX_AT);
  input.set(l, KEY_PREIMAGE_INDEX_AT + 4);
  return input;
}

/** Counter-mode key for one stream: keccak256(PRNG_TAG ‖ seed ‖ uint32be(index) ‖ utf8(label)). */
export function deriveKey(seed: Bytes32Like, label: string, index = 0): Uint8Array {
  return keccak_256(deriveKeyPreimage(seed, label, index));
}

/**
 * xoshiro128** over four 32-bit words. Output words are emitted as bytes in
 * little-endian order, so the stream is the same on every platform.
 */
export class Xoshiro128 {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** Seeds from the first 16 bytes of `key` (little-endian words). */
  constructor(key: Uint8Array) {
    if (key.length < 16) {
      throw new ChallengeError(ChallengeErrorCode.INVALID_ARGUMENT, "xoshiro128** needs a 16-byte key", {
        length: key.length,
      });
    }
    const v = new DataView(key.buffer, key.byteOffset, 16);
    this.s0 = v.getUint32(0, true) | 0;
    this.s1 = v.getUint32(4, true) | 0;
    this.s2 = v.getUint32(8, true) | 0;
    this.s3 = v.getUint32(12, true) | 0;
    // The all-zero state is the one fixed point; a keccak output lands there with probability 2^-128.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next output as an unsigned 32-bit integer. */
  nextUint32(): number {
    const s1 = this.s1;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9);
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 = s1 ^ this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result >>> 0;
  }

  /**
   * Fills `out` with the stream's next bytes (4 per output word, little-endian;
   * a trailing partial word uses its low bytes). Writing through an Int8Array
   * reinterprets each byte as two's complement, which is how int8 entries are
   * defined.
   */
  fill(out: Uint8Array | Int8Array): void {
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    const n = out.length;
    const whole = n & ~3;
    let i = 0;
    let r = 0;
    // The state lives in locals for the hot loop; V8 keeps them in registers.
    while (i < n) {
      const m = Math.imul(s1, 5);
      r = Math.imul((m << 7) | (m >>> 25), 9);
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      if (i < whole) {
        out[i] = r;
        out[i + 1] = r >> 8;
        out[i + 2] = r >> 16;
        out[i + 3] = r >> 24;
        i += 4;
      } else {
        for (let k = 0; i < n; k += 8) out[i++] = r >> k;
      }
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
  }
}

/** `length` int8 values of the stream keyed by deriveKey(seed, label, index). */
export function int8Stream(seed: Bytes32Like, label: string, index: number, length: number): Int8Array {
  checkInteger("stream length", length, 0, 1 << 30);
  const out = new Int8Array(length);
  new Xoshiro128(deriveKey(seed, label, index)).fill(out);
  return out;
}

/**
 * `count` distinct integers in [0, bound), sorted ascending, drawn from
 * keccak256(material ‖ uint32be(counter)) in counter mode. Each hash yields
 * eight 32-bit words; a word is rejected when it falls in the incomplete last
 * interval of 2^32 mod bound, so every index is exactly uniform.
 */
export function sampleDistinct(material: Uint8Array, bound: number, count: number): number[] {
  checkInteger("sample bound", bound, 1, 0xffff_ffff);
  checkInteger("sample count", count, 0, bound);
  const limit = 2 ** 32 - (2 ** 32 % bound);
  const chosen = new Set<number>();
  const input = new Uint8Array(material.length + 4);
  input.set(material, 0);
  const view = new DataView(input.buffer);
  for (let counter = 0; chosen.size < count; counter++) {
    view.setUint32(material.length, counter, false);
    const h = keccak_256(input);
    const words = new DataView(h.buffer, h.byteOffset, 32);
    for (let w = 0; w < 8 && chosen.size < count; w++) {
      const x = words.getUint32(w * 4, false);
      if (x < limit) chosen.add(x % bound);
    }
  }
  return [...chosen].sort((a, b) => a - b);
}
