import { randomBytes } from "node:crypto";
import { ReasonCode } from "@checkernet/protocol/challenges/common";
import {
  evaluateTranscript,
  TranscriptMessageType,
  transcriptCodec,
} from "@checkernet/protocol/challenges/transcript";
import {
  answerKeyAddress,
  answersHash,
  signMatmulCommitment,
  signRunTranscript,
} from "@checkernet/protocol/fraud/answerSigning";
import {
  matmulFraudProofFromTranscript,
  vramFraudProofFromTranscript,
} from "@checkernet/protocol/fraud/fromTranscript";
import { verifyMatmulFraudProof } from "@checkernet/protocol/fraud/matmulFraud";
import { verifyVramFraudProof } from "@checkernet/protocol/fraud/vramFraud";
import { withParams } from "@checkernet/protocol/params";
import { ChallengeKind, CheckResult } from "@checkernet/protocol/types";
import { createLogger } from "@checkernet/runtime";
import { bytesToHex, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChallengeClient, type ChallengeTask } from "../../../src/challenges/client.ts";
import type { CheckerHost } from "../../../src/network/host.ts";
import { StaticProviderDirectory } from "../../../src/validation/providerDirectory.ts";
import { startChallengeServer } from "../../utils/challengeServer.ts";
import { randomAddress } from "../../utils/fixtures.ts";
import { loopbackHost } from "../../utils/hosts.ts";

const PARAMS = withParams({ pingCount: 4, pingIntervalMs: 20, pingTimeoutMs: 400, matmulSampledRows: 4 });
const KEY: Hex = `0x${"6a".repeat(32)}`;
const PROVIDER = randomAddress();
const DOMAIN = { chainId: 31337n, verifyingContract: randomAddress() };
const ANSWER = { key: answerKeyAddress(KEY), ...DOMAIN };

const hosts: CheckerHost[] = [];
const servers: Record<"signed" | "unsigned" | "wrongSigned" | "wrongVram", CheckerHost> = {} as never;
let client: ChallengeClient;

function task(answer: boolean): ChallengeTask {
  return {
    epoch: 9n,
    provider: PROVIDER,
    checker: randomAddress(),
    kind: ChallengeKind.MATMUL,
    seed: bytesToHex(randomBytes(32)),
    classId: 1,
    claimedRegion: 0,
    matmulN: 32,
    ...(answer ? { answerKey: ANSWER } : {}),
  };
}
const target = (name: keyof typeof servers) => ({ peer: servers[name].getMultiaddrs()[0]! });

beforeAll(async () => {
  const newHost = async () => {
    const h = await loopbackHost();
    hosts.push(h);
    return h;
  };
  client = new ChallengeClient(
    { host: await newHost(), logger: createLogger({ level: "silent", pretty: false }) },
    { params: PARAMS, checkerRegion: 0 },
  );
  const signer = {
    sign: (
      req: { seed: Hex; n: number; classId: number; epoch: bigint; checker: `0x${string}` },
      root: Hex,
    ) => signMatmulCommitment(KEY, DOMAIN, { ...req, provider: PROVIDER, root }),
    signRun: (
      run: { epoch: bigint; checker: `0x${string}`; seed: Hex },
      messages: Parameters<typeof answersHash>[0],
    ) => signRunTranscript(KEY, DOMAIN, { ...run, provider: PROVIDER, answersHash: answersHash(messages) }),
  };
  servers.signed = await newHost();
  await startChallengeServer(servers.signed, "honest", signer);
  servers.unsigned = await newHost();
  await startChallengeServer(servers.unsigned, "honest");
  servers.wrongSigned = await newHost();
  await startChallengeServer(servers.wrongSigned, "wrong-product", signer);
  servers.wrongVram = await newHost();
  await startChallengeServer(servers.wrongVram, "wrong-row", signer);
});

afterAll(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
});

describe("ChallengeClient: the provider's answer key", () => {
  it("PASSes a commitment signed by the answer key; the key goes into the transcript header", async () => {
    const run = await client.run(target("signed"), task(true));
    expect(run.outcome.reasons).toEqual([]);
    expect(run.outcome.result).toBe(CheckResult.PASS);
    expect(run.transcript.answer).toEqual(ANSWER);
    expect(evaluateTranscript(transcriptCodec.decode(run.encodedTranscript), PARAMS)).toEqual(run.outcome);
  });

  it("FAILs an unsigned commitment of a provider with an answer key (UNSIGNED_ANSWER)", async () => {
    const run = await client.run(target("unsigned"), task(true));
    expect(run.outcome.result).toBe(CheckResult.FAIL);
    // Neither the run (RUN_SIGN goes unanswered) nor the commitment is signed.
    expect(run.outcome.reasons.map((r) => r.code)).toEqual([
      ReasonCode.UNSIGNED_ANSWER,
      ReasonCode.UNSIGNED_ANSWER,
    ]);
    expect(run.transcript.messages.some((m) => m.type === TranscriptMessageType.RUN_SIGNATURE)).toBe(false);
  });

  it("records the provider's run signature after the rows, and a signed wrong walk yields a VRAM fraud proof", async () => {
    const signed = await client.run(target("signed"), task(true));
    expect(signed.transcript.messages.at(-1)?.type).toBe(TranscriptMessageType.RUN_SIGNATURE);
    const vramTask: ChallengeTask = {
      ...task(true),
      kind: ChallengeKind.VRAM,
      vram: { datasetSeed: `0x${"71".repeat(32)}`, blockSize: 4096, blockCount: 8, steps: 8 },
    };
    const run = await client.run(target("wrongVram"), vramTask);
    expect(run.outcome.reasons.map((r) => r.code)).toContain(ReasonCode.WRONG_DIGEST);
    expect(run.outcome.reasons.map((r) => r.code)).not.toContain(ReasonCode.BAD_ANSWER_SIGNATURE);
    const proof = vramFraudProofFromTranscript(run.transcript);
    expect(proof?.step).toBe(0);
    expect(verifyVramFraudProof(proof!, { answerKey: ANSWER.key, domain: DOMAIN }).valid).toBe(true);
  });

  it("judges a provider without an answer key as before", async () => {
    const run = await client.run(target("unsigned"), task(false));
    expect(run.outcome.result).toBe(CheckResult.PASS);
    expect(run.transcript.answer).toBeUndefined();
  });

  it("a signed wrong product FAILs on WRONG_ROW and the transcript yields a valid fraud proof", async () => {
    const t = task(true);
    const run = await client.run(target("wrongSigned"), t);
    expect(run.outcome.reasons.map((r) => r.code)).toContain(ReasonCode.WRONG_ROW);
    const proof = matmulFraudProofFromTranscript(run.transcript, PARAMS);
    expect(proof).not.toBeNull();
    expect(proof!.checker).toBe(t.checker);
    expect(proof!.epoch).toBe(9n);
    expect(verifyMatmulFraudProof(proof!, { answerKey: ANSWER.key, domain: DOMAIN }).valid).toBe(true);
  });

  it("a static directory answers answerKeyAt from its records", async () => {
    const record = {
      address: PROVIDER,
      peerId: "x",
      multiaddrs: [],
      classId: 1,
      region: 0,
      vramBytes: 0,
      vramSalt: `0x${"00".repeat(32)}` as Hex,
    };
    const dir = new StaticProviderDirectory([{ ...record, answer: ANSWER }]);
    expect(await dir.answerKeyAt(PROVIDER)).toEqual(ANSWER);
    expect(await new StaticProviderDirectory([record]).answerKeyAt(PROVIDER)).toBeUndefined();
  });
});
