import { bls12_381 } from "@noble/curves/bls12-381.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BlsBackend, SignatureSet } from "../../src/bls/backend.ts";
import {
  BlsErrorCode,
  CURVE_ORDER,
  createNobleBackend,
  generateSecretKey,
  isValidPublicKey,
  loadBlsBackend,
  nobleBackend,
} from "../../src/bls/index.ts";
import {
  backends,
  blst,
  bytes,
  expectBlsError,
  G1_INFINITY,
  G2_INFINITY,
  hex,
  nonSubgroupG1,
  nonSubgroupG2,
} from "./helpers.ts";

/**
 * Known answers from ethereum/bls12-381-tests v0.1.2 (the consensus-spec BLS
 * suite, CC0): `sign` cases, the three keys' `SkToPk`, and the
 * `aggregate` / `fast_aggregate_verify_valid_3d7576f3c0e3570a` case over 0xab..ab.
 */
const PRIVKEYS = [
  "0x263dbd792f5b1be47ed85f8938c0f29586af0d3ac7b977f21c278fe1462040e3",
  "0x47b8192d77bf871b62e87859d653922725724a5c031afeabc60bcef5ff665138",
  "0x328388aff0d4a5b7dc9205abd374e7e98f3cd9f3418edb4eafda5fb16473d216",
] as const;
const PUBKEYS = [
  "0xa491d1b0ecd9bb917989f0e74f0dea0422eac4a873e5e2644f368dffb9a6e20fd6e10c1b77654d067c0618f6e5a7f79a",
  "0xb301803f8b5ac4a1133581fc676dfedc60d891dd5fa99028805e5ea5b08d3491af75d0707adab3b70c6a6a580217bf81",
  "0xb53d21a4cfd562c469cc81514d4ce5a6b577d8403d32a394dc265dd190b47fa9f829fdd7963afdf972e5e77854051f6f",
] as const;
const M00 = `0x${"00".repeat(32)}`;
const M56 = `0x${"56".repeat(32)}`;
const MAB = `0x${"ab".repeat(32)}`;
const SIGN_CASES: { privkey: string; message: string; signature: string }[] = [
  {
    privkey: PRIVKEYS[1],
    message: M00,
    signature:
      "0xb23c46be3a001c63ca711f87a005c200cc550b9429d5f4eb38d74322144f1b63926da3388979e5321012fb1a0526bcd100b5ef5fe72628ce4cd5e904aeaa3279527843fae5ca9ca675f4f51ed8f83bbf7155da9ecc9663100a885d5dc6df96d9",
  },
  {
    privkey: PRIVKEYS[1],
    message: M56,
    signature:
      "0xaf1390c3c47acdb37131a51216da683c509fce0e954328a59f93aebda7e4ff974ba208d9a4a2a2389f892a9d418d618418dd7f7a6bc7aa0da999a9d3a5b815bc085e14fd001f6a1948768a3f4afefc8b8240dda329f984cb345c6363272ba4fe",
  },
  {
    privkey: PRIVKEYS[1],
    message: MAB,
    signature:
      "0x9674e2228034527f4c083206032b020310face156d4a4685e2fcaec2f6f3665aa635d90347b6ce124eb879266b1e801d185de36a0a289b85e9039662634f2eea1e02e670bc7ab849d006a70b2f93b84597558a05b879c8d445f387a5d5b653df",
  },
  {
    privkey: PRIVKEYS[2],
    message: M00,
    signature:
      "0x948a7cb99f76d616c2c564ce9bf4a519f1bea6b0a624a02276443c245854219fabb8d4ce061d255af5330b078d5380681751aa7053da2c98bae898edc218c75f07e24d8802a17cd1f6833b71e58f5eb5b94208b4d0bb3848cecb075ea21be115",
  },
  {
    privkey: PRIVKEYS[2],
    message: MAB,
    signature:
      "0xae82747ddeefe4fd64cf9cedb9b04ae3e8a43420cd255e3c7cd06a8d88b7c7f8638543719981c5d16fa3527c468c25f0026704a6951bde891360c7e8d12ddee0559004ccdbe6046b55bae1b257ee97f7cdb955773d7cf29adf3ccbb9975e4eb9",
  },
  {
    privkey: PRIVKEYS[2],
    message: M56,
    signature:
      "0xa4efa926610b8bd1c8330c918b7a5e9bf374e53435ef8b7ec186abf62e1b1f65aeaaeb365677ac1d1172a1f5b44b4e6d022c252c58486c0a759fbdc7de15a756acc4d343064035667a594b4c2a6f0b0b421975977f297dba63ee2f63ffe47bb6",
  },
  {
    privkey: PRIVKEYS[0],
    message: M00,
    signature:
      "0xb6ed936746e01f8ecf281f020953fbf1f01debd5657c4a383940b020b26507f6076334f91e2366c96e9ab279fb5158090352ea1c5b0c9274504f4f0e7053af24802e51e4568d164fe986834f41e55c8e850ce1f98458c0cfc9ab380b55285a55",
  },
  {
    privkey: PRIVKEYS[0],
    message: M56,
    signature:
      "0x882730e5d03f6b42c3abc26d3372625034e1d871b65a8a6b900a56dae22da98abbe1b68f85e49fe7652a55ec3d0591c20767677e33e5cbb1207315c41a9ac03be39c2e7668edc043d6cb1d9fd93033caa8a1c5b0e84bedaeb6c64972503a43eb",
  },
  {
    privkey: PRIVKEYS[0],
    message: MAB,
    signature:
      "0x91347bccf740d859038fcdcaf233eeceb2a436bcaaee9b2aa3bfb70efe29dfb2677562ccbea1c8e061fb9971b0753c240622fab78489ce96768259fc01360346da5b9f579e5da0d941e4c6ba18a0e64906082375394f337fa1af2b7127b0d121",
  },
];
const AGGREGATE_AB =
  "0x9712c3edd73a209c742b8250759db12549b3eaf43b5ca61376d9f30e2747dbcf842d8b2ac0901d2a093713e20284a7670fcf6954e9ab93de991bb9b313e664785a075fc285806fa5224c82bde146561b446ccfc706a64b8579513cfc4ff1d930";
