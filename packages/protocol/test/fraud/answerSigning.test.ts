import { secp256k1 } from "@noble/curves/secp256k1.js";
import fc from "fast-check";
import {
  type Address,
  bytesToHex,
  concat,
  type Hex,
  hexToBytes,
  keccak256,
  numberToBytes,
  toBytes,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { ChallengeError } from "../../src/challenges/common.ts";
import {
  ANSWER_TYPES,
  type AnswerDomain,
  answerKeyAddress,
  answerKeyDigest,
  answersHash,
  type MatmulCommitmentMessage,
  matmulCommitmentDigest,
  type RunTranscriptMessage,
  recoverAnswerKeySigner,
  recoverDigestSigner,
  recoverMatmulCommitmentSigner,
  recoverRunTranscriptSigner,
  runTranscriptDigest,
  signAnswerKey,
  signDigest,
  signMatmulCommitment,
  signRunTranscript,
  verifyAnswerKey,
} from "../../src/fraud/answerSigning.ts";
import { flipS } from "./helpers.ts";

const DOMAIN: AnswerDomain = {
  chainId: 31337,
  verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
};
const KEY = keccak256(toBytes("answer key"));
const KEY_ADDRESS = answerKeyAddress(KEY);
const PROVIDER: Address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const CHECKER: Address = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const COMMITMENT: MatmulCommitmentMessage = {
  epoch: 12n,
  provider: PROVIDER,
  checker: CHECKER,
  seed: `0x${"07".repeat(32)}`,
  classId: 1,
  n: 256,
  root: `0x${"ab".repeat(32)}`,
};
const TRANSCRIPT: RunTranscriptMessage = {
  epoch: 12n,
  provider: PROVIDER,
  checker: CHECKER,
  seed: `0x${"08".repeat(32)}`,
  answersHash: `0x${"cd".repeat(32)}`,
};
const N = secp256k1.Point.CURVE().n;

describe("answer signatures", () => {
  it("match viem's own EIP-712 signing byte for byte (same digest, RFC 6979 nonces)", async () => {
    const account = privateKeyToAccount(KEY);
    expect(account.address).toBe(KEY_ADDRESS);
    const domain = {
      name: "checkernet",
      version: "1",
      chainId: 31337,
      verifyingContract: DOMAIN.verifyingContract,
    };
    expect(signMatmulCommitment(KEY, DOMAIN, COMMITMENT)).toBe(
      await account.signTypedData({
        domain,
        types: ANSWER_TYPES,
        primaryType: "MatmulCommitment",
        message: COMMITMENT,
      }),
    );
    expect(signRunTranscript(KEY, DOMAIN, TRANSCRIPT)).toBe(
      await account.signTypedData({
        domain,
        types: ANSWER_TYPES,
        primaryType: "RunTranscript",
        message: TRANSCRIPT,
      }),
    );
    const keyMessage = { provider: PROVIDER, answerKey: KEY_ADDRESS };
    expect(signAnswerKey(KEY, DOMAIN, keyMessage)).toBe(
      await account.signTypedData({
        domain,
        types: ANSWER_TYPES,
        primaryType: "AnswerKey",
        message: keyMessage,
      }),
    );
  });

  it("recover the signer of each struct, and another signer for any changed field", () => {
    const sig = signMatmulCommitment(KEY, DOMAIN, COMMITMENT);
    expect(recoverMatmulCommitmentSigner(DOMAIN, COMMITMENT, sig)).toBe(KEY_ADDRESS);
    const changes: Partial<MatmulCommitmentMessage>[] = [
      { epoch: 13n },
      { provider: CHECKER },
      { checker: PROVIDER },
      { seed: `0x${"09".repeat(32)}` },
      { classId: 2 },
      { n: 255 },
      { root: `0x${"ac".repeat(32)}` },
    ];
    for (const change of changes) {
      expect(recoverMatmulCommitmentSigner(DOMAIN, { ...COMMITMENT, ...change }, sig)).not.toBe(KEY_ADDRESS);
    }
    expect(recoverMatmulCommitmentSigner({ ...DOMAIN, chainId: 1 }, COMMITMENT, sig)).not.toBe(KEY_ADDRESS);
    const runSig = signRunTranscript(KEY, DOMAIN, TRANSCRIPT);
    expect(recoverRunTranscriptSigner(DOMAIN, TRANSCRIPT, runSig)).toBe(KEY_ADDRESS);
    expect(
      recoverRunTranscriptSigner(DOMAIN, { ...TRANSCRIPT, answersHash: COMMITMENT.root }, runSig),
    ).not.toBe(KEY_ADDRESS);
    // Same fields, other struct: the type hash separates them.
    expect(matmulCommitmentDigest(DOMAIN, COMMITMENT)).not.toBe(runTranscriptDigest(DOMAIN, TRANSCRIPT));
  });

  it("prove possession of an answer key for one provider only", () => {
    const message = { provider: PROVIDER, answerKey: KEY_ADDRESS };
    const sig = signAnswerKey(KEY, DOMAIN, message);
    expect(verifyAnswerKey(DOMAIN, message, sig)).toBe(true);
    expect(recoverAnswerKeySigner(DOMAIN, message, sig)).toBe(KEY_ADDRESS);
    expect(verifyAnswerKey(DOMAIN, { ...message, provider: CHECKER }, sig)).toBe(false);
    const other = keccak256(toBytes("other key"));
    expect(verifyAnswerKey(DOMAIN, message, signAnswerKey(other, DOMAIN, message))).toBe(false);
    expect(answerKeyDigest(DOMAIN, message)).not.toBe(
      answerKeyDigest(DOMAIN, { ...message, provider: CHECKER }),
    );
  });

  it("are 65 bytes r ‖ s ‖ v with low s and v ∈ {27, 28}; anything ECDSA.recover refuses recovers no one", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (digestBytes) => {
        const digest = bytesToHex(digestBytes);
        const sig = signDigest(KEY, digest);
        const bytes = hexToBytes(sig);
        expect(bytes).toHaveLength(65);
        expect(BigInt(bytesToHex(bytes.subarray(32, 64)))).toBeLessThanOrEqual(N / 2n);
        expect([27, 28]).toContain(bytes[64]);
        expect(recoverDigestSigner(digest, sig)).toBe(KEY_ADDRESS);
        expect(recoverDigestSigner(digest, flipS(sig))).toBeNull();
      }),
      { numRuns: 20 },
    );
    const digest = keccak256(toBytes("x"));
    const sig = hexToBytes(signDigest(KEY, digest));
    const withV = (v: number) => bytesToHex(concat([sig.subarray(0, 64), new Uint8Array([v])]));
    for (const v of [0, 1, 26, 29]) expect(recoverDigestSigner(digest, withV(v))).toBeNull();
    expect(recoverDigestSigner(digest, bytesToHex(sig.subarray(0, 64)))).toBeNull();
    expect(recoverDigestSigner(digest, bytesToHex(concat([sig, new Uint8Array([0])])))).toBeNull();
    const zeroR = sig.slice();
    zeroR.fill(0, 0, 32);
    expect(recoverDigestSigner(digest, bytesToHex(zeroR))).toBeNull();
    const bigR = sig.slice();
    bigR.set(numberToBytes(N, { size: 32 }), 0);
    expect(recoverDigestSigner(digest, bytesToHex(bigR))).toBeNull();
    expect(recoverDigestSigner(digest, "0xzz" as Hex)).toBeNull();
  });

  it("refuses bad keys and digests as caller mistakes", () => {
    expect(() => signDigest("0x00" as Hex, keccak256("0x"))).toThrow(ChallengeError);
    expect(() => signDigest(`0x${"00".repeat(32)}`, keccak256("0x"))).toThrow(ChallengeError);
    expect(() => signDigest(bytesToHex(numberToBytes(N, { size: 32 })), keccak256("0x"))).toThrow(
      ChallengeError,
    );
    expect(() => signDigest(KEY, "0x1234")).toThrow(ChallengeError);
    expect(() => matmulCommitmentDigest(DOMAIN, { ...COMMITMENT, classId: 70_000 })).toThrow(ChallengeError);
    expect(() =>
      answerKeyDigest(
        { ...DOMAIN, verifyingContract: "0x12" as Address },
        {
          provider: PROVIDER,
          answerKey: KEY_ADDRESS,
        },
      ),
    ).toThrow(ChallengeError);
  });
});

