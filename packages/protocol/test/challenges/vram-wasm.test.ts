import { keccak_256 } from "@noble/hashes/sha3.js";
import { type Hex, hexToBytes } from "viem";
import { describe, expect, it } from "vitest";
import { keccakWasm, vramChainWasm } from "../../src/challenges/keccak-chain-wasm.ts";
import { deriveKey } from "../../src/challenges/prng.ts";
import {
  generateVramBlock,
  generateVramBlockInto,
  vramDatasetSeed,
  vramStepDigest,
} from "../../src/challenges/vram.ts";

// Issue 15: the VRAM block chain runs in WebAssembly (keccak-chain-wasm.ts), ~4x the JavaScript one in the
// checker's evaluator thread. It must be the documented chain byte for byte, whatever the block size.

/** The documented rule with one keccak_256 per word: word_0 = keccak(key ‖ key), word_j = keccak(word_{j−1} ‖ word_{r_j}). */
function reference(seed: Hex, index: number, size: number): Uint8Array {
  const key = deriveKey(seed, "vram.block", index);
  const block = new Uint8Array(size);
  const input = new Uint8Array(64);
  input.set(key, 0);
  input.set(key, 32);
  block.set(keccak_256(input), 0);
  for (let j = 1; j < size / 32; j++) {
    const prev = block.subarray((j - 1) * 32, j * 32);
    const r = new DataView(prev.buffer, prev.byteOffset).getUint32(0, true) % j;
    input.set(prev, 0);
    input.set(block.subarray(r * 32, r * 32 + 32), 32);
    block.set(keccak_256(input), j * 32);
  }
  return block;
}

const SEEDS = [
  vramDatasetSeed("0x3333333333333333333333333333333333333333", `0x${"bb".repeat(32)}`),
  `0x${"00".repeat(32)}` as Hex,
  `0x${"ff".repeat(32)}` as Hex,
];

describe("the VRAM block chain in WebAssembly", () => {
  it("is available here (Node), so the checks below test it and not the JavaScript fallback", () => {
    const out = reference(SEEDS[0] as Hex, 0, 64).slice();
    out.fill(0, 32);
    expect(vramChainWasm(out, 64)).toBe(true);
    expect(out).toEqual(reference(SEEDS[0] as Hex, 0, 64));
  });

  it("computes the documented chain byte for byte: sizes 32 B to 256 KiB, several seeds and indices", () => {
    for (const seed of SEEDS)
      for (const size of [32, 64, 96, 4_096])
        for (const index of [0, 1, 2, 77, 0xffff_ffff])
          expect(generateVramBlock(seed, index, size), `${seed} ${size} ${index}`).toEqual(
            reference(seed, index, size),
          );
    expect(generateVramBlock(SEEDS[0] as Hex, 5, 262_144)).toEqual(reference(SEEDS[0] as Hex, 5, 262_144));
  });

  it("grows its memory for a larger block and still serves smaller ones; an unaligned `out` gets the same bytes", () => {
    const big = generateVramBlock(SEEDS[1] as Hex, 3, 1 << 20);
    expect(big.subarray(0, 4_096)).toEqual(reference(SEEDS[1] as Hex, 3, 4_096));
    expect(big.subarray((1 << 20) - 32)).toEqual(
      reference(SEEDS[1] as Hex, 3, 1 << 20).subarray((1 << 20) - 32),
    );
    expect(generateVramBlock(SEEDS[2] as Hex, 9, 128)).toEqual(reference(SEEDS[2] as Hex, 9, 128));
    const backing = new Uint8Array(4_096 + 1);
    const unaligned = backing.subarray(1);
    generateVramBlockInto(SEEDS[2] as Hex, 4, 4_096, unaligned);
    expect(unaligned).toEqual(reference(SEEDS[2] as Hex, 4, 4_096));
    expect(hexToBytes(SEEDS[2] as Hex)).toHaveLength(32);
  });

  it("hashes any input as keccak_256 does (every padding case around the 136-byte rate), the step digest included", () => {
    const data = Uint8Array.from({ length: 1_000 }, (_, i) => (i * 131 + 7) & 0xff);
    const out = new Uint8Array(40);
    for (const length of [0, 1, 31, 32, 64, 134, 135, 136, 137, 271, 272, 273, 999]) {
      expect(keccakWasm([data.subarray(0, length)], out, 5), `${length}`).toBe(true);
      expect(out.subarray(5, 37), `${length}`).toEqual(keccak_256(data.subarray(0, length)));
      expect(keccakWasm([data.subarray(0, 3), data.subarray(3, length)], out, 0)).toBe(true);
      if (length >= 3) expect(out.subarray(0, 32)).toEqual(keccak_256(data.subarray(0, length)));
    }
    const nonce = data.subarray(0, 32);
    const block = generateVramBlock(SEEDS[0] as Hex, 1, 262_144);
    const whole = new Uint8Array(32 + block.length);
    whole.set(nonce, 0);
    whole.set(block, 32);
    expect(vramStepDigest(nonce, block)).toEqual(keccak_256(whole));
  });
});
