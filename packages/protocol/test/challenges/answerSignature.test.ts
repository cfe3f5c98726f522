import { bytesToHex, type Hex, hexToBytes, zeroAddress } from "viem";
import { describe, expect, it } from "vitest";
import { ReasonCode } from "../../src/challenges/common.ts";
import { gpuClass } from "../../src/challenges/gpu-classes.ts";
import { answerPing, pingCodec, pingSchedule, pongCodec } from "../../src/challenges/latency.ts";
import {
  commitRows,
  generateMatmul,
  matmulCommitCodec,
  matmulOpenCodec,
  matmulRequestCodec,
  matmulRowsCodec,
  openRows,
  sampleColumns,
  sampleRows,
  solveMatmul,
} from "../../src/challenges/matmul.ts";
import { regionById } from "../../src/challenges/regions.ts";
import {
  type ChallengeTranscript,
  evaluateTranscript,
  runSeeds,
  runTranscriptAnswers,
  TranscriptMessageType as T,
  TRANSCRIPT_VERSION,
  type TranscriptMessage,
  transcriptCodec,
} from "../../src/challenges/transcript.ts";
import { DecodeError } from "../../src/errors.ts";
import { answersHash, signMatmulCommitment, signRunTranscript } from "../../src/fraud/answerSigning.ts";
import { matmulFraudProofFromTranscript } from "../../src/fraud/fromTranscript.ts";
import { verifyMatmulFraudProof } from "../../src/fraud/matmulFraud.ts";
import { withParams } from "../../src/params.ts";
import { ChallengeKind, CheckResult } from "../../src/types.ts";
import { ANSWER, CHECKER, DOMAIN, KEY, OTHER_KEY, PROVIDER, REGISTRY } from "./helpers.ts";

const params = withParams({ pingCount: 4, matmulSampledRows: 3 });
const hex = (b: Uint8Array): Hex => bytesToHex(b);

interface Run {
  /** Signing key; null: unsigned commitment. */
  signWith?: Hex | null;
  /** Rows of C computed wrongly (column 5 of them, or every column with `wholeRows`). */
  wrongRows?: (n: number) => number[];
  /** The wrong rows are wrong in every entry, as a row whose work was skipped is. */
  wholeRows?: boolean;
  /** Size of C: 24 (every entry of an opened row recomputed) unless said. */
  n?: number;
  /** The header's answer key; null: none. */
  answer?: typeof ANSWER | null;
  seed?: Hex;
  /** Run signature key; null: no RUN_SIGNATURE recorded. Default: the commitment's key. */
  runSignWith?: Hex | null;
}

/** A matmul run as an honest checker records it against a provider behaving as told. */
function record(run: Run = {}): ChallengeTranscript {
  const seed = run.seed ?? (`0x${"5e".repeat(32)}` as Hex);
  const seeds = runSeeds(seed);
  const messages: TranscriptMessage[] = [];
  let now = 0;
  for (const ping of pingSchedule(seeds.latency, params)) {
    now = Math.max(now, ping.sendAtMs * 1000);
    messages.push({ type: T.PING, atUs: now, payload: hex(pingCodec.encode(ping)) });
    now += 2_000;
    messages.push({ type: T.PONG, atUs: now, payload: hex(pongCodec.encode(answerPing(ping))) });
  }
  const n = run.n ?? 24;
  const classId = gpuClass("cpu-reference").code;
  const request = { seed: seeds.matmul, n, classId, epoch: 7n, checker: CHECKER };
  messages.push({ type: T.MATMUL_REQUEST, atUs: now, payload: hex(matmulRequestCodec.encode(request)) });
  const { a, b } = generateMatmul(request.seed, n);
  const c = solveMatmul(a, b, n);
  for (const i of run.wrongRows?.(n) ?? []) {
    for (let j = run.wholeRows ? 0 : 5; j < (run.wholeRows ? n : 6); j++)
      c[i * n + j] = (c[i * n + j] as number) + 1;
  }
  const { root, tree } = commitRows(c, n);
  const signWith = run.signWith === undefined ? KEY : run.signWith;
  const signature =
    signWith === null
      ? ("0x" as Hex)
      : signMatmulCommitment(signWith, DOMAIN, { ...request, provider: PROVIDER, root });
  now += 3_000;
  const commit = hex(matmulCommitCodec.encode({ root, elapsedMs: 0, signature }));
  messages.push({ type: T.MATMUL_COMMIT, atUs: now, payload: commit });
  const rows = sampleRows(seeds.sample, root, n, params.matmulSampledRows);
  messages.push({ type: T.MATMUL_OPEN, atUs: now, payload: hex(matmulOpenCodec(n, 3).encode({ rows })) });
  now += 2_000;
  const opened = hex(matmulRowsCodec(n, 3).encode(openRows(tree, c, rows)));
  messages.push({ type: T.MATMUL_ROWS, atUs: now, payload: opened });
  const answer = run.answer === undefined ? ANSWER : run.answer;
  const t: ChallengeTranscript = {
    version: TRANSCRIPT_VERSION,
    epoch: 7n,
    provider: PROVIDER,
    checker: CHECKER,
    kind: ChallengeKind.MATMUL,
    checkerRegion: regionById("local").code,
    claimedRegion: regionById("local").code,
    classId,
    seed,
    ...(answer === null ? {} : { answer }),
    messages,
  };
  const runKey = run.runSignWith === undefined ? (signWith ?? KEY) : run.runSignWith;
  if (runKey !== null) {
    const hash = answersHash(runTranscriptAnswers(t));
    const runSignature = signRunTranscript(runKey, DOMAIN, {
      epoch: 7n,
      provider: PROVIDER,
      checker: CHECKER,
      seed,
      answersHash: hash,
    });
    messages.push({ type: T.RUN_SIGNATURE, atUs: now + 1_000, payload: runSignature });
  }
  return t;
}

