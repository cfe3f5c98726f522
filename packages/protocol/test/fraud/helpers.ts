import { secp256k1 } from "@noble/curves/secp256k1.js";
import { bytesToHex, type Hex, hexToBytes } from "viem";
import { commitRows, entryProof, generateMatmul, solveMatmul } from "../../src/challenges/matmul.ts";
import type { RowTree } from "../../src/challenges/row-tree.ts";
import {
  buildMatmulFraudProof,
  type MatmulFraudProof,
  type SignedMatmulCommitment,
} from "../../src/fraud/matmulFraud.ts";

/** A provider's product for (seed, n) with the listed entries changed by their deltas, and its commitment. */
export interface CommittedRun {
  seed: Hex;
  n: number;
  c: Int32Array;
  tree: RowTree;
  root: Hex;
}

export function committedRun(
  seed: Hex,
  n: number,
  edits: readonly (readonly [number, number, number])[] = [],
) {
  const { a, b } = generateMatmul(seed, n);
  const c = solveMatmul(a, b, n);
  for (const [i, j, delta] of edits) c[i * n + j] = ((c[i * n + j] as number) + delta) | 0;
  const { root, tree } = commitRows(c, n);
  return { seed, n, c, tree, root } satisfies CommittedRun;
}

/** The fraud proof about entry (i, j) of a committed run, whether or not the entry is wrong. */
export function provenEntry(
  commit: SignedMatmulCommitment,
  run: CommittedRun,
  i: number,
  j: number,
): MatmulFraudProof {
  return buildMatmulFraudProof(commit, i, j, entryProof(run.tree, run.c, i, j));
}

/** The malleable twin of a signature: s → n − s, v flipped. Same signer to plain ecrecover; refused by ours. */
export function flipS(signature: Hex): Hex {
  const sig = hexToBytes(signature);
  const n = secp256k1.Point.CURVE().n;
  const s = BigInt(bytesToHex(sig.subarray(32, 64)));
  sig.set(hexToBytes(`0x${(n - s).toString(16).padStart(64, "0")}`), 32);
  sig[64] = (sig[64] as number) === 27 ? 28 : 27;
  return bytesToHex(sig);
}
