import { bls12_381 } from "@noble/curves/bls12-381.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { expect } from "vitest";
import type { BlsBackend } from "../../src/bls/backend.ts";
import { BlsError, type BlsErrorCode, loadBlsBackend, nobleBackend } from "../../src/bls/index.ts";

export const hex = (bytes: Uint8Array): string => `0x${bytesToHex(bytes)}`;
export const bytes = (value: string): Uint8Array => hexToBytes(value.replace(/^0x/, ""));

/** Both backends where blst loads; noble alone (and blst-only tests skipped) where it does not. */
const loaded = await loadBlsBackend("auto");
export const blst: BlsBackend | undefined = loaded.name === "blst" ? loaded : undefined;
export const backends: BlsBackend[] = blst ? [nobleBackend, blst] : [nobleBackend];

export const G1_INFINITY = Uint8Array.from({ length: 48 }, (_, i) => (i === 0 ? 0xc0 : 0));
export const G2_INFINITY = Uint8Array.from({ length: 96 }, (_, i) => (i === 0 ? 0xc0 : 0));

function be(value: bigint, length: number): Uint8Array {
  return hexToBytes(value.toString(16).padStart(length * 2, "0"));
}

/**
 * A compressed G1 point that is on the curve but outside the prime-order
 * subgroup (the smallest such x): what a rogue or careless peer could send.
 */
export function nonSubgroupG1(): Uint8Array {
  const { Fp } = bls12_381.fields;
  for (let x = 1n; ; x++) {
    let y: bigint;
    try {
      y = Fp.sqrt(Fp.add(Fp.pow(x, 3n), 4n));
    } catch {
      continue;
    }
    const point = g1Affine(x, y);
    if (point.isTorsionFree()) continue;
    const out = be(x, 48);
    out[0]! |= 0x80;
    return out;
  }
}

function g1Affine(x: bigint, y: bigint) {
  return bls12_381.G1.Point.fromAffine({ x, y });
}

/** Same for G2: x = k + 0*u for the smallest k with a point off the subgroup. */
export function nonSubgroupG2(): Uint8Array {
  const { Fp2 } = bls12_381.fields;
  const b = Fp2.create({ c0: 4n, c1: 4n });
  for (let k = 1n; ; k++) {
    const x = Fp2.create({ c0: k, c1: 0n });
    let y: { c0: bigint; c1: bigint };
    try {
      y = Fp2.sqrt(Fp2.add(Fp2.pow(x, 3n), b));
    } catch {
      continue;
    }
    const point = bls12_381.G2.Point.fromAffine({ x, y });
    if (point.isTorsionFree()) continue;
    const out = new Uint8Array(96);
    out.set(be(x.c1, 48), 0);
    out.set(be(x.c0, 48), 48);
    out[0]! |= 0x80;
    return out;
  }
}

export function expectBlsError(fn: () => unknown, code: BlsErrorCode): BlsError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(BlsError);
  expect((caught as BlsError).code).toBe(code);
  return caught as BlsError;
}