const codes = (t: ChallengeTranscript) => evaluateTranscript(t, params).reasons.map((r) => r.code);

describe("signed matmul commitments in the transcript", () => {
  it("passes a commitment signed by the header's answer key", () => {
    const t = record();
    expect(evaluateTranscript(t, params).result).toBe(CheckResult.PASS);
    expect(transcriptCodec.decode(transcriptCodec.encode(t))).toEqual(t);
  });

  it("fails an unsigned commitment when the provider has an answer key (UNSIGNED_ANSWER)", () => {
    const t = record({ signWith: null, runSignWith: KEY });
    expect(evaluateTranscript(t, params).result).toBe(CheckResult.FAIL);
    expect(codes(t)).toEqual([ReasonCode.UNSIGNED_ANSWER]);
  });

  it("fails a commitment signed by another key (BAD_ANSWER_SIGNATURE)", () => {
    expect(codes(record({ signWith: OTHER_KEY, runSignWith: KEY }))).toEqual([
      ReasonCode.BAD_ANSWER_SIGNATURE,
    ]);
    // Signed under another domain (chain or registry): not the key's signature for this network.
    const t = record();
    const moved = { ...t, answer: { ...ANSWER, chainId: 1n } };
    expect(codes(moved)).toEqual([ReasonCode.BAD_ANSWER_SIGNATURE, ReasonCode.BAD_ANSWER_SIGNATURE]);
  });

  it("judges a provider without an answer key as before (transition)", () => {
    expect(evaluateTranscript(record({ signWith: null, answer: null }), params).result).toBe(
      CheckResult.PASS,
    );
    expect(evaluateTranscript(record({ signWith: OTHER_KEY, answer: null }), params).result).toBe(
      CheckResult.PASS,
    );
  });

  it("refuses a transcript whose MatmulRequest names another checker or epoch", () => {
    const t = record();
    const k = t.messages.findIndex((m) => m.type === T.MATMUL_REQUEST);
    const request = matmulRequestCodec.decode(Buffer.from(t.messages[k]!.payload.slice(2), "hex"));
    for (const other of [{ checker: PROVIDER }, { epoch: 8n }]) {
      const messages = [...t.messages];
      messages[k] = { ...messages[k]!, payload: hex(matmulRequestCodec.encode({ ...request, ...other })) };
      expect(() => evaluateTranscript({ ...t, messages }, params)).toThrow(/another epoch or checker/);
    }
  });

  it("encodes no answer key as zeros and refuses a zero key with a domain", () => {
    const t = record({ answer: null });
    expect(transcriptCodec.decode(transcriptCodec.encode(t))).toEqual(t);
    const half = { ...t, answer: { key: zeroAddress, chainId: 5n, verifyingContract: REGISTRY } };
    expect(() => transcriptCodec.decode(transcriptCodec.encode(half))).toThrow(DecodeError);
  });
});

describe("matmulFraudProofFromTranscript", () => {
  it("builds a valid proof from a signed run with a wrong opened row", () => {
    const t = record({ wrongRows: (n) => Array.from({ length: n }, (_, i) => i) });
    expect(codes(t)).toContain(ReasonCode.WRONG_ROW);
    const proof = matmulFraudProofFromTranscript(t, params);
    expect(proof).not.toBeNull();
    expect(proof!.j).toBe(5);
    expect(proof!.checker).toBe(CHECKER);
    const verdict = verifyMatmulFraudProof(proof!, { answerKey: ANSWER.key, domain: DOMAIN });
    expect(verdict.valid).toBe(true);
  });

  it("proves the first sampled entry of the first opened row when n is above the sample (n = 128)", () => {
    const n = 128;
    const t = record({ n, wholeRows: true, wrongRows: (m) => Array.from({ length: m }, (_, i) => i) });
    const commitMsg = t.messages.find((m) => m.type === T.MATMUL_COMMIT);
    const { root } = matmulCommitCodec.decode(hexToBytes(commitMsg!.payload));
    const sample = runSeeds(t.seed).sample;
    const first = sampleRows(sample, root, n, params.matmulSampledRows)[0] as number;
    expect(codes(t)).toEqual(Array(params.matmulSampledRows).fill(ReasonCode.WRONG_ROW));
    const proof = matmulFraudProofFromTranscript(t, params);
    // The entry verifyMatmul's rule finds: the smallest of the columns drawn for that row, not column 0.
    const column = sampleColumns(sample, root, n, first)[0];
    expect(proof).toMatchObject({ i: first, j: column });
    expect(verifyMatmulFraudProof(proof!, { answerKey: ANSWER.key, domain: DOMAIN }).valid).toBe(true);
  });

  it("finds none in an honest, unsigned, badly signed or keyless run", () => {
    const all = (n: number) => Array.from({ length: n }, (_, i) => i);
    expect(matmulFraudProofFromTranscript(record(), params)).toBeNull();
    expect(matmulFraudProofFromTranscript(record({ wrongRows: all, signWith: null }), params)).toBeNull();
    expect(
      matmulFraudProofFromTranscript(record({ wrongRows: all, signWith: OTHER_KEY }), params),
    ).toBeNull();
    expect(matmulFraudProofFromTranscript(record({ wrongRows: all, answer: null }), params)).toBeNull();
  });
});
