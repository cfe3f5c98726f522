import { keccak_256 } from "@noble/hashes/sha3.js";
import fc from "fast-check";
import { type Address, bytesToHex, type Hex, hexToBytes } from "viem";
import { describe, expect, it } from "vitest";
import { ChallengeError, ChallengeErrorCode, ReasonCode } from "../../src/challenges/common.ts";
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
  sampleRows,
  solveMatmul,
} from "../../src/challenges/matmul.ts";
import { ownStallsCouldExplain, withoutOwnStalls } from "../../src/challenges/ownStalls.ts";
import { regionById } from "../../src/challenges/regions.ts";
import {
  type ChallengeTranscript,
  challengeKindForEpoch,
  evaluateTranscript,
  runSeeds,
  TranscriptMessageType as T,
  TRANSCRIPT_VERSION,
  type TranscriptMessage,
  transcriptCodec,
  transcriptHash,
} from "../../src/challenges/transcript.ts";
import {
  answerVram,
  generateVramBlock,
  vramDatasetSeed,
  vramRequestCodec,
  vramResponseCodec,
} from "../../src/challenges/vram.ts";
import { DecodeError } from "../../src/errors.ts";
import { withParams } from "../../src/params.ts";
import { ChallengeKind, CheckResult } from "../../src/types.ts";
import { CHECKER, expectMutationRejected, PROVIDER } from "./helpers.ts";

const RUN_SEED = `0x${"5e".repeat(32)}` as const;
const params = withParams({ pingCount: 6, matmulSampledRows: 3, vramSampledBlocks: 4 });
const hex = (b: Uint8Array): Hex => bytesToHex(b);

interface Behaviour {
  rttUs?: number;
  /** A wrong product: every value of C has its low bit flipped before committing (rows wrong whole, as skipped work leaves them). */
  corrupt?: boolean;
  /** Provider compute time, µs. */
  computeUs?: number;
  noCommit?: boolean;
  garbageRows?: boolean;
}

/** What a checker runner records against a provider behaving as told (the provider side is the reference code). */
function record(kind: ChallengeKind, behaviour: Behaviour = {}, seed: Hex = RUN_SEED): ChallengeTranscript {
  const rtt = behaviour.rttUs ?? 2_000;
  const seeds = runSeeds(seed);
  const messages: TranscriptMessage[] = [];
  let now = 0;
  for (const ping of pingSchedule(seeds.latency, params)) {
    now = Math.max(now, ping.sendAtMs * 1000);
    messages.push({ type: T.PING, atUs: now, payload: hex(pingCodec.encode(ping)) });
    now += rtt;
    messages.push({ type: T.PONG, atUs: now, payload: hex(pongCodec.encode(answerPing(ping))) });
  }
  const classId = gpuClass("cpu-reference").code;
  if (kind === ChallengeKind.MATMUL) {
    const n = 24;
    const request = { seed: seeds.matmul, n, classId, epoch: 7n, checker: CHECKER };
    messages.push({ type: T.MATMUL_REQUEST, atUs: now, payload: hex(matmulRequestCodec.encode(request)) });
    const { a, b } = generateMatmul(request.seed, n);
    const c = solveMatmul(a, b, n);
    // Every entry: with n = 24 the checker recomputes 16 sampled entries per opened row, not all 24.
    if (behaviour.corrupt) for (let at = 0; at < n * n; at++) c[at] = (c[at] as number) ^ 1;
    const { root, tree } = commitRows(c, n);
    if (!behaviour.noCommit) {
      const compute = behaviour.computeUs ?? 1_000;
      now += rtt + compute;
      const commit = { root, elapsedMs: Math.floor(compute / 1000), signature: "0x" as Hex };
      messages.push({ type: T.MATMUL_COMMIT, atUs: now, payload: hex(matmulCommitCodec.encode(commit)) });
      const rows = sampleRows(seeds.sample, root, n, params.matmulSampledRows);
      messages.push({ type: T.MATMUL_OPEN, atUs: now, payload: hex(matmulOpenCodec(n, 3).encode({ rows })) });
      now += rtt;
      const payload = behaviour.garbageRows
        ? hex(new Uint8Array(40).fill(7))
        : hex(matmulRowsCodec(n, 3).encode(openRows(tree, c, rows)));
      messages.push({ type: T.MATMUL_ROWS, atUs: now, payload });
    }
  } else if (kind === ChallengeKind.VRAM) {
    const dataset = vramDatasetSeed(PROVIDER, `0x${"aa".repeat(32)}`);
    const request = { seed: dataset, blockSize: 512, blockCount: 16, nonce: seeds.vramNonce, steps: 12 };
    messages.push({ type: T.VRAM_REQUEST, atUs: now, payload: hex(vramRequestCodec.encode(request)) });
    const blocks = Array.from({ length: 16 }, (_, i) => generateVramBlock(dataset, i, 512));
    const response = answerVram(request, (i) => blocks[i]!);
    now += rtt + (behaviour.computeUs ?? 500);
    messages.push({ type: T.VRAM_RESPONSE, atUs: now, payload: hex(vramResponseCodec.encode(response)) });
  }
  return {
    version: TRANSCRIPT_VERSION,
    epoch: 7n,
    provider: PROVIDER,
    checker: CHECKER,
    kind,
    checkerRegion: regionById("local").code,
    claimedRegion: regionById("local").code,
    classId,
    seed,
    messages,
  };
}

