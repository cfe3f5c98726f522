import { keccak_256 } from "@noble/hashes/sha3.js";
import { type Address, bytesToHex, getAddress, type Hex, hexToBytes, isAddress, zeroAddress } from "viem";
import { type Codec, checkRange, defineCodec } from "../encoding/codec.ts";
import { DecodeError, DecodeErrorCode, ProtocolError } from "../errors.ts";
import type { AnswerMessage } from "../fraud/answerSigning.ts";
import { DEFAULT_PARAMS, type ProtocolParams } from "../params.ts";
import { ChallengeKind, type CheckResult } from "../types.ts";
import {
  type Bytes32Like,
  bytes32,
  ChallengeError,
  ChallengeErrorCode,
  combineResults,
  concatBytes,
  type Reason,
  ReasonCode,
  u64be,
} from "./common.ts";
import { isGpuClassCode } from "./gpu-classes.ts";
import {
  type Ping,
  pingCodec,
  pingSchedule,
  pongCodec,
  type ReceivedPong,
  verifyLatency,
} from "./latency.ts";
import {
  type MatmulCommit,
  type MatmulRows,
  matmulCommitCodec,
  matmulOpenCodec,
  matmulRequestCodec,
  matmulRowsCodec,
  openedRowCount,
  sampleRows,
  verifyMatmul,
} from "./matmul.ts";
import type { AnswerKeyCheck } from "./matmul-signature.ts";
import { deriveKey } from "./prng.ts";
import { regionByCode } from "./regions.ts";
import { runSignatureReason, runSignedMessages } from "./run-signature.ts";
import { type VramResponse, verifyVram, vramRequestCodec, vramResponseCodec } from "./vram.ts";

/**
 * The record of one checker's challenge run against one provider: every
 * message either side sent, with the checker's receive/send time. Its hash
 * goes into Attestation.transcriptHash and the transcript itself is kept as
 * evidence: `evaluateTranscript` re-applies every rule to it, so anyone
 * holding it (a contest re-check, an auditor) reaches the same result.
 *
 * All the checker's randomness derives from one secret `seed` (runSeeds),
 * revealed only here, after the run: the provider learns each derived value
 * when the message carrying it arrives and never the ones still to come.
 */

/** Message types of a transcript; the wire value is the uint8. Requests go checker → provider. */
export const TranscriptMessageType = {
  PING: 1,
  PONG: 2,
  MATMUL_REQUEST: 3,
  MATMUL_COMMIT: 4,
  MATMUL_OPEN: 5,
  MATMUL_ROWS: 6,
  VRAM_REQUEST: 7,
  VRAM_RESPONSE: 8,
  /** The provider's 65-byte RunTranscript signature, asked for after the workload's last answer (run-signature.ts). */
  RUN_SIGNATURE: 9,
} as const;
export type TranscriptMessageType = (typeof TranscriptMessageType)[keyof typeof TranscriptMessageType];

export interface TranscriptMessage {
  type: TranscriptMessageType;
  /** Microseconds since the run started on the checker's monotonic clock (send time or receive time). */
  atUs: number;
  /** The message's canonical encoding (its codec), exactly as sent or received. */
  payload: Hex;
}

export interface ChallengeTranscript {
  /** Format version, 1. */
  version: number;
  epoch: bigint;
  provider: Address;
  checker: Address;
  /** The epoch's workload (challengeKindForEpoch); LATENCY for a pings-only run. */
  kind: ChallengeKind;
  /** Region codes (regions.ts). */
  checkerRegion: number;
  claimedRegion: number;
  /** The provider's claimed GPU class code (gpu-classes.ts). */
  classId: number;
  /** The checker's secret run seed, revealed by the transcript. */
  seed: Hex;
  /**
   * The provider's answer key the checker read for this epoch
   * (ProviderRegistry.answerKeyAt) and the EIP-712 domain it signs under;
   * absent when the provider had none (then no signature rule applies). A
   * re-evaluator checks the key against the registry before trusting the record.
   */
  answer?: TranscriptAnswerKey;
  /** In recorded order; atUs never decreases. */
  messages: TranscriptMessage[];
}

