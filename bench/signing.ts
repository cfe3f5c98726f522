import { keccak_256 } from "@noble/hashes/sha3.js";
import { type Address, bytesToHex, type Hex } from "viem";
import { challengeSizesFor } from "../packages/protocol/src/challenges/gpu-classes.ts";
import { pingSchedule } from "../packages/protocol/src/challenges/latency.ts";
import {
  commitRows,
  generateMatmul,
  matmulCommitCodec,
  matmulOpenCodec,
  matmulRequestCodec,
  matmulRowsCodec,
  openRows,
  sampleRows,
  solveMatmulRows,
} from "../packages/protocol/src/challenges/matmul.ts";
import { runSignedMessages } from "../packages/protocol/src/challenges/run-signature.ts";
import { runSeeds, TranscriptMessageType as T } from "../packages/protocol/src/challenges/transcript.ts";
import {
  answerVram,
  generateVramBlock,
  vramRequestCodec,
  vramResponseCodec,
} from "../packages/protocol/src/challenges/vram.ts";
import {
  type AnswerMessage,
  answersHash,
  signMatmulCommitment,
  signRunTranscript,
} from "../packages/protocol/src/fraud/answerSigning.ts";
import type { ProtocolParams } from "../packages/protocol/src/params.ts";

/**
 * The provider's signing cost per run (issue 11): one EIP-712 RunTranscript
 * signature (answersHash over the run's pings and workload messages, then
 * the ECDSA signature) plus one MatmulCommitment signature, against the
 * provider's work for that run (matmul: generate, product, commit, open;
 * VRAM: the walk over resident blocks), at the CPU reference's sizes and at
 * n = 1024. Signing is timed as the median of SIGN_REPS runs.
 */
const SIGN_REPS = 50;
const KEY: Hex = bytesToHex(keccak_256(new TextEncoder().encode("bench answer key")));
const DOMAIN = {
  chainId: 31337n,
  verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as Address,
};
const PROVIDER: Address = "0x1111111111111111111111111111111111111111";
const CHECKER: Address = "0x2222222222222222222222222222222222222222";
const SEED: Hex = bytesToHex(keccak_256(new TextEncoder().encode("bench signing run seed")));

export interface SigningRow {
  run: string;
  /** The provider's work for the run, ms (wall). */
  workMs: number;
  /** answersHash over the run's messages + RunTranscript signature, ms (median). */
  runSignatureMs: number;
  /** MatmulCommitment signature, ms (median); 0 for a VRAM run. */
  commitmentSignatureMs: number;
  /** Bytes answersHash covers. */
  signedBytes: number;
  /** (run + commitment signature) / work. */
  share: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function timed(fn: () => unknown): number {
  const out: number[] = [];
  for (let k = 0; k < SIGN_REPS; k++) {
    const t0 = performance.now();
    fn();
    out.push(performance.now() - t0);
  }
  return median(out);
}

function pingMessages(params: ProtocolParams): AnswerMessage[] {
  const latency = runSeeds(SEED).latency;
  const seqs = pingSchedule(latency, params).map((p) => p.seq);
  // Every ping answered: the same PING and echo PONG bytes the provider rebuilds (runSignedMessages).
  return runSignedMessages(latency, seqs, []);
}

function signRun(messages: AnswerMessage[]): Hex {
  return signRunTranscript(KEY, DOMAIN, {
    epoch: 7n,
    provider: PROVIDER,
    checker: CHECKER,
    seed: SEED,
    answersHash: answersHash(messages),
  });
}

const size = (ms: AnswerMessage[]) =>
  ms.reduce((s, m) => s + (typeof m.payload === "string" ? (m.payload.length - 2) / 2 : m.payload.length), 0);

function matmulRun(label: string, n: number, params: ProtocolParams): SigningRow {
  const seed = runSeeds(SEED).matmul;
  const t0 = performance.now();
  const { a, b } = generateMatmul(seed, n);
  const c = solveMatmulRows(a, b, n, 0, n);
  const { root, tree } = commitRows(c, n);
  const rows = sampleRows(runSeeds(SEED).sample, root, n, params.matmulSampledRows);
  const opened = openRows(tree, c, rows);
  const workMs = performance.now() - t0;
  const request = { seed, n, classId: 0, epoch: 7n, checker: CHECKER };
  const commitment = { ...request, provider: PROVIDER, root };
  const signature = signMatmulCommitment(KEY, DOMAIN, commitment);
  const messages = [
    ...pingMessages(params),
    { type: T.MATMUL_REQUEST, payload: matmulRequestCodec.encode(request) },
    { type: T.MATMUL_COMMIT, payload: matmulCommitCodec.encode({ root, elapsedMs: 0, signature }) },
    { type: T.MATMUL_OPEN, payload: matmulOpenCodec(n, rows.length).encode({ rows }) },
    { type: T.MATMUL_ROWS, payload: matmulRowsCodec(n, rows.length).encode(opened) },
  ];
  const runSignatureMs = timed(() => signRun(messages));
  const commitmentSignatureMs = timed(() => signMatmulCommitment(KEY, DOMAIN, commitment));
  return {
    run: label,
    workMs,
    runSignatureMs,
    commitmentSignatureMs,
    signedBytes: size(messages),
    share: (runSignatureMs + commitmentSignatureMs) / workMs,
  };
}

function vramRun(steps: number, params: ProtocolParams): SigningRow {
  const blockSize = params.vramBlockSize;
  const request = { seed: SEED, blockSize, blockCount: 64, nonce: runSeeds(SEED).vramNonce, steps };
  const resident = new Map<number, Uint8Array>();
  const getBlock = (i: number) => {
    const b = resident.get(i) ?? generateVramBlock(SEED, i, blockSize);
    resident.set(i, b);
    return b;
  };
  answerVram(request, getBlock); // makes the visited blocks resident, untimed
  const t0 = performance.now();
  const response = answerVram(request, getBlock);
  const workMs = performance.now() - t0;
  const messages = [
    ...pingMessages(params),
    { type: T.VRAM_REQUEST, payload: vramRequestCodec.encode(request) },
    { type: T.VRAM_RESPONSE, payload: vramResponseCodec.encode(response) },
  ];
  const runSignatureMs = timed(() => signRun(messages));
  return {
    run: `vram ${steps} steps × ${blockSize / 1024} KiB`,
    workMs,
    runSignatureMs,
    commitmentSignatureMs: 0,
    signedBytes: size(messages),
    share: runSignatureMs / workMs,
  };
}

/** The signing rows: CPU reference matmul and VRAM walk, then matmul at n = 1024. */
export function benchSigning(params: ProtocolParams): SigningRow[] {
  const cpu = challengeSizesFor("cpu-reference", params);
  signRun(pingMessages(params)); // warm-up
  return [
    matmulRun(`matmul n = ${cpu.matmulN} (cpu-reference)`, cpu.matmulN, params),
    vramRun(cpu.vramWalkSteps, params),
    matmulRun("matmul n = 1024", 1024, params),
  ];
}

export function printSigning(rows: SigningRow[]): void {
  console.log("\nprovider signing per run (RunTranscript + MatmulCommitment) vs its work, JavaScript");
  console.table(
    rows.map((s) => ({
      run: s.run,
      "work ms": Number(s.workMs.toFixed(1)),
      "run signature ms": Number(s.runSignatureMs.toFixed(2)),
      "commitment signature ms": Number(s.commitmentSignatureMs.toFixed(2)),
      "signed bytes": s.signedBytes,
      "share %": Number((100 * s.share).toFixed(2)),
    })),
  );
}
