import { keccak_256 } from "@noble/hashes/sha3.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { keccakBlockInto } from "../../src/challenges/keccak-block.ts";

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