const SIGS_AB = SIGN_CASES.filter((c) => c.message === MAB).map((c) => bytes(c.signature));

function flipLastBit(value: Uint8Array): Uint8Array {
  const out = Uint8Array.from(value);
  out[out.length - 1]! ^= 1;
  return out;
}

function negateG1(publicKey: Uint8Array): Uint8Array {
  return bls12_381.G1.Point.fromBytes(publicKey).negate().toBytes(true);
}

const sk = (i: number) => generateSecretKey(new Uint8Array(32).fill(i + 1));

describe("loadBlsBackend", () => {
  it("returns noble on request and blst (where it loads) for auto", async () => {
    expect((await loadBlsBackend("noble")).name).toBe("noble");
    const auto = await loadBlsBackend();
    expect(auto.name).toBe(blst ? "blst" : "noble");
    if (blst) expect((await loadBlsBackend("blst")).name).toBe("blst");
  });
});

describe.each(backends.map((b) => [b.name, b] as const))("%s backend", (_name, bls: BlsBackend) => {
  describe("Ethereum consensus-spec known answers", () => {
    it("derives the spec public keys", () => {
      PRIVKEYS.forEach((privkey, i) => {
        expect(hex(bls.publicKey(bytes(privkey)))).toBe(PUBKEYS[i]);
      });
    });

    it.each(SIGN_CASES)("signs $message with $privkey", ({ privkey, message, signature }) => {
      expect(hex(bls.sign(bytes(privkey), bytes(message)))).toBe(signature);
      const pk = bls.publicKey(bytes(privkey));
      expect(bls.verify(pk, bytes(message), bytes(signature))).toBe(true);
    });

    it("aggregates the three 0xab signatures to the spec aggregate and fast-aggregate-verifies it", () => {
      expect(hex(bls.aggregateSignatures(SIGS_AB))).toBe(AGGREGATE_AB);
      const pks = PUBKEYS.map(bytes);
      expect(bls.fastAggregateVerify(pks, bytes(MAB), bytes(AGGREGATE_AB))).toBe(true);
      // fast_aggregate_verify_extra_pubkey: one more key than signers.
      expect(bls.fastAggregateVerify([...pks, pks[0]!], bytes(MAB), bytes(AGGREGATE_AB))).toBe(false);
      // Missing a signer.
      expect(bls.fastAggregateVerify(pks.slice(0, 2), bytes(MAB), bytes(AGGREGATE_AB))).toBe(false);
      expect(bls.fastAggregateVerify(pks, bytes(M56), bytes(AGGREGATE_AB))).toBe(false);
    });

    it("refuses the zero secret key (sign_case_zero_privkey) and keys >= r", () => {
      expectBlsError(() => bls.sign(new Uint8Array(32), bytes(MAB)), BlsErrorCode.INVALID_SECRET_KEY);
      const order = bytes(CURVE_ORDER.toString(16).padStart(64, "0"));
      expectBlsError(() => bls.publicKey(order), BlsErrorCode.INVALID_SECRET_KEY);
      expectBlsError(() => bls.sign(new Uint8Array(31).fill(1), bytes(MAB)), BlsErrorCode.INVALID_SECRET_KEY);
      expectBlsError(() => bls.publicKey(new Uint8Array(33).fill(1)), BlsErrorCode.INVALID_SECRET_KEY);
    });
  });

  describe("verify refuses, never throws", () => {
    const pk = PUBKEYS.map(bytes)[0]!;
    const message = bytes(M56);
    const signature = bytes(SIGN_CASES[7]!.signature);

    it("accepts the valid triple (control)", () => {
      expect(bls.verify(pk, message, signature)).toBe(true);
    });

    it("wrong message, wrong key, mutated signature", () => {
      expect(bls.verify(pk, bytes(MAB), signature)).toBe(false);
      expect(bls.verify(pk, message.subarray(1), signature)).toBe(false);
      expect(bls.verify(bytes(PUBKEYS[1]), message, signature)).toBe(false);
      expect(bls.verify(pk, message, flipLastBit(signature))).toBe(false);
      expect(bls.verify(flipLastBit(pk), message, signature)).toBe(false);
    });

    it("infinity points", () => {
      expect(bls.verify(G1_INFINITY, message, signature)).toBe(false);
      expect(bls.verify(pk, message, G2_INFINITY)).toBe(false);
      expect(bls.verify(G1_INFINITY, message, G2_INFINITY)).toBe(false);
    });

    it("points outside the prime-order subgroup", () => {
      expect(bls.verify(nonSubgroupG1(), message, signature)).toBe(false);
      expect(bls.verify(pk, message, nonSubgroupG2())).toBe(false);
    });

    it("bad lengths and garbage", () => {
      expect(bls.verify(pk.subarray(0, 47), message, signature)).toBe(false);
      expect(bls.verify(new Uint8Array([...pk, 0]), message, signature)).toBe(false);
      expect(bls.verify(pk, message, signature.subarray(0, 95))).toBe(false);
      expect(bls.verify(pk, message, new Uint8Array([...signature, 0]))).toBe(false);
      expect(bls.verify(new Uint8Array(0), message, new Uint8Array(0))).toBe(false);
      expect(bls.verify(new Uint8Array(48).fill(0xff), message, new Uint8Array(96).fill(0xff))).toBe(false);
      // The uncompressed (96-byte) key form is not the protocol's wire form.
      const uncompressed = bls12_381.G1.Point.fromBytes(pk).toBytes(false);
      expect(bls.verify(uncompressed, message, signature)).toBe(false);
    });
  });

  describe("aggregation", () => {
    it("refuses empty and invalid inputs with typed errors", () => {
      expectBlsError(() => bls.aggregateSignatures([]), BlsErrorCode.EMPTY_INPUT);
      expectBlsError(() => bls.aggregatePublicKeys([]), BlsErrorCode.EMPTY_INPUT);
      expectBlsError(
        () => bls.aggregateSignatures([SIGS_AB[0]!, G2_INFINITY]),
        BlsErrorCode.INVALID_SIGNATURE,
      );
      expectBlsError(
        () => bls.aggregateSignatures([SIGS_AB[0]!, SIGS_AB[1]!.subarray(1)]),
        BlsErrorCode.INVALID_SIGNATURE,
      );
      expectBlsError(() => bls.aggregatePublicKeys([G1_INFINITY]), BlsErrorCode.INVALID_PUBLIC_KEY);
      expectBlsError(() => bls.aggregatePublicKeys([nonSubgroupG1()]), BlsErrorCode.INVALID_PUBLIC_KEY);
    });

    it("the aggregate public key verifies the aggregate signature", () => {
      const aggregateKey = bls.aggregatePublicKeys(PUBKEYS.map(bytes));
      expect(bls.verify(aggregateKey, bytes(MAB), bytes(AGGREGATE_AB))).toBe(true);
    });

    it("fastAggregateVerify refuses empty key lists, infinity keys and cancelling (rogue) keys", () => {
      const pks = PUBKEYS.map(bytes);
      expect(bls.fastAggregateVerify([], bytes(MAB), G2_INFINITY)).toBe(false);
      expect(bls.fastAggregateVerify([...pks, G1_INFINITY], bytes(MAB), bytes(AGGREGATE_AB))).toBe(false);
      // pk + (-pk) is the identity: only the identity signature would "match".
      const pk = pks[0]!;
      expect(bls.fastAggregateVerify([pk, negateG1(pk)], bytes(MAB), G2_INFINITY)).toBe(false);
      expect(bls.fastAggregateVerify(pks, bytes(MAB), flipLastBit(bytes(AGGREGATE_AB)))).toBe(false);
    });
  });

  describe("verifyBatch", () => {
    const keys = [0, 1, 2, 3].map(sk);
    const sets: SignatureSet[] = keys.map((secretKey, i) => {
      const message = new Uint8Array(32).fill(0x10 + i);
      return { publicKey: bls.publicKey(secretKey), message, signature: bls.sign(secretKey, message) };
    });

    it("is true when every set is valid, including repeated messages", () => {
      expect(bls.verifyBatch(sets)).toBe(true);
      expect(bls.verifyBatch(sets.slice(0, 1))).toBe(true);
      const shared = new Uint8Array(32).fill(0x77);
      const sameMessage = keys.map((secretKey) => ({
        publicKey: bls.publicKey(secretKey),
        message: shared,
        signature: bls.sign(secretKey, shared),
      }));
      expect(bls.verifyBatch([...sets, ...sameMessage])).toBe(true);
    });

    it("is false when one set is bad", () => {
      const wrongMessage = sets.map((s, i) => (i === 2 ? { ...s, message: new Uint8Array(32) } : s));
      expect(bls.verifyBatch(wrongMessage)).toBe(false);
      const wrongKey = sets.map((s, i) => (i === 1 ? { ...s, publicKey: sets[0]!.publicKey } : s));
      expect(bls.verifyBatch(wrongKey)).toBe(false);
      const badBytes = sets.map((s, i) => (i === 3 ? { ...s, signature: s.signature.subarray(1) } : s));
      expect(bls.verifyBatch(badBytes)).toBe(false);
      const infinity = sets.map((s, i) => (i === 0 ? { ...s, signature: G2_INFINITY } : s));
      expect(bls.verifyBatch(infinity)).toBe(false);
      expect(bls.verifyBatch([])).toBe(false);
    });

    it("is false when two signatures are swapped (the naive sum would accept this)", () => {
      const swapped = sets.map((s, i) =>
        i === 0
          ? { ...s, signature: sets[1]!.signature }
          : i === 1
            ? { ...s, signature: sets[0]!.signature }
            : s,
      );
      expect(bls.verifyBatch(swapped)).toBe(false);
    });
  });
});