export interface TranscriptAnswerKey {
  key: Address;
  chainId: bigint;
  /** The ProviderRegistry: the domain's verifyingContract. */
  verifyingContract: Address;
}

/** 2 since issue 11: the answer key in the header, the checker and epoch in MatmulRequest, the signature in MatmulCommit. */
export const TRANSCRIPT_VERSION = 2;
/** Largest encoded transcript: an n = 8192 opening of 64 rows is ~2.1 MB; 8 MiB leaves room for everything else. */
export const TRANSCRIPT_MAX_BYTES = 8 * 2 ** 20;
/** Largest number of messages in one transcript. */
export const TRANSCRIPT_MAX_MESSAGES = 4096;

const utf8 = new TextEncoder();
const KIND_TAG = keccak_256(utf8.encode("checkernet.v1.challenge.kind"));

/**
 * The values one run derives from its secret seed:
 * latency (ping nonces and timing), matmul (the MatmulRequest seed), sample
 * (row and step sampling after the provider answered), vramNonce (nonce_0).
 */
export function runSeeds(seed: Bytes32Like): { latency: Hex; matmul: Hex; sample: Hex; vramNonce: Hex } {
  return {
    latency: bytesToHex(deriveKey(seed, "run.latency")),
    matmul: bytesToHex(deriveKey(seed, "run.matmul")),
    sample: bytesToHex(deriveKey(seed, "run.sample")),
    vramNonce: bytesToHex(deriveKey(seed, "run.vram.nonce")),
  };
}

/**
 * The workload of (epoch, provider): MATMUL when
 * uint64be(keccak256(KIND_TAG ‖ epochSeed ‖ provider ‖ uint64be(epoch))[0..8]) mod 10000 < matmulShareBps,
 * else VRAM. Latency pings run in every epoch whatever this says. Every
 * checker on the committee computes the same kind, and the provider cannot
 * pick it: the epoch seed comes from the chain.
 */
export function challengeKindForEpoch(
  seed: Bytes32Like,
  provider: Address,
  epoch: bigint,
  params: Pick<ProtocolParams, "matmulShareBps"> = DEFAULT_PARAMS,
): ChallengeKind {
  if (!isAddress(provider, { strict: false })) {
    throw new ChallengeError(ChallengeErrorCode.INVALID_ARGUMENT, "provider must be an address", {
      provider,
    });
  }
  const h = keccak_256(
    concatBytes(KIND_TAG, bytes32(seed, "epoch seed"), hexToBytes(provider), u64be(epoch)),
  );
  const x = new DataView(h.buffer, h.byteOffset, 8).getBigUint64(0, false) % 10_000n;
  return x < BigInt(params.matmulShareBps) ? ChallengeKind.MATMUL : ChallengeKind.VRAM;
}

const UINT64_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * `abi.encode((uint8 version, uint64 epoch, address provider, address checker, uint8 kind,
 * uint8 checkerRegion, uint8 claimedRegion, uint16 classId, bytes32 seed,
 * address answerKey, uint64 answerChainId, address answerRegistry,
 * (uint8 type, uint64 atUs, bytes payload)[] messages))`; no answer key is
 * the zero address with chain id 0 and the zero registry.
 */