describe("answersHash", () => {
  it("is keccak256 of uint8(type) ‖ uint32be(length) ‖ payload per message, in order", () => {
    const messages = [
      { type: 2, payload: "0x0102" as Hex },
      { type: 8, payload: new Uint8Array([9, 9, 9]) },
      { type: 4, payload: "0x" as Hex },
    ];
    const expected = keccak256(
      concat([
        new Uint8Array([2]),
        numberToBytes(2, { size: 4 }),
        new Uint8Array([1, 2]),
        new Uint8Array([8]),
        numberToBytes(3, { size: 4 }),
        new Uint8Array([9, 9, 9]),
        new Uint8Array([4]),
        numberToBytes(0, { size: 4 }),
      ]),
    );
    expect(answersHash(messages)).toBe(expected);
    expect(answersHash([])).toBe(keccak256("0x"));
  });

  it("separates every split, order and type of the same bytes", () => {
    const a = answersHash([
      { type: 2, payload: "0x0102" },
      { type: 2, payload: "0x03" },
    ]);
    expect(
      answersHash([
        { type: 2, payload: "0x01" },
        { type: 2, payload: "0x0203" },
      ]),
    ).not.toBe(a);
    expect(
      answersHash([
        { type: 2, payload: "0x03" },
        { type: 2, payload: "0x0102" },
      ]),
    ).not.toBe(a);
    expect(
      answersHash([
        { type: 4, payload: "0x0102" },
        { type: 2, payload: "0x03" },
      ]),
    ).not.toBe(a);
    expect(() => answersHash([{ type: 256, payload: "0x" }])).toThrow(ChallengeError);
    expect(() => answersHash([{ type: 1, payload: "0x123" as Hex }])).toThrow(ChallengeError);
  });
});