function codes(out: { reasons: { code: string }[] }): string[] {
  return out.reasons.map((r) => r.code);
}

describe("evaluateTranscript", () => {
  it("passes honest MATMUL, VRAM and latency-only runs", () => {
    for (const kind of [ChallengeKind.MATMUL, ChallengeKind.VRAM, ChallengeKind.LATENCY]) {
      const out = evaluateTranscript(record(kind), params);
      expect(codes(out)).toEqual([]);
      expect(out.result).toBe(CheckResult.PASS);
      expect(out.kind).toBe(kind);
      expect([out.p50Us, out.p95Us]).toEqual([2_000, 2_000]);
      expect(out.throughput > 0n).toBe(kind === ChallengeKind.MATMUL);
    }
  });

  it("passes honest runs whatever the run seed", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed) => {
        expect(evaluateTranscript(record(ChallengeKind.MATMUL, {}, hex(seed)), params).result).toBe(
          CheckResult.PASS,
        );
      }),
      { numRuns: 10 },
    );
  });

  it("fails a wrong product and undecodable answers; times out a silent one and a slow one", () => {
    expect(codes(evaluateTranscript(record(ChallengeKind.MATMUL, { corrupt: true }), params))).toEqual(
      Array(3).fill(ReasonCode.WRONG_ROW),
    );
    const slow = evaluateTranscript(record(ChallengeKind.MATMUL, { computeUs: 60_000_000 }), params);
    expect([slow.result, codes(slow)]).toEqual([CheckResult.TIMEOUT, [ReasonCode.DEADLINE_EXCEEDED]]);
    const silent = evaluateTranscript(record(ChallengeKind.MATMUL, { noCommit: true }), params);
    expect([silent.result, codes(silent)]).toEqual([CheckResult.TIMEOUT, [ReasonCode.NO_COMMITMENT]]);
    const garbage = evaluateTranscript(record(ChallengeKind.MATMUL, { garbageRows: true }), params);
    expect([garbage.result, codes(garbage)]).toEqual([CheckResult.FAIL, [ReasonCode.MALFORMED_MESSAGE]]);
    const slowVram = evaluateTranscript(record(ChallengeKind.VRAM, { computeUs: 60_000_000 }), params);
    expect([slowVram.result, codes(slowVram)]).toEqual([CheckResult.TIMEOUT, [ReasonCode.DEADLINE_EXCEEDED]]);
  });

  it("fails a frame that broke the framing (its recorded head, under one ABI word) as PROTOCOL_VIOLATION", () => {
    // What the checker records in a pong's place for bytes after the last pong, and in the rows' place
    // for a declared length above the limit: the offending frame's first <= 31 bytes.
    const junk = record(ChallengeKind.LATENCY);
    const last = junk.messages.at(-1)!.atUs;
    junk.messages.push({ type: T.PONG, atUs: last + 10, payload: hex(new Uint8Array(31).fill(0xee)) });
    const out = evaluateTranscript(junk, params);
    expect([out.result, codes(out)]).toEqual([CheckResult.FAIL, [ReasonCode.PROTOCOL_VIOLATION]]);
    const oversized = record(ChallengeKind.MATMUL);
    const rows = oversized.messages.findIndex((m) => m.type === T.MATMUL_ROWS);
    oversized.messages[rows] = { ...oversized.messages[rows]!, payload: "0x80808020" };
    const big = evaluateTranscript(oversized, params);
    expect([big.result, codes(big)]).toEqual([CheckResult.FAIL, [ReasonCode.PROTOCOL_VIOLATION]]);
    // A body of whole words that its codec refuses stays MALFORMED_MESSAGE.
    const garbage = record(ChallengeKind.VRAM);
    const at = garbage.messages.findIndex((m) => m.type === T.VRAM_RESPONSE);
    garbage.messages[at] = { ...garbage.messages[at]!, payload: hex(new Uint8Array(64).fill(0xee)) };
    expect(codes(evaluateTranscript(garbage, params))).toEqual([ReasonCode.MALFORMED_MESSAGE]);
  });

  it("applies the physical bound to the recorded ping times", () => {
    const t = record(ChallengeKind.VRAM, { rttUs: 5_000 });
    t.checkerRegion = regionById("us-east").code;
    t.claimedRegion = regionById("ap-southeast").code;
    const out = evaluateTranscript(t, params);
    expect([out.result, codes(out)]).toEqual([CheckResult.FAIL, [ReasonCode.RTT_BELOW_PHYSICAL_BOUND]]);
  });

  it("times out a provider that could not be reached at all, counting unsent pings as lost", () => {
    for (const kind of [ChallengeKind.MATMUL, ChallengeKind.VRAM]) {
      const out = evaluateTranscript({ ...record(kind), messages: [] }, params);
      expect(out.result).toBe(CheckResult.TIMEOUT);
      expect(codes(out)).toEqual([
        ReasonCode.TOO_MANY_LOST,
        kind === ChallengeKind.MATMUL ? ReasonCode.NO_COMMITMENT : ReasonCode.NO_RESPONSE,
      ]);
    }
    // A checker cannot hide unanswered pings by leaving them out of the record.
    const t = record(ChallengeKind.LATENCY);
    const answeredOnly = { ...t, messages: t.messages.slice(0, 6) };
    expect(evaluateTranscript(answeredOnly, params).result).toBe(CheckResult.TIMEOUT);
  });

  it("counts pongs later than pingTimeoutMs as lost", () => {
    const out = evaluateTranscript(record(ChallengeKind.LATENCY, { rttUs: 2_500_000 }), params);
    expect([out.result, codes(out)]).toEqual([CheckResult.TIMEOUT, [ReasonCode.TOO_MANY_LOST]]);
  });

  it("refuses transcripts whose checker messages do not follow from the run seed", () => {
    const t = record(ChallengeKind.MATMUL);
    const forged = { ...t, seed: `0x${"5f".repeat(32)}` as Hex };
    expect(() => evaluateTranscript(forged, params)).toThrow(ChallengeError);
    try {
      evaluateTranscript(forged, params);
    } catch (e) {
      expect((e as ChallengeError).code).toBe(ChallengeErrorCode.INVALID_TRANSCRIPT);
    }
    const answerWithoutRequest = { ...t, messages: t.messages.filter((m) => m.type !== T.MATMUL_REQUEST) };
    expect(() => evaluateTranscript(answerWithoutRequest, params)).toThrow(ChallengeError);
    const pongWithoutPing = { ...t, messages: t.messages.filter((m, k) => !(k === 0 && m.type === T.PING)) };
    expect(() => evaluateTranscript(pongWithoutPing, params)).toThrow(ChallengeError);
    const reordered = { ...t, messages: t.messages.filter((m) => m.type !== T.MATMUL_OPEN) };
    expect(() => evaluateTranscript(reordered, params)).toThrow(ChallengeError);
  });
});