export const transcriptCodec: Codec<ChallengeTranscript> = defineCodec({
  name: "ChallengeTranscript",
  maxBytes: TRANSCRIPT_MAX_BYTES,
  abi: [
    {
      type: "tuple",
      components: [
        { name: "version", type: "uint8" },
        { name: "epoch", type: "uint64" },
        { name: "provider", type: "address" },
        { name: "checker", type: "address" },
        { name: "kind", type: "uint8" },
        { name: "checkerRegion", type: "uint8" },
        { name: "claimedRegion", type: "uint8" },
        { name: "classId", type: "uint16" },
        { name: "seed", type: "bytes32" },
        { name: "answerKey", type: "address" },
        { name: "answerChainId", type: "uint64" },
        { name: "answerRegistry", type: "address" },
        {
          name: "messages",
          type: "tuple[]",
          components: [
            { name: "type", type: "uint8" },
            { name: "atUs", type: "uint64" },
            { name: "payload", type: "bytes" },
          ],
        },
      ],
    },
  ] as const,
  toAbi: ({ answer, ...t }: ChallengeTranscript) =>
    [
      {
        ...t,
        answerKey: answer?.key ?? zeroAddress,
        answerChainId: answer?.chainId ?? 0n,
        answerRegistry: answer?.verifyingContract ?? zeroAddress,
        messages: t.messages.map((m) => ({ type: m.type, atUs: BigInt(m.atUs), payload: m.payload })),
      },
    ] as const,
  fromAbi: ([f]) => {
    const name = "ChallengeTranscript";
    checkRange(name, "version", f.version, TRANSCRIPT_VERSION, TRANSCRIPT_VERSION);
    checkRange(name, "kind", f.kind, 0, 2);
    checkKnown(name, "checkerRegion", f.checkerRegion, (c) => regionKnown(c));
    checkKnown(name, "claimedRegion", f.claimedRegion, (c) => regionKnown(c));
    checkKnown(name, "classId", f.classId, isGpuClassCode);
    checkRange(name, "messages.length", f.messages.length, 0, TRANSCRIPT_MAX_MESSAGES);
    let last = 0n;
    const messages = f.messages.map((m, k) => {
      checkRange(name, `messages[${k}].type`, m.type, 1, 9);
      checkRange(name, `messages[${k}].atUs`, m.atUs, last, UINT64_SAFE);
      last = m.atUs;
      return { type: m.type as TranscriptMessageType, atUs: Number(m.atUs), payload: m.payload };
    });
    return {
      version: f.version,
      epoch: f.epoch,
      provider: getAddress(f.provider),
      checker: getAddress(f.checker),
      kind: f.kind as ChallengeKind,
      checkerRegion: f.checkerRegion,
      claimedRegion: f.claimedRegion,
      classId: f.classId,
      seed: f.seed,
      // No key is all zeros; the codec's re-encode check refuses a zero key with a chain id or registry.
      ...(f.answerKey === zeroAddress
        ? {}
        : {
            answer: {
              key: getAddress(f.answerKey),
              chainId: f.answerChainId,
              verifyingContract: getAddress(f.answerRegistry),
            },
          }),
      messages,
    };
  },
});

function regionKnown(code: number): boolean {
  try {
    regionByCode(code);
    return true;
  } catch {
    return false;
  }
}

function checkKnown(codec: string, field: string, value: number, known: (v: number) => boolean): void {
  if (!known(value)) {
    throw new DecodeError(DecodeErrorCode.OUT_OF_RANGE, `${codec}.${field} is not a known code`, {
      field,
      value: String(value),
    });
  }
}

/** keccak256 of the transcript's canonical encoding: the Attestation.transcriptHash. */
export function transcriptHash(transcript: ChallengeTranscript): Hex {
  return bytesToHex(keccak_256(transcriptCodec.encode(transcript)));
}

export interface RunOutcome {
  result: CheckResult;
  reasons: Reason[];
  kind: ChallengeKind;
  p50Us: number;
  p95Us: number;
  /** MAC/s for MATMUL runs, 0 otherwise. */
  throughput: bigint;
}

/**
 * Re-applies every rule to a transcript and returns what the attestation
 * must say. Provider messages that do not decode FAIL (`MALFORMED_MESSAGE`; one
 * shorter than an ABI word, the recorded head of a frame that broke the framing,
 * `PROTOCOL_VIOLATION`);
 * checker messages that do not follow from the run seed, a missing request,
 * or a pong before its ping make the transcript itself invalid
 * (ChallengeError INVALID_TRANSCRIPT), since no honest checker records one.
 *
 * Timings: a ping's RTT is its pong's atUs minus its own (pongs later than
 * pingTimeoutMs count as lost); the matmul measure is commit − request and the
 * VRAM one response − request; the network allowance uses the run's p50.
 */
