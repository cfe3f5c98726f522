import { keccak_256 } from "@noble/hashes/sha3.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { keccakBlockInto, keccakInto, keccakWordPairInto } from "../../src/challenges/keccak-block.ts";

describe("keccakBlockInto", () => {
  it("is keccak256 for every input length, offset and output position (one block and beyond)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 200 }),
        fc.nat({ max: 8 }),
        fc.nat({ max: 32 }),
        (bytes, from, at) => {
          const start = Math.min(from, bytes.length);
          const out = new Uint8Array(64);
          keccakBlockInto(bytes, start, bytes.length - start, out, at);
          expect(out.subarray(at, at + 32)).toEqual(keccak_256(bytes.subarray(start)));
        },
      ),
      { numRuns: 300 },
    );
    const input = new Uint8Array(140).map((_, k) => k * 7);
    const out = new Uint8Array(32);
    for (let length = 0; length <= 140; length++) {
      keccakBlockInto(input, 0, length, out, 0);
      expect(out).toEqual(keccak_256(input.subarray(0, length)));
    }
  });
});

describe("keccakInto", () => {
  it("is keccak256 of the parts concatenated, whatever their lengths, alignment and the output position", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.uint8Array({ minLength: 0, maxLength: 700 }), fc.nat({ max: 7 })), {
          maxLength: 4,
        }),
        fc.nat({ max: 32 }),
        (pieces, at) => {
          // Each part a view at an offset of a larger buffer: aligned and unaligned word reads alike.
          const parts = pieces.map(([bytes, skip]) => {
            const buffer = new Uint8Array(bytes.length + skip);
            buffer.set(bytes, skip);
            return buffer.subarray(skip);
          });
          const out = new Uint8Array(64);
          keccakInto(parts, out, at);
          const whole = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
          let k = 0;
          for (const p of parts) {
            whole.set(p, k);
            k += p.length;
          }
          expect(out.subarray(at, at + 32)).toEqual(keccak_256(whole));
        },
      ),
      { numRuns: 300 },
    );
    // A VRAM step: a 32-byte nonce and a 256 KiB block, the rate boundaries falling inside the block.
    const nonce = new Uint8Array(32).fill(9);
    const block = new Uint8Array(262_144).map((_, i) => (i * 31) & 0xff);
    const out = new Uint8Array(32);
    keccakInto([nonce, block], out, 0);
    expect(out).toEqual(keccak_256.create().update(nonce).update(block).digest());
  });
});

describe("keccakWordPairInto", () => {
  it("is keccak256 of two 32-byte words of one array, written over a third (the VRAM chain's step)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 256, maxLength: 256 }),
        fc.nat({ max: 7 }),
        fc.nat({ max: 7 }),
        fc.nat({ max: 7 }),
        (bytes, a, b, at) => {
          const words = new Int32Array(bytes.slice().buffer);
          const input = new Uint8Array(64);
          input.set(bytes.subarray(a * 32, a * 32 + 32), 0);
          input.set(bytes.subarray(b * 32, b * 32 + 32), 32);
          keccakWordPairInto(words, a * 8, b * 8, at * 8);
          const written = new Uint8Array(words.buffer, at * 32, 32);
          expect(written).toEqual(keccak_256(input));
        },
      ),
      { numRuns: 300 },
    );
  });
});