describe("transcript encoding and hash", () => {
  it("round-trips, and the hash is keccak256 of the canonical encoding", () => {
    const t = record(ChallengeKind.MATMUL);
    const bytes = transcriptCodec.encode(t);
    expect(transcriptCodec.decode(bytes)).toEqual(t);
    expect(transcriptHash(t)).toBe(hex(keccak_256(bytes)));
    expectMutationRejected(transcriptCodec, record(ChallengeKind.LATENCY), 40);
  });

  it("changes with any message, time or header field", () => {
    const t = record(ChallengeKind.VRAM);
    const h = transcriptHash(t);
    const messages = t.messages.map((m, k) => (k === 3 ? { ...m, atUs: m.atUs + 1 } : m));
    expect(transcriptHash({ ...t, messages })).not.toBe(h);
    expect(transcriptHash({ ...t, epoch: 8n })).not.toBe(h);
    expect(transcriptHash({ ...t, messages: t.messages.slice(0, -1) })).not.toBe(h);
  });

  it("refuses unknown codes and times that run backwards", () => {
    const t = record(ChallengeKind.LATENCY);
    for (const bad of [
      { version: 1 },
      { kind: 3 },
      { claimedRegion: 99 },
      { classId: 999 },
      { messages: [t.messages[1]!, t.messages[0]!] },
      { messages: [{ ...t.messages[0]!, type: 10 }] },
    ]) {
      expect(() =>
        transcriptCodec.decode(transcriptCodec.encode({ ...t, ...bad } as ChallengeTranscript)),
      ).toThrow(DecodeError);
    }
  });
});