export function evaluateTranscript(transcript: ChallengeTranscript, params: ProtocolParams): RunOutcome {
  const seeds = runSeeds(transcript.seed);
  const byType = (type: TranscriptMessageType) => transcript.messages.filter((m) => m.type === type);
  const fails: Reason[] = [];

  // --- latency (every run)
  const schedule = pingSchedule(seeds.latency, params);
  // Every scheduled ping belongs to the run: one the checker could not send (the stream was down) is lost,
  // so a lenient checker cannot drop unanswered pings from the record.
  const pings: Ping[] = schedule.map(({ seq, nonce }) => ({ seq, nonce }));
  const sentAt = new Map<number, number>();
  for (const m of byType(TranscriptMessageType.PING)) {
    const ping = decodeCheckerMessage(() => pingCodec.decode(hexToBytes(m.payload)), "Ping");
    const scheduled = schedule[ping.seq];
    if (!scheduled || scheduled.nonce !== ping.nonce.toLowerCase() || sentAt.has(ping.seq)) {
      invalid(`ping ${ping.seq} does not follow from the run seed or was recorded twice`);
    }
    sentAt.set(ping.seq, m.atUs);
  }
  const pongs: ReceivedPong[] = [];
  for (const m of byType(TranscriptMessageType.PONG)) {
    const pong = decodeProviderMessage(m.payload, (b) => pongCodec.decode(b), "Pong", fails);
    if (!pong) continue;
    const at = sentAt.get(pong.seq);
    if (at === undefined) {
      // verifyLatency turns a pong for a seq outside the schedule into UNSOLICITED_PONG; one for a
      // scheduled ping that was never sent cannot exist in an honest record.
      if (schedule[pong.seq] !== undefined) invalid(`pong ${pong.seq} recorded for a ping never sent`);
      pongs.push({ ...pong, rttUs: 0 });
      continue;
    }
    if (m.atUs < at) invalid(`pong ${pong.seq} recorded before its ping`);
    const rttUs = m.atUs - at;
    if (rttUs > params.pingTimeoutMs * 1000) continue;
    pongs.push({ ...pong, rttUs });
  }
  const latency = verifyLatency({
    pings,
    pongs,
    checkerRegion: regionByCode(transcript.checkerRegion),
    claimedRegion: regionByCode(transcript.claimedRegion),
    params,
  });
  const networkRttMs = latency.p50Us / 1000;
  const reasons: Reason[] = [...latency.reasons];
  let throughput = 0n;

  // --- the epoch's workload
  if (transcript.kind === ChallengeKind.MATMUL) {
    const requestMsg = onlyRequest(TranscriptMessageType.MATMUL_REQUEST, [
      TranscriptMessageType.MATMUL_COMMIT,
      TranscriptMessageType.MATMUL_OPEN,
      TranscriptMessageType.MATMUL_ROWS,
    ]);
    if (!requestMsg) {
      reasons.push({ code: ReasonCode.NO_COMMITMENT, message: "the MatmulRequest could not be sent" });
      return finish();
    }
    const request = decodeCheckerMessage(
      () => matmulRequestCodec.decode(hexToBytes(requestMsg.payload)),
      "MatmulRequest",
    );
    if (request.seed !== seeds.matmul || request.classId !== transcript.classId) {
      invalid("the MatmulRequest does not follow from the run seed and the claimed class");
    }
    if (request.epoch !== transcript.epoch || request.checker !== getAddress(transcript.checker)) {
      invalid("the MatmulRequest names another epoch or checker than the transcript");
    }
    const n = request.n;
    const count = openedRowCount(n, params);
    const commitMsg = byType(TranscriptMessageType.MATMUL_COMMIT)[0];
    const commitment: MatmulCommit | null = commitMsg
      ? decodeProviderMessage(commitMsg.payload, (b) => matmulCommitCodec.decode(b), "MatmulCommit", fails)
      : null;
    let requestedRows: number[] = [];
    let openings: MatmulRows | null = null;
    if (commitment) {
      requestedRows = sampleRows(seeds.sample, commitment.root, n, count);
      const openMsg = byType(TranscriptMessageType.MATMUL_OPEN)[0];
      if (!openMsg) invalid("a MatmulCommit must be followed by the checker's MatmulOpen");
      const open = decodeCheckerMessage(
        () => matmulOpenCodec(n, Math.max(count, 1)).decode(hexToBytes(openMsg.payload)),
        "MatmulOpen",
      );
      if (open.rows.join(",") !== requestedRows.join(","))
        invalid("the MatmulOpen rows do not follow from the run seed");
      const rowsMsg = byType(TranscriptMessageType.MATMUL_ROWS)[0];
      openings = rowsMsg
        ? decodeProviderMessage(
            rowsMsg.payload,
            (b) => matmulRowsCodec(n, count).decode(b),
            "MatmulRows",
            fails,
          )
        : null;
    }
    // A provider message that did not decode is already a FAIL (MALFORMED_MESSAGE, PROTOCOL_VIOLATION); only what did decode is judged.
    if (!commitMsg || commitment) {
      const rowsUndecodable =
        commitment !== null && openings === null && byType(TranscriptMessageType.MATMUL_ROWS).length > 0;
      const outcome = verifyMatmul({
        seed: request.seed,
        n,
        classId: request.classId,
        commitment,
        requestedRows,
        randomness: seeds.sample,
        openings,
        measuredMs: commitMsg ? (commitMsg.atUs - requestMsg.atUs) / 1000 : 0,
        networkRttMs,
        params,
        ...(transcript.answer === undefined
          ? {}
          : { answerKey: answerKeyCheck(transcript, transcript.answer) }),
      });
      reasons.push(...outcome.reasons.filter((r) => !(rowsUndecodable && r.code === ReasonCode.NO_OPENINGS)));
      throughput = outcome.throughput;
    }
  } else if (transcript.kind === ChallengeKind.VRAM) {
    const requestMsg = onlyRequest(TranscriptMessageType.VRAM_REQUEST, [TranscriptMessageType.VRAM_RESPONSE]);
    if (!requestMsg) {
      reasons.push({ code: ReasonCode.NO_RESPONSE, message: "the VramRequest could not be sent" });
      return finish();
    }
    const request = decodeCheckerMessage(
      () => vramRequestCodec.decode(hexToBytes(requestMsg.payload)),
      "VramRequest",
    );
    if (request.nonce !== seeds.vramNonce) invalid("the VramRequest nonce does not follow from the run seed");
    const responseMsg = byType(TranscriptMessageType.VRAM_RESPONSE)[0];
    const response: VramResponse | null = responseMsg
      ? decodeProviderMessage(responseMsg.payload, (b) => vramResponseCodec.decode(b), "VramResponse", fails)
      : null;
    if (!responseMsg || response) {
      const outcome = verifyVram({
        request,
        response,
        randomness: seeds.sample,
        classId: transcript.classId,
        measuredMs: responseMsg ? (responseMsg.atUs - requestMsg.atUs) / 1000 : 0,
        networkRttMs,
        params,
      });
      reasons.push(...outcome.reasons);
    }
  }
  runSignatureRule();
  return finish();

  /**
   * With an answer key in the header, a run whose workload got its last answer (MatmulRows, VramResponse)
   * must carry the answer key's RunTranscript signature over its signed messages (runTranscriptAnswers).
   */
  function runSignatureRule(): void {
    const answer = transcript.answer;
    if (answer === undefined) return;
    const last =
      transcript.kind === ChallengeKind.MATMUL
        ? TranscriptMessageType.MATMUL_ROWS
        : transcript.kind === ChallengeKind.VRAM
          ? TranscriptMessageType.VRAM_RESPONSE
          : undefined;
    const signatures = byType(TranscriptMessageType.RUN_SIGNATURE);
    if (signatures.length > 1) invalid("a run records one run signature");
    if (last === undefined || byType(last).length === 0) {
      if (signatures.length > 0) invalid("a run signature is recorded without the workload's last answer");
      return;
    }
    const reason = runSignatureReason(
      answerKeyCheck(transcript, answer),
      transcript.seed,
      runTranscriptAnswers(transcript),
      signatures[0]?.payload,
    );
    if (reason !== null) fails.push(reason);
  }

  function finish(): RunOutcome {
    // The verifiers' results follow from their reasons (combineResults): the run's follows from all of them.
    const all = [...fails, ...reasons];
    return {
      result: combineResults(all),
      reasons: all,
      kind: transcript.kind,
      p50Us: latency.p50Us,
      p95Us: latency.p95Us,
      throughput,
    };
  }

  /** The run's one request of this type, or null when none was sent (then no answer may be recorded either). */
  function onlyRequest(
    type: TranscriptMessageType,
    answers: TranscriptMessageType[],
  ): TranscriptMessage | null {
    const [first, ...extra] = byType(type);
    if (extra.length > 0) invalid("a run sends its workload request once");
    if (!first && answers.some((a) => byType(a).length > 0))
      invalid("an answer is recorded without its request");
    return first ?? null;
  }
}

