import { type Address, bytesToHex, type Hex, keccak256, toBytes } from "viem";
import { describe, expect, it } from "vitest";
import { TranscriptMessageType } from "../../src/challenges/transcript.ts";
import {
  answerVram,
  generateVramBlock,
  type VramRequest,
  vramRequestCodec,
  vramResponseCodec,
} from "../../src/challenges/vram.ts";
import {
  type AnswerMessage,
  answerKeyAddress,
  answersHash,
  signRunTranscript,
} from "../../src/fraud/answerSigning.ts";
import { FraudReasonCode } from "../../src/fraud/common.ts";
import { buildVramFraudProof, type VramFraudProof, verifyVramFraudProof } from "../../src/fraud/vramFraud.ts";

const DOMAIN = {
  chainId: 31337n,
  verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as Address,
};
const KEY = keccak256(toBytes("vram fraud test key"));
const CONTEXT = { answerKey: answerKeyAddress(KEY), domain: DOMAIN };
const PROVIDER: Address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const CHECKER: Address = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const RUN_SEED: Hex = `0x${"31".repeat(32)}`;

const REQUEST: VramRequest = {
  seed: `0x${"41".repeat(32)}`,
  blockSize: 1024,
  blockCount: 16,
  nonce: `0x${"51".repeat(32)}`,
  steps: 8,
};
const BLOCKS = Array.from({ length: REQUEST.blockCount }, (_, i) => generateVramBlock(REQUEST.seed, i, 1024));
const HONEST = answerVram(REQUEST, (i) => BLOCKS[i] as Uint8Array).digests;

/** The run's messages as the provider signs them: a ping exchange, then the VRAM exchange. */
function messages(digests: readonly Hex[], request = REQUEST): AnswerMessage[] {
  return [
    { type: TranscriptMessageType.PING, payload: "0x01" },
    { type: TranscriptMessageType.PONG, payload: "0x02" },
    { type: TranscriptMessageType.VRAM_REQUEST, payload: vramRequestCodec.encode(request) },
    {
      type: TranscriptMessageType.VRAM_RESPONSE,
      payload: bytesToHex(vramResponseCodec.encode({ digests: [...digests] })),
    },
  ];
}

function signedProof(list: AnswerMessage[], step: number, key = KEY): VramFraudProof {
  const fields = { epoch: 4n, provider: PROVIDER, checker: CHECKER, seed: RUN_SEED };
  const signature = signRunTranscript(key, DOMAIN, { ...fields, answersHash: answersHash(list) });
  return buildVramFraudProof({ ...fields, signature }, list, step);
}

const reasonOf = (proof: VramFraudProof) => {
  const verdict = verifyVramFraudProof(proof, CONTEXT);
  return verdict.valid ? "VALID" : verdict.reason;
};

describe("VRAM fraud proofs", () => {
  it("prove a signed wrong digest at any step, and no step of an honest walk", () => {
    for (let t = 0; t < REQUEST.steps; t++) {
      expect(reasonOf(signedProof(messages(HONEST), t))).toBe(FraudReasonCode.HONEST_DIGEST);
      const forged = [...HONEST];
      forged[t] = keccak256(toBytes(`forged ${t}`));
      const verdict = verifyVramFraudProof(signedProof(messages(forged), t), CONTEXT);
      expect(verdict.valid).toBe(true);
      if (verdict.valid) {
        expect(verdict.claimed).toBe(forged[t]);
        expect(verdict.expected).toBe(HONEST[t]);
        expect(verdict.signer).toBe(CONTEXT.answerKey);
      }
      // The next step is checked from the digest as signed, so the forged chain continues to be provable.
      if (t + 1 < REQUEST.steps) expect(reasonOf(signedProof(messages(forged), t + 1))).toBe("VALID");
    }
  });

  it("bind the request: a prover cannot change the block size, count, seed or nonce the provider answered", () => {
    const proof = signedProof(messages(HONEST), 3);
    for (const change of [{ blockCount: 15 }, { blockSize: 512 }, { seed: RUN_SEED }, { nonce: RUN_SEED }]) {
      const list = messages(HONEST, { ...REQUEST, ...change });
      expect(reasonOf({ ...proof, messages: list })).toBe(FraudReasonCode.WRONG_SIGNATURE);
    }
  });

  it("reject a tampered signature, signed field or message, a wrong key, and out-of-range steps", () => {
    const proof = signedProof(messages(HONEST), 2);
    const forged = [...HONEST];
    forged[2] = HONEST[3] as Hex;
    const valid = signedProof(messages(forged), 2);
    expect(reasonOf(valid)).toBe("VALID");
    const cases: [Partial<VramFraudProof>, string][] = [
      [{ epoch: 5n }, FraudReasonCode.WRONG_SIGNATURE],
      [{ provider: CHECKER }, FraudReasonCode.WRONG_SIGNATURE],
      [{ checker: PROVIDER }, FraudReasonCode.WRONG_SIGNATURE],
      [{ seed: REQUEST.seed }, FraudReasonCode.WRONG_SIGNATURE],
      [{ signature: proof.signature }, FraudReasonCode.WRONG_SIGNATURE],
      [{ messages: messages(HONEST) }, FraudReasonCode.WRONG_SIGNATURE],
      [{ messages: valid.messages.slice(1) }, FraudReasonCode.WRONG_SIGNATURE],
      [{ step: 8 }, FraudReasonCode.OUT_OF_RANGE],
      [{ step: -1 }, FraudReasonCode.MALFORMED_PROOF],
      [{ seed: "0x12" }, FraudReasonCode.MALFORMED_PROOF],
      [{ messages: [{ type: 300, payload: "0x" }] }, FraudReasonCode.MALFORMED_PROOF],
    ];
    for (const [change, reason] of cases) {
      expect(
        reasonOf({ ...valid, ...change }),
        JSON.stringify(change, (_k, v) => String(v)),
      ).toBe(reason);
    }
    expect(reasonOf(signedProof(messages(forged), 2, keccak256(toBytes("other"))))).toBe(
      FraudReasonCode.WRONG_SIGNATURE,
    );
  });

  it("need exactly one answered VramRequest among the signed messages, decoding under its codec", () => {
    const [ping, pong, request, response] = messages(HONEST) as [
      AnswerMessage,
      AnswerMessage,
      AnswerMessage,
      AnswerMessage,
    ];
    expect(reasonOf(signedProof([ping, pong], 0))).toBe(FraudReasonCode.NO_VRAM_EXCHANGE);
    expect(reasonOf(signedProof([ping, response, request], 0))).toBe(FraudReasonCode.NO_VRAM_EXCHANGE);
    expect(reasonOf(signedProof([request, response, request, response], 0))).toBe(
      FraudReasonCode.NO_VRAM_EXCHANGE,
    );
    expect(reasonOf(signedProof([request, { ...response, payload: "0x1234" }], 0))).toBe(
      FraudReasonCode.MALFORMED_PROOF,
    );
    // A response shorter than the walk: only its signed steps can be proven.
    const short = [
      request,
      { ...response, payload: vramResponseCodec.encode({ digests: HONEST.slice(0, 3) }) },
    ];
    expect(reasonOf(signedProof(short, 3))).toBe(FraudReasonCode.OUT_OF_RANGE);
    expect(reasonOf(signedProof(short, 2))).toBe(FraudReasonCode.HONEST_DIGEST);
  });
});
