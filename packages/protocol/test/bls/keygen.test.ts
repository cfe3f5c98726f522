import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BlsError, BlsErrorCode, CURVE_ORDER, generateSecretKey } from "../../src/bls/index.ts";
import { bytes, hex } from "./helpers.ts";

/** EIP-2333 test cases 0-3: derive_master_SK(seed) = HKDF_mod_r(seed) = IETF KeyGen(seed). */
const EIP2333_MASTER = [
  {
    seed: "0xc55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04",
    masterSk: 6083874454709270928345386274498605044986640685124978867557563392430687146096n,
  },
  {
    seed: "0x3141592653589793238462643383279502884197169399375105820974944592",
    masterSk: 29757020647961307431480504535336562678282505419141012933316116377660817309383n,
  },
  {
    seed: "0x0099FF991111002299DD7744EE3355BBDD8844115566CC55663355668888CC00",
    masterSk: 27580842291869792442942448775674722299803720648445448686099262467207037398656n,
  },
  {
    seed: "0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3",
    masterSk: 19022158461524446591288038168518313374041767046816487870552872741050760015818n,
  },
];

describe("generateSecretKey", () => {
  it.each(EIP2333_MASTER)("matches EIP-2333 master_SK for seed $seed", ({ seed, masterSk }) => {
    expect(BigInt(hex(generateSecretKey(bytes(seed))))).toBe(masterSk);
  });

  it("is deterministic, in range, and separated by key_info", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 64 }), (ikm) => {
        const a = generateSecretKey(ikm);
        expect(a.length).toBe(32);
        const scalar = BigInt(hex(a));
        expect(scalar > 0n && scalar < CURVE_ORDER).toBe(true);
        expect(hex(generateSecretKey(ikm))).toBe(hex(a));
        expect(hex(generateSecretKey(ikm, new Uint8Array([1])))).not.toBe(hex(a));
      }),
      { numRuns: 50 },
    );
  });

  it("refuses fewer than 32 bytes of IKM", () => {
    let caught: unknown;
    try {
      generateSecretKey(new Uint8Array(31));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BlsError);
    expect((caught as BlsError).code).toBe(BlsErrorCode.INVALID_KEY_MATERIAL);
  });
});