/**
 * The messages a run's RunTranscript signature covers (docs/protocol/fraud-proofs.md, answersHash): each
 * ping whose pong was recorded as an exact echo of a recorded ping, in ascending seq (PING, PONG), then
 * the workload messages (types 3 to 8) in recorded order. Late pongs count as received; pongs never
 * received are left out, so a lost ping does not make the run unsignable.
 */
export function runTranscriptAnswers(transcript: ChallengeTranscript): AnswerMessage[] {
  return runSignedMessages(
    runSeeds(transcript.seed).latency,
    receivedPongs(transcript),
    workloadMessages(transcript),
  );
}

/** Seqs, ascending, of the pings whose pong the transcript records as an exact echo (what RUN_SIGN names). */
export function receivedPongs(transcript: ChallengeTranscript): number[] {
  const pings = new Set(
    transcript.messages
      .filter((m) => m.type === TranscriptMessageType.PING)
      .map((m) => m.payload.toLowerCase()),
  );
  const seqs = new Set<number>();
  for (const m of transcript.messages) {
    if (m.type !== TranscriptMessageType.PONG) continue;
    try {
      const pong = pongCodec.decode(hexToBytes(m.payload));
      const echo = bytesToHex(pingCodec.encode(pong));
      if (pings.has(echo.toLowerCase())) seqs.add(pong.seq);
    } catch {
      // an undecodable pong answered nothing
    }
  }
  return [...seqs].sort((a, b) => a - b);
}

