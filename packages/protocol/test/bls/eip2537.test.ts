import { bls12_381 } from "@noble/curves/bls12-381.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BlsErrorCode,
  g1FromEip2537,
  g1ToEip2537,
  g2FromEip2537,
  g2ToEip2537,
  generateSecretKey,
  hashToFieldFp2Eip2537,
  hashToG2Eip2537,
  nobleBackend,
} from "../../src/bls/index.ts";
import {
  bytes,
  expectBlsError,
  G1_INFINITY,
  G2_INFINITY,
  hex,
  nonSubgroupG1,
  nonSubgroupG2,
} from "./helpers.ts";

const fp = (value: bigint) => value.toString(16).padStart(128, "0");

describe("EIP-2537 encodings", () => {
  it("encodes the generators as the EIP lists them (x then y; c0 then c1; 16 zero bytes of padding)", () => {
    const g1 = bls12_381.G1.Point.BASE;
    const { x, y } = g1.toAffine();
    expect(hex(g1ToEip2537(g1.toBytes(true)))).toBe(`0x${fp(x)}${fp(y)}`);
    expect(hex(g1ToEip2537(g1.toBytes(true))).slice(2, 34)).toBe("0".repeat(32));
    const g2 = bls12_381.G2.Point.BASE;
    const a = g2.toAffine();
    expect(hex(g2ToEip2537(bls12_381.longSignatures.Signature.toBytes(g2)))).toBe(
      `0x${fp(a.x.c0)}${fp(a.x.c1)}${fp(a.y.c0)}${fp(a.y.c1)}`,
    );
  });

  it("round-trips keys and signatures", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 40 }),
        (ikm, msg) => {
          const sk = generateSecretKey(ikm);
          const pk = nobleBackend.publicKey(sk);
          const sig = nobleBackend.sign(sk, msg);
          const pk128 = g1ToEip2537(pk);
          const sig256 = g2ToEip2537(sig);
          expect(pk128.length).toBe(128);
          expect(sig256.length).toBe(256);
          expect(hex(g1FromEip2537(pk128))).toBe(hex(pk));
          expect(hex(g2FromEip2537(sig256))).toBe(hex(sig));
        },
      ),
      { numRuns: 8 },
    );
  });

  it("maps infinity to all zeros and back", () => {
    expect(g1ToEip2537(G1_INFINITY).every((b) => b === 0)).toBe(true);
    expect(g2ToEip2537(G2_INFINITY).every((b) => b === 0)).toBe(true);
    expect(hex(g1FromEip2537(new Uint8Array(128)))).toBe(hex(G1_INFINITY));
    expect(hex(g2FromEip2537(new Uint8Array(256)))).toBe(hex(G2_INFINITY));
  });

  it("refuses bad compressed input", () => {
    expectBlsError(() => g1ToEip2537(new Uint8Array(47)), BlsErrorCode.INVALID_PUBLIC_KEY);
    expectBlsError(() => g1ToEip2537(nonSubgroupG1()), BlsErrorCode.INVALID_PUBLIC_KEY);
    expectBlsError(() => g2ToEip2537(new Uint8Array(96)), BlsErrorCode.INVALID_SIGNATURE);
    expectBlsError(() => g2ToEip2537(nonSubgroupG2()), BlsErrorCode.INVALID_SIGNATURE);
  });

  it("refuses dirty padding, coordinates >= p, off-curve and wrong lengths", () => {
    const pk128 = g1ToEip2537(bls12_381.G1.Point.BASE.toBytes(true));
    const dirty = Uint8Array.from(pk128);
    dirty[0] = 1;
    expectBlsError(() => g1FromEip2537(dirty), BlsErrorCode.INVALID_POINT_ENCODING);
    const tooBig = Uint8Array.from(pk128);
    tooBig.set(bytes(fp(bls12_381.fields.Fp.ORDER)), 0);
    expectBlsError(() => g1FromEip2537(tooBig), BlsErrorCode.INVALID_POINT_ENCODING);
    const offCurve = Uint8Array.from(pk128);
    offCurve[127]! ^= 1;
    expectBlsError(() => g1FromEip2537(offCurve), BlsErrorCode.INVALID_POINT_ENCODING);
    expectBlsError(() => g1FromEip2537(pk128.subarray(1)), BlsErrorCode.INVALID_POINT_ENCODING);
    const sig256 = g2ToEip2537(bls12_381.longSignatures.Signature.toBytes(bls12_381.G2.Point.BASE));
    const offCurve2 = Uint8Array.from(sig256);
    offCurve2[255]! ^= 1;
    expectBlsError(() => g2FromEip2537(offCurve2), BlsErrorCode.INVALID_POINT_ENCODING);
    expectBlsError(() => g2FromEip2537(new Uint8Array(255)), BlsErrorCode.INVALID_POINT_ENCODING);
  });
});

describe("hash to G2 for the contracts", () => {
  it("is the point the signatures are made over", () => {
    const message = new Uint8Array(32).fill(0x56);
    const sk = bytes("0x263dbd792f5b1be47ed85f8938c0f29586af0d3ac7b977f21c278fe1462040e3");
    // sig = sk * H(m)
    const hm = bls12_381.G2.Point.fromAffine({
      x: {
        c0: BigInt(hex(hashToG2Eip2537(message).subarray(0, 64))),
        c1: BigInt(hex(hashToG2Eip2537(message).subarray(64, 128))),
      },
      y: {
        c0: BigInt(hex(hashToG2Eip2537(message).subarray(128, 192))),
        c1: BigInt(hex(hashToG2Eip2537(message).subarray(192, 256))),
      },
    });
    const expected = bls12_381.longSignatures.Signature.toBytes(hm.multiply(BigInt(hex(sk))));
    expect(hex(nobleBackend.sign(sk, message))).toBe(hex(expected));
  });

  it("equals map(u0) + map(u1) from hashToFieldFp2Eip2537 (what MAP_FP2_TO_G2 + G2ADD compute)", () => {
    const message = new TextEncoder().encode("checkernet");
    const u = hashToFieldFp2Eip2537(message);
    expect(u.length).toBe(256);
    const field = (i: number) => BigInt(hex(u.subarray(i * 64, i * 64 + 64)));
    // The hasher's mapToCurve returns a projective point with the cofactor
    // cleared, like the precompile; its .d.ts says affine, hence the cast.
    type G2 = typeof bls12_381.G2.Point.BASE;
    const map = (scalars: bigint[]) => bls12_381.G2.mapToCurve(scalars) as unknown as G2;
    const mapped0 = map([field(0), field(1)]);
    const mapped1 = map([field(2), field(3)]);
    const sum = mapped0.add(mapped1);
    expect(hex(g2ToEip2537(bls12_381.longSignatures.Signature.toBytes(sum)))).toBe(
      hex(hashToG2Eip2537(message)),
    );
  });
});