describe("challengeKindForEpoch", () => {
  const epochSeed = `0x${"ee".repeat(32)}` as const;

  it("is deterministic, picks MATMUL or VRAM, and splits about evenly", () => {
    let matmul = 0;
    for (let e = 0n; e < 400n; e++) {
      const kind = challengeKindForEpoch(epochSeed, PROVIDER, e);
      expect(challengeKindForEpoch(epochSeed, PROVIDER, e)).toBe(kind);
      expect([ChallengeKind.MATMUL, ChallengeKind.VRAM]).toContain(kind);
      if (kind === ChallengeKind.MATMUL) matmul++;
    }
    expect(matmul).toBeGreaterThan(150);
    expect(matmul).toBeLessThan(250);
  });

  it("follows matmulShareBps at its extremes", () => {
    for (let e = 0n; e < 20n; e++) {
      expect(challengeKindForEpoch(epochSeed, PROVIDER, e, { matmulShareBps: 10_000 })).toBe(
        ChallengeKind.MATMUL,
      );
      expect(challengeKindForEpoch(epochSeed, PROVIDER, e, { matmulShareBps: 0 })).toBe(ChallengeKind.VRAM);
    }
  });

  it("refuses a malformed provider", () => {
    expect(() => challengeKindForEpoch(epochSeed, "0x1234" as Address, 1n)).toThrow(ChallengeError);
  });
});