/** The workload stream's messages (MatmulRequest to MatmulRows, VramRequest and VramResponse) in recorded order. */
export function workloadMessages(transcript: ChallengeTranscript): AnswerMessage[] {
  return transcript.messages
    .filter(
      (m) => m.type >= TranscriptMessageType.MATMUL_REQUEST && m.type <= TranscriptMessageType.VRAM_RESPONSE,
    )
    .map((m) => ({ type: m.type, payload: m.payload }));
}

function answerKeyCheck(t: ChallengeTranscript, answer: TranscriptAnswerKey): AnswerKeyCheck {
  return {
    key: answer.key,
    domain: { chainId: answer.chainId, verifyingContract: answer.verifyingContract },
    epoch: t.epoch,
    provider: t.provider,
    checker: t.checker,
  };
}

function invalid(why: string): never {
  throw new ChallengeError(ChallengeErrorCode.INVALID_TRANSCRIPT, `invalid transcript: ${why}`, { why });
}

function decodeCheckerMessage<T>(decode: () => T, what: string): T {
  try {
    return decode();
  } catch (cause) {
    if (cause instanceof ProtocolError) invalid(`the checker's ${what} does not decode (${cause.code})`);
    throw cause;
  }
}

/** Every ABI encoding is whole 32-byte words: a provider message shorter than one broke the framing. */
function decodeProviderMessage<T>(payload: Hex, decode: (b: Uint8Array) => T, what: string, fails: Reason[]) {
  const bytes = hexToBytes(payload);
  const violation = bytes.length < 32;
  try {
    if (!violation) return decode(bytes);
  } catch (cause) {
    if (!(cause instanceof ProtocolError)) throw cause;
    fails.push({
      code: ReasonCode.MALFORMED_MESSAGE,
      message: `the provider's ${what} does not decode: ${cause.message}`,
    });
    return null;
  }
  const message = `the provider sent ${bytes.length} byte(s) in place of its ${what}: a frame that broke the protocol`;
  fails.push({ code: ReasonCode.PROTOCOL_VIOLATION, message });
  return null;
}