describe("noble batch scalars", () => {
  it("must be random: with constant scalars a swapped pair would pass", () => {
    const constant = createNobleBackend({ randomBytes: (n) => new Uint8Array(n).fill(1) });
    const [a, b] = [sk(5), sk(6)];
    const [ma, mb] = [new Uint8Array([1]), new Uint8Array([2])];
    const sa = nobleBackend.sign(a, ma);
    const sb = nobleBackend.sign(b, mb);
    const swapped = [
      { publicKey: nobleBackend.publicKey(a), message: ma, signature: sb },
      { publicKey: nobleBackend.publicKey(b), message: mb, signature: sa },
    ];
    // This is what the random scalars defend against.
    expect(constant.verifyBatch(swapped)).toBe(true);
    expect(nobleBackend.verifyBatch(swapped)).toBe(false);
  });
});

describe("isValidPublicKey", () => {
  it("is KeyValidate", () => {
    expect(isValidPublicKey(bytes(PUBKEYS[0]))).toBe(true);
    expect(isValidPublicKey(G1_INFINITY)).toBe(false);
    expect(isValidPublicKey(nonSubgroupG1())).toBe(false);
    expect(isValidPublicKey(bytes(PUBKEYS[0]).subarray(1))).toBe(false);
  });
});

describe.skipIf(!blst)("noble and blst agree", () => {
  const secretKeyArb = fc
    .uint8Array({ minLength: 32, maxLength: 32 })
    .filter((b) => b.some((x) => x !== 0) && BigInt(hex(b)) < CURVE_ORDER);
  const messageArb = fc.uint8Array({ minLength: 0, maxLength: 96 });

  it("on public keys and signatures, and each verifies the other's", () => {
    const native = blst!;
    fc.assert(
      fc.property(secretKeyArb, messageArb, (secretKey, message) => {
        const pk = nobleBackend.publicKey(secretKey);
        expect(hex(native.publicKey(secretKey))).toBe(hex(pk));
        const signature = nobleBackend.sign(secretKey, message);
        expect(hex(native.sign(secretKey, message))).toBe(hex(signature));
        expect(native.verify(pk, message, signature)).toBe(true);
      }),
      { numRuns: 12 },
    );
  });

  it("on aggregates", () => {
    const native = blst!;
    fc.assert(
      fc.property(
        fc.array(secretKeyArb, { minLength: 1, maxLength: 4 }),
        messageArb,
        (secretKeys, message) => {
          const signatures = secretKeys.map((k) => native.sign(k, message));
          const pks = secretKeys.map((k) => native.publicKey(k));
          const aggregate = native.aggregateSignatures(signatures);
          expect(hex(nobleBackend.aggregateSignatures(signatures))).toBe(hex(aggregate));
          expect(hex(nobleBackend.aggregatePublicKeys(pks))).toBe(hex(native.aggregatePublicKeys(pks)));
          expect(nobleBackend.fastAggregateVerify(pks, message, aggregate)).toBe(true);
        },
      ),
      { numRuns: 5 },
    );
  });
});