describe("own stalls: could the checker's lag have made the verdict?", () => {
  /** A stall of the checker's loop over the provider's answer: the answer was read `ms` late. */
  function stalledOver(t: ChallengeTranscript, type: number, ms: number) {
    const answer = t.messages.find((m) => m.type === type)!;
    return [{ fromUs: answer.atUs - ms * 1000, toUs: answer.atUs }];
  }
  /** The answer recorded `ms` later, as a stalled loop would record it. */
  function readLate(t: ChallengeTranscript, type: number, ms: number): ChallengeTranscript {
    return {
      ...t,
      messages: t.messages.map((m) =>
        m.type === type || (m.type > type && m.type !== T.PONG) ? { ...m, atUs: m.atUs + ms * 1000 } : m,
      ),
    };
  }

  it("an honest answer read late because the checker stalled: the lag explains the FAIL, so the checker abstains", () => {
    for (const [kind, answer] of [
      [ChallengeKind.VRAM, T.VRAM_RESPONSE],
      [ChallengeKind.MATMUL, T.MATMUL_COMMIT],
    ] as const) {
      const late = readLate(record(kind), answer, 60_000);
      const measured = evaluateTranscript(late, params);
      expect(codes(measured)).toEqual([ReasonCode.DEADLINE_EXCEEDED]);
      const stalls = stalledOver(late, answer, 60_000);
      const corrected = evaluateTranscript(withoutOwnStalls(late, stalls), params);
      expect(corrected.result).toBe(CheckResult.PASS);
      expect(ownStallsCouldExplain(measured, corrected, false)).toBe(true);
    }
  });

  it("a provider slower than the deadline stays failed when the checker's stall is shorter than its lateness", () => {
    const slow = record(ChallengeKind.VRAM, { computeUs: 60_000_000 });
    const measured = evaluateTranscript(slow, params);
    const stalls = stalledOver(slow, T.VRAM_RESPONSE, 100);
    const corrected = evaluateTranscript(withoutOwnStalls(slow, stalls), params);
    expect(corrected.result).toBe(CheckResult.TIMEOUT);
    expect(ownStallsCouldExplain(measured, corrected, false)).toBe(false);
    // No stall at all: nothing moves.
    expect(withoutOwnStalls(slow, [])).toEqual(slow);
  });

  it("a wrong answer is never excused by lag, however long the stall", () => {
    const wrong = record(ChallengeKind.MATMUL, { corrupt: true });
    const measured = evaluateTranscript(wrong, params);
    expect(measured.result).toBe(CheckResult.FAIL);
    const corrected = evaluateTranscript(
      withoutOwnStalls(wrong, stalledOver(wrong, T.MATMUL_ROWS, 1)),
      params,
    );
    expect(ownStallsCouldExplain(measured, corrected, true)).toBe(false);
  });

  it("a missing answer is excused only when the wait for it ended while the loop was stalled", () => {
    const silent = record(ChallengeKind.MATMUL, { noCommit: true });
    const measured = evaluateTranscript(silent, params);
    expect(measured.result).toBe(CheckResult.TIMEOUT);
    expect(ownStallsCouldExplain(measured, measured, false)).toBe(false);
    expect(ownStallsCouldExplain(measured, measured, true)).toBe(true);
  });

  it("pongs read late are measured from their own ping, even when later pings were sent first", () => {
    const t = record(ChallengeKind.LATENCY, { rttUs: 900_000_000 });
    const measured = evaluateTranscript(t, params);
    expect(measured.result).not.toBe(CheckResult.PASS);
    const stalls = [{ fromUs: 0, toUs: t.messages.at(-1)!.atUs }];
    const corrected = withoutOwnStalls(t, stalls);
    const pingAt = new Map<number, number>();
    for (const m of corrected.messages) {
      const body = hexToBytes(m.payload);
      if (m.type === T.PING) pingAt.set(pingCodec.decode(body).seq, m.atUs);
      if (m.type === T.PONG) expect(m.atUs).toBe(pingAt.get(pongCodec.decode(body).seq));
    }
  });

  it("property: taking stalls out never moves an answer before what it answers, and never moves a send", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(ChallengeKind.MATMUL, ChallengeKind.VRAM, ChallengeKind.LATENCY),
        fc.array(fc.tuple(fc.nat(200_000), fc.nat(50_000)), { maxLength: 6 }),
        (kind, raw) => {
          const t = record(kind);
          const stalls = raw.map(([from, len]) => ({ fromUs: from, toUs: from + len }));
          const out = withoutOwnStalls(t, stalls);
          out.messages.forEach((m, i) => {
            const original = t.messages[i]!;
            expect(m.type).toBe(original.type);
            expect(m.atUs).toBeLessThanOrEqual(original.atUs);
            if ([T.PING, T.MATMUL_REQUEST, T.MATMUL_OPEN, T.VRAM_REQUEST].includes(m.type as never))
              expect(m.atUs).toBe(original.atUs);
          });
          // The rules still accept the record as one an honest checker could make.
          expect(() => evaluateTranscript(out, params)).not.toThrow();
        },
      ),
      { numRuns: 60 },
    );
  });
});
