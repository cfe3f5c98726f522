import { BLS_DST, g1ToEip2537, g2ToEip2537, hashToG2Eip2537 } from "@checkernet/protocol/bls/index";
import { expand_message_xmd } from "@noble/curves/abstract/hash-to-curve.js";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { sha256 } from "@noble/hashes/sha2.js";
import fc from "fast-check";
import { bytesToHex, getContract, type Hex, hexToBytes, keccak256, toHex, zeroHash } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { bls12381MockAbi, bls12381MockBytecode } from "../src/generated/index.ts";
import { connectChain, type TestChain } from "./helpers/chain.ts";
import { bls, checkerKey } from "./helpers/fixture.ts";
import { type BlsVectors, readVectors } from "./helpers/vectors.ts";

const vectors = readVectors<BlsVectors>("bls.json");
const INFINITY_G1 = bytesToHex(new Uint8Array(128));

describe("BLS12381 library (EIP-2537)", () => {
  let chain: TestChain;
  let mock: ReturnType<typeof getMock>;
  const getMock = (address: Hex) =>
    getContract({
      address,
      abi: bls12381MockAbi,
      client: { public: chain.publicClient, wallet: chain.wallets[0]! },
    });

  beforeAll(async () => {
    chain = await connectChain();
    const hash = await chain.wallets[0]!.deployContract({
      abi: bls12381MockAbi,
      bytecode: bls12381MockBytecode,
    });
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
    mock = getMock(receipt.contractAddress!);
  });

  it("uses the protocol's ciphersuite", () => {
    expect(vectors.ciphersuite).toBe(BLS_DST);
  });

  it("expand_message_xmd matches @noble/curves", async () => {
    for (const message of [zeroHash, keccak256(toHex("expand"))]) {
      const expected = expand_message_xmd(
        hexToBytes(message),
        new TextEncoder().encode(BLS_DST),
        256,
        sha256,
      );
      expect(await mock.read.expandMessage([message])).toBe(bytesToHex(expected));
    }
  });

  it("hash_to_field and hash_to_curve match the golden vectors", async () => {
    const cases = [...vectors.single, ...vectors.proofOfPossession, vectors.peerBinding, vectors.aggregate];
    for (const v of cases) {
      expect(await mock.read.hashToField([v.message])).toBe(v.messageHashToFieldFp2);
      expect(await mock.read.hashToG2([v.message])).toBe(v.messageHashToG2Eip2537);
    }
  });

  it("hash_to_curve matches the TypeScript implementation on random messages", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), async (bytes) => {
        expect(await mock.read.hashToG2([bytesToHex(bytes)])).toBe(bytesToHex(hashToG2Eip2537(bytes)));
      }),
      { numRuns: 20 },
    );
  });

  it("verifies the golden single signatures and rejects them for other messages", async () => {
    for (const v of vectors.single) {
      expect(await mock.read.verify([v.publicKeyEip2537, v.message, v.signatureEip2537])).toBe(true);
      const other = keccak256(v.message);
      expect(await mock.read.verify([v.publicKeyEip2537, other, v.signatureEip2537])).toBe(false);
    }
  });

  it("verifies the golden aggregate signature against the sum of the keys", async () => {
    const a = vectors.aggregate;
    let sum = a.signers[0]!.publicKeyEip2537;
    for (const signer of a.signers.slice(1)) sum = await mock.read.g1Add([sum, signer.publicKeyEip2537]);
    expect(sum).toBe(a.aggregatePublicKeyEip2537);
    expect(await mock.read.verify([sum, a.message, a.aggregateSignatureEip2537])).toBe(true);
    // Missing one signer's key: the aggregate no longer matches.
    expect(
      await mock.read.verify([a.signers[0]!.publicKeyEip2537, a.message, a.aggregateSignatureEip2537]),
    ).toBe(false);
  });

  it("refuses the point at infinity as a key, even with the infinity signature", async () => {
    const infinitySignature = bytesToHex(new Uint8Array(256));
    expect(await mock.read.verify([INFINITY_G1, zeroHash, infinitySignature])).toBe(false);
  });

  it("answers false (never reverts) for malformed points and wrong lengths", async () => {
    const v = vectors.single[0]!;
    const sig = hexToBytes(v.signatureEip2537);
    const offCurve = new Uint8Array(sig);
    offCurve[255] = offCurve[255]! ^ 1;
    const badPadding = new Uint8Array(sig);
    badPadding[0] = 1;
    expect(await mock.read.verify([v.publicKeyEip2537, v.message, bytesToHex(offCurve)])).toBe(false);
    expect(await mock.read.verify([v.publicKeyEip2537, v.message, bytesToHex(badPadding)])).toBe(false);
    expect(await mock.read.verify([v.publicKeyEip2537, v.message, bytesToHex(sig.subarray(0, 255))])).toBe(
      false,
    );
    expect(
      await mock.read.verify([v.publicKeyEip2537.slice(0, -2) as Hex, v.message, v.signatureEip2537]),
    ).toBe(false);
  });

  it("refuses a signature outside the prime-order subgroup", async () => {
    // A point on the G2 curve but not in the subgroup: a random curve point before cofactor clearing.
    const Fp2 = bls12_381.fields.Fp2;
    const b = Fp2.create({ c0: 4n, c1: 4n });
    let x = Fp2.create({ c0: 1n, c1: 0n });
    let y: { c0: bigint; c1: bigint } | undefined;
    for (;;) {
      const rhs = Fp2.add(Fp2.mul(Fp2.sqr(x), x), b);
      try {
        y = Fp2.sqrt(rhs);
        break;
      } catch {
        x = Fp2.add(x, Fp2.ONE);
      }
    }
    const point = bls12_381.G2.Point.fromAffine({ x, y: y! });
    expect(point.isTorsionFree()).toBe(false);
    const out = new Uint8Array(256);
    [x.c0, x.c1, y!.c0, y!.c1].forEach((value, i) => {
      out.set(hexToBytes(toHex(value, { size: 48 })), i * 64 + 16);
    });
    const v = vectors.single[0]!;
    expect(await mock.read.verify([v.publicKeyEip2537, v.message, bytesToHex(out)])).toBe(false);
  });

  it("verifies signatures made by the TypeScript backends with fresh keys", async () => {
    const backend = await bls();
    const key = await checkerKey("bls-test");
    const message = hexToBytes(keccak256(toHex("fresh")));
    const signature = backend.sign(key.secretKey, message);
    expect(
      await mock.read.verify([key.publicKeyEip2537, bytesToHex(message), bytesToHex(g2ToEip2537(signature))]),
    ).toBe(true);
    expect(bytesToHex(g1ToEip2537(key.publicKey))).toBe(key.publicKeyEip2537);
  });

  it("costs a bounded amount of gas per verification", async () => {
    const v = vectors.single[1]!;
    const [valid, gasUsed] = await mock.read.verifyGas([v.publicKeyEip2537, v.message, v.signatureEip2537]);
    expect(valid).toBe(true);
    // Two MAP_FP2_TO_G2 (2 × 23,800) + a two-pair pairing (102,900) + SHA-256/MODEXP/G2ADD and memory.
    expect(gasUsed).toBeGreaterThan(150_000n);
    expect(gasUsed).toBeLessThan(175_000n);
  });
});
