import { admissionWaitMs } from "@checkernet/protocol/challenges/admission";
import { hex32 } from "@checkernet/protocol/challenges/common";
import {
  matmulDeadlineMs,
  networkAllowanceMs,
  vramDeadlineMs,
} from "@checkernet/protocol/challenges/gpu-classes";
import { percentile, pingCodec, pingSchedule, pongCodec } from "@checkernet/protocol/challenges/latency";
import {
  matmulCommitCodec,
  matmulOpenCodec,
  matmulRequestCodec,
  matmulRowsCodec,
  openedRowCount,
  sampleRows,
} from "@checkernet/protocol/challenges/matmul";
import {
  decodeRunSignature,
  RUN_SIGNATURE_BYTES,
  runSignRequestCodec,
} from "@checkernet/protocol/challenges/run-signature";
import {
  deservesSecondChance,
  SECOND_CHANCE_PAUSE_MS,
  SECOND_RUN_DURATION_FACTOR,
  TIMING_SECOND_CHANCES,
} from "@checkernet/protocol/challenges/secondChance";
import {
  type ChallengeTranscript,
  type RunOutcome,
  receivedPongs,
  runSeeds,
  TRANSCRIPT_VERSION,
  type TranscriptAnswerKey,
  TranscriptMessageType,
  transcriptCodec,
  transcriptHash,
} from "@checkernet/protocol/challenges/transcript";
import { vramRequestCodec, vramResponseCodec } from "@checkernet/protocol/challenges/vram";
import type { ProtocolParams } from "@checkernet/protocol/params";
import { type Address, ChallengeKind, CheckResult } from "@checkernet/protocol/types";
import { type Logger, LoopStallMonitor, sleep } from "@checkernet/runtime";
import {
  type AdmittedRequestType,
  CHALLENGE_PROTOCOL,
  CHALLENGE_PROTOCOL_1_0,
  FrameReader,
  FrameType,
  WireError,
  WireErrorCode,
  writeFrame,
} from "@checkernet/wire";
import type { PeerId, Stream } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { bytesToHex, type Hex } from "viem";
import type { Metrics } from "../metrics/index.ts";
import { requestAdmission } from "./admission.ts";
import { inlineEvaluator, type TranscriptEvaluator } from "./evaluator.ts";
import { CHALLENGE_CLIENT_LIMITS } from "./limits.ts";
import { ownLagVerdict } from "./ownLagVerdict.ts";
import { type LinkHost, ProviderLinks } from "./providerLinks.ts";
import { Recorder } from "./recorder.ts";
import { endExchange, violationHead } from "./streamEnd.ts";

/** What the checker runs against one provider in one epoch (the epoch loop fills it from the chain). */
export interface ChallengeTask {
  epoch: bigint;
  provider: Address;
  checker: Address;
  /** The epoch's workload (challengeKindForEpoch); LATENCY for a pings-only run. */
  kind: ChallengeKind;
  /** The checker's secret run seed (32 bytes); revealed only in the transcript. */
  seed: Hex;
  /** Claimed GPU class code and region code of the provider (registry). */
  classId: number;
  claimedRegion: number;
  /** Matrix size for MATMUL runs (ProtocolParams.matmulSize unless a re-check says otherwise). */
  matmulN?: number;
  /** The provider's VRAM dataset for VRAM runs (vramDatasetSeed, vramBlockCount). */
  vram?: { datasetSeed: Hex; blockSize: number; blockCount: number; steps: number };
  /**
   * The provider's answer key for the epoch (ProviderRegistry.answerKeyAt) and its EIP-712 domain: goes into
   * the transcript header, and a matmul commitment must then carry its signature. Absent: none registered.
   */
  answerKey?: TranscriptAnswerKey;
}

/** A secret run seed: the provider learns it only when the run reveals it. */
export function randomRunSeed(): Hex {
  return bytesToHex(crypto.getRandomValues(new Uint8Array(32)));
}

/** What a run needs to get a second chance (ChallengeClient.run). */
export interface SecondChance {
  /** A fresh secret run seed for the second run. */
  freshSeed(): Hex;
  /** Time (on `nowMs`'s clock) by which a second run must be over: the publish phase. */
  endByMs: number;
  nowMs(): number;
  signal?: AbortSignal;
}

export interface ChallengeTarget {
  /** The provider's registered peer id (or an address with /p2p/<id>): Noise authenticates it. */
  peer: PeerId | Multiaddr;
}

export interface ChallengeRun {
  /** `evaluateTranscript(transcript)`: what the attestation says, and what anyone re-checking the transcript gets. */
  outcome: RunOutcome;
  transcript: ChallengeTranscript;
  encodedTranscript: Uint8Array;
  transcriptHash: Hex;
  /** Wire-level faults seen (WireErrorCode or DecodeError codes), for logs and metrics; empty when clean. */
  wireErrors: string[];
  /**
   * Set when the run failed on time alone and this checker's own stalls could
   * have caused it (ownStalls.ts): the checker must not attest it.
   */
  abstain?: { reason: string; ownStallMs: number };
}

export interface ChallengeClientComponents {
  /** The libp2p host: `dialProtocol`, and `getConnections` to hang up a provider after its runs (providerLinks.ts). */
  host: {
    dialProtocol(
      peer: PeerId | Multiaddr,
      protocols: string | string[],
      options?: { signal?: AbortSignal },
    ): Promise<Stream>;
  } & Partial<LinkHost>;
  logger: Logger;
  metrics?: Metrics;
  /** Where transcripts are evaluated; the node passes a worker thread (evaluator.ts). Default: inline. */
  evaluator?: TranscriptEvaluator;
  /** Watches this process's event loop during runs. Default: one of the client's own. */
  stalls?: LoopStallMonitor;
}

export interface ChallengeClientInit {
  params: ProtocolParams;
  /** Region code where this checker runs (its configuration): the origin of the speed-of-light bound. */
  checkerRegion: number;
}

/**
 * The checker's side of `/checkernet/challenge/1.1.0` (PROTOCOL.md). A run is
 * the latency pings plus the epoch's workload, each on its own stream, all
 * derived from one secret seed (`runSeeds`). Every message is recorded in the
 * protocol's ChallengeTranscript, and the result is `evaluateTranscript` of
 * it, so the attestation, the evidence and any later re-check agree. Reads are
 * bounded in size and time: a provider that hangs, trickles, or sends garbage
 * or oversized frames never makes a run throw; what it failed to send is
 * missing from the transcript (TIMEOUT), what it sent malformed is recorded
 * (FAIL, MALFORMED_MESSAGE), and so are the first bytes of a frame that broke
 * the protocol, in place of the answer it came instead of (FAIL,
 * PROTOCOL_VIOLATION: shorter than an ABI word). Every stream is
 * closed for reading when its exchange ends (streamEnd.ts).
 */
export class ChallengeClient {
  private readonly components: ChallengeClientComponents;
  private readonly init: ChallengeClientInit;
  /** Where transcripts are evaluated; the fraud-proof keeper searches VRAM fraud proofs with it too. */
  readonly evaluator: TranscriptEvaluator;
  private readonly stalls: LoopStallMonitor;
  /** Hangs up each provider once its runs are over; absent when the host cannot list connections. */
  private readonly links: ProviderLinks | undefined;

  constructor(components: ChallengeClientComponents, init: ChallengeClientInit) {
    this.components = components;
    this.init = init;
    this.evaluator = components.evaluator ?? inlineEvaluator(init.params);
    this.stalls = components.stalls ?? new LoopStallMonitor();
    const { host } = components;
    this.links = host.getConnections === undefined ? undefined : new ProviderLinks(host as LinkHost);
  }

  /**
   * Runs `task` against the provider. With `secondChance`, a run that failed
   * on time alone (secondChance.ts in the protocol) is run once more with a
   * fresh seed after a pause, when the second run fits before
   * `secondChance.endByMs`; the second run is the one returned (and attested). The provider is hung up after.
   */
  async run(
    target: ChallengeTarget,
    task: ChallengeTask,
    secondChance?: SecondChance,
  ): Promise<ChallengeRun> {
    const runs = () => this.runWithChance(target, task, secondChance);
    return this.links === undefined ? runs() : this.links.during(target.peer, runs);
  }

  private async runWithChance(target: ChallengeTarget, task: ChallengeTask, secondChance?: SecondChance) {
    let startedMs = performance.now();
    let pauseMs = 0;
    let attempt = 1;
    const retries = (outcome: RunOutcome): boolean => {
      if (secondChance === undefined || attempt > TIMING_SECOND_CHANCES || !deservesSecondChance(outcome))
        return false;
      const { min, max } = SECOND_CHANCE_PAUSE_MS;
      pauseMs = min + Math.floor(Math.random() * (max - min));
      // The next run takes about as long as this one did, and must end before the phase does.
      const budgetMs = pauseMs + SECOND_RUN_DURATION_FACTOR * (performance.now() - startedMs);
      return secondChance.nowMs() + budgetMs <= secondChance.endByMs;
    };
    let current = await this.runOnce(target, task, retries, attempt);
    while (current.retried === true && secondChance !== undefined) {
      await sleep(pauseMs, secondChance.signal);
      if (secondChance.signal?.aborted === true) break;
      attempt += 1;
      startedMs = performance.now();
      current = await this.runOnce(target, { ...task, seed: secondChance.freshSeed() }, retries, attempt);
    }
    return current.run;
  }

  private async runOnce(
    target: ChallengeTarget,
    task: ChallengeTask,
    retries: (outcome: RunOutcome) => boolean,
    attempt: number,
  ): Promise<{ run: ChallengeRun; retried?: true }> {
    const kindLabel =
      task.kind === ChallengeKind.MATMUL ? "matmul" : task.kind === ChallengeKind.VRAM ? "vram" : "latency";
    const timer = this.components.metrics?.challengeSeconds.startTimer({ kind: kindLabel });
    const rec = new Recorder({
      version: TRANSCRIPT_VERSION,
      epoch: task.epoch,
      provider: task.provider,
      checker: task.checker,
      kind: task.kind,
      checkerRegion: this.init.checkerRegion,
      claimedRegion: task.claimedRegion,
      classId: task.classId,
      seed: hex32(task.seed, "seed"),
      ...(task.answerKey === undefined ? {} : { answer: task.answerKey }),
      messages: [],
    });
    const seeds = runSeeds(task.seed);
    const wireErrors: string[] = [];
    this.stalls.acquire();
    try {
      const rtts = await this.latency(target, seeds.latency, rec, wireErrors);
      const networkRttMs = percentile(rtts, 50) / 1000;
      if (task.kind === ChallengeKind.MATMUL) {
        await this.matmul(target, task, seeds, networkRttMs, rec, wireErrors);
      } else if (task.kind === ChallengeKind.VRAM) {
        if (task.vram === undefined) throw new TypeError("a VRAM task needs its dataset (task.vram)");
        await this.vram(target, task, seeds.vramNonce, networkRttMs, rec, wireErrors);
      }
    } finally {
      this.stalls.release();
    }
    const transcript = rec.transcript;
    // The checker's own messages always follow from the seed, so this never
    // throws INVALID_TRANSCRIPT unless this client has a bug. Off the event
    // loop in the node, so that other runs in flight keep their timing.
    const outcome = await this.evaluator.evaluate(transcript);
    const abstain = await ownLagVerdict(this.stalls, this.evaluator, rec, outcome);
    const retried = abstain === undefined && retries(outcome);
    timer?.();
    const label = abstain
      ? "abstained"
      : retried
        ? "retried"
        : outcome.result === CheckResult.PASS
          ? "pass"
          : outcome.result === CheckResult.FAIL
            ? "fail"
            : "timeout";
    this.components.metrics?.challengeRuns.inc({ kind: kindLabel, result: label });
    if (wireErrors.length > 0) {
      this.components.logger.debug(
        { provider: task.provider, wireErrors, result: label },
        "challenge wire faults",
      );
    }
    // One line per run: what an operator reads to see why a provider failed.
    this.components.logger.info(
      {
        epoch: String(task.epoch),
        provider: task.provider,
        kind: kindLabel,
        result: label,
        reasons: outcome.reasons.map((r) => r.message),
        p50Us: outcome.p50Us,
        ...(attempt > 1 ? { attempt } : {}),
        ...(rec.admissionMs === undefined ? {} : { admissionMs: rec.admissionMs }),
        ...(abstain ? { abstain: abstain.reason } : {}),
      },
      "challenge run",
    );
    const run: ChallengeRun = {
      outcome,
      transcript,
      encodedTranscript: transcriptCodec.encode(transcript),
      transcriptHash: transcriptHash(transcript),
      wireErrors,
      ...(abstain ? { abstain } : {}),
    };
    return retried ? { run, retried } : { run };
  }

  /** Nonced pings at the seed's schedule; returns the RTTs (µs) of pongs that answered a sent ping. */
  private async latency(
    target: ChallengeTarget,
    seed: Hex,
    rec: Recorder,
    wireErrors: string[],
  ): Promise<number[]> {
    const { params } = this.init;
    const schedule = pingSchedule(seed, params);
    const sentAtUs = new Map<number, number>();
    const rtts: number[] = [];
    const stream = await this.open(target, wireErrors);
    if (stream === undefined) {
      // No stream: the run still records its pings as sent-and-lost, so the transcript is complete.
      for (const ping of schedule) {
        rec.record(TranscriptMessageType.PING, pingCodec.encode({ seq: ping.seq, nonce: ping.nonce }));
      }
      return rtts;
    }
    const start = Date.now();
    const readDeadline = start + (schedule.at(-1)?.sendAtMs ?? 0) + params.pingTimeoutMs;
    const reader = new FrameReader(stream);
    let writing = true;
    const writer = (async () => {
      try {
        for (const ping of schedule) {
          const wait = start + ping.sendAtMs - Date.now();
          if (wait > 0) await sleep(wait);
          const body = pingCodec.encode({ seq: ping.seq, nonce: ping.nonce });
          sentAtUs.set(ping.seq, rec.record(TranscriptMessageType.PING, body));
          // A broken stream must not stop the schedule: unsent pings still count as lost.
          if (stream.status === "open")
            await writeFrame(stream, FrameType.PING, body, readDeadline).catch(() => undefined);
        }
      } finally {
        writing = false;
      }
    })();
    let answered = 0;
    try {
      while (answered < schedule.length) {
        const frame = await reader.read({ [FrameType.PONG]: pongCodec.maxBytes }, readDeadline);
        let seq: number | undefined;
        try {
          seq = pongCodec.decode(frame.body).seq;
        } catch (e) {
          // Recorded as received: evaluateTranscript FAILs it (MALFORMED_MESSAGE).
          rec.record(TranscriptMessageType.PONG, frame.body);
          wireErrors.push((e as { code?: string }).code ?? "DECODE_ERROR");
          break;
        }
        const sent = sentAtUs.get(seq);
        if (sent === undefined) {
          // A pong for a ping not sent yet cannot be honest (nonces are secret
          // until sent). Recording it before its ping would make the transcript
          // look forged by us, so it is dropped and logged.
          wireErrors.push("PONG_BEFORE_PING");
          continue;
        }
        const atUs = rec.record(TranscriptMessageType.PONG, frame.body);
        answered++;
        if (atUs - sent <= params.pingTimeoutMs * 1000) rtts.push(atUs - sent);
      }
    } catch (e) {
      this.fault(rec, wireErrors, e, TranscriptMessageType.PONG);
      this.noteWaitEnded(rec, e, readDeadline, readDeadline);
    } finally {
      // Let the schedule finish (bounded by readDeadline), then close.
      if (writing) await writer;
      // Bytes after the last pong break the protocol as any bad frame does: recorded in a pong's place.
      const trailing = await endExchange(stream, reader, wireErrors);
      if (trailing !== undefined && answered === schedule.length)
        rec.record(TranscriptMessageType.PONG, trailing);
    }
    return rtts;
  }

  private async matmul(
    target: ChallengeTarget,
    task: ChallengeTask,
    seeds: ReturnType<typeof runSeeds>,
    networkRttMs: number,
    rec: Recorder,
    wireErrors: string[],
  ): Promise<void> {
    const { params } = this.init;
    const n = task.matmulN ?? params.matmulSize;
    const count = openedRowCount(n, params);
    const request = matmulRequestCodec.encode({
      seed: seeds.matmul,
      n,
      classId: task.classId,
      epoch: task.epoch,
      checker: task.checker,
    });
    const deadlineMs = matmulDeadlineMs(task.classId, n, networkRttMs, params);
    const stream = await this.open(target, wireErrors);
    const reader = await this.admit(stream, FrameType.MATMUL_REQUEST, task, deadlineMs, rec, wireErrors);
    rec.record(TranscriptMessageType.MATMUL_REQUEST, request);
    if (reader instanceof Uint8Array) rec.record(TranscriptMessageType.MATMUL_COMMIT, reader);
    if (stream === undefined || !(reader instanceof FrameReader)) return;
    // The wait in progress, and the moment an answer to it stops counting (the rules' deadline).
    let waitDeadline = Date.now();
    let answerDeadline = waitDeadline;
    // The answer awaited: a frame that breaks the protocol is recorded in its place.
    let awaiting: TranscriptMessageType | undefined = TranscriptMessageType.MATMUL_COMMIT;
    try {
      const commitDeadline = Date.now() + deadlineMs * CHALLENGE_CLIENT_LIMITS.answerWaitFactor;
      waitDeadline = commitDeadline;
      answerDeadline = Date.now() + deadlineMs;
      await writeFrame(stream, FrameType.MATMUL_REQUEST, request, commitDeadline);
      const c = await reader.read({ [FrameType.MATMUL_COMMIT]: matmulCommitCodec.maxBytes }, commitDeadline);
      rec.record(TranscriptMessageType.MATMUL_COMMIT, c.body);
      awaiting = undefined;
      const commitment = matmulCommitCodec.decode(c.body);
      const rows = sampleRows(seeds.sample, commitment.root, n, count);
      const open = matmulOpenCodec(n, count).encode({ rows });
      const rowsCodec = matmulRowsCodec(n, count);
      const openDeadline =
        Date.now() + Math.max(CHALLENGE_CLIENT_LIMITS.minOpenWaitMs, 4 * networkAllowanceMs(networkRttMs));
      waitDeadline = openDeadline;
      answerDeadline = openDeadline;
      rec.record(TranscriptMessageType.MATMUL_OPEN, open);
      awaiting = TranscriptMessageType.MATMUL_ROWS;
      await writeFrame(stream, FrameType.MATMUL_OPEN, open, openDeadline);
      const r = await reader.read({ [FrameType.MATMUL_ROWS]: rowsCodec.maxBytes }, openDeadline);
      rec.record(TranscriptMessageType.MATMUL_ROWS, r.body);
      awaiting = undefined;
      await this.runSignature(stream, reader, task, networkRttMs, rec, wireErrors);
    } catch (e) {
      this.fault(rec, wireErrors, e, awaiting);
      this.noteWaitEnded(rec, e, waitDeadline, answerDeadline);
    } finally {
      await endExchange(stream, reader, wireErrors);
    }
  }

  private async vram(
    target: ChallengeTarget,
    task: ChallengeTask,
    nonce: Hex,
    networkRttMs: number,
    rec: Recorder,
    wireErrors: string[],
  ): Promise<void> {
    const v = task.vram!;
    const request = vramRequestCodec.encode({
      seed: v.datasetSeed,
      blockSize: v.blockSize,
      blockCount: v.blockCount,
      nonce,
      steps: v.steps,
    });
    const deadlineMs = vramDeadlineMs(task.classId, v.blockSize, v.steps, networkRttMs);
    const stream = await this.open(target, wireErrors);
    const reader = await this.admit(stream, FrameType.VRAM_QUERY, task, deadlineMs, rec, wireErrors);
    rec.record(TranscriptMessageType.VRAM_REQUEST, request);
    if (reader instanceof Uint8Array) rec.record(TranscriptMessageType.VRAM_RESPONSE, reader);
    if (stream === undefined || !(reader instanceof FrameReader)) return;
    let awaiting: TranscriptMessageType | undefined = TranscriptMessageType.VRAM_RESPONSE;
    const answerDeadline = Date.now() + deadlineMs;
    const deadline = Date.now() + deadlineMs * CHALLENGE_CLIENT_LIMITS.answerWaitFactor;
    try {
      await writeFrame(stream, FrameType.VRAM_QUERY, request, deadline);
      // The exact bound for `steps` digests: 96 bytes of head and length, 32 per digest.
      const r = await reader.read({ [FrameType.VRAM_ANSWER]: 96 + 32 * v.steps }, deadline);
      rec.record(TranscriptMessageType.VRAM_RESPONSE, r.body);
      awaiting = undefined;
      vramResponseCodec.decode(r.body);
      await this.runSignature(stream, reader, task, networkRttMs, rec, wireErrors);
    } catch (e) {
      this.fault(rec, wireErrors, e, awaiting);
      this.noteWaitEnded(rec, e, deadline, answerDeadline);
    } finally {
      await endExchange(stream, reader, wireErrors);
    }
  }

  /**
   * The run signature (PROTOCOL.md), asked for only of a provider with an answer key, after the workload's
   * last answer is recorded: no timed window contains it. RUN_SIGN reveals the seed and names the pongs
   * received; a missing RUN_SIGNATURE is evaluateTranscript's to FAIL (UNSIGNED_ANSWER).
   */
  private async runSignature(
    stream: Stream,
    reader: FrameReader,
    task: ChallengeTask,
    networkRttMs: number,
    rec: Recorder,
    wireErrors: string[],
  ): Promise<void> {
    if (task.answerKey === undefined) return;
    const deadline =
      Date.now() + Math.max(CHALLENGE_CLIENT_LIMITS.minOpenWaitMs, 4 * networkAllowanceMs(networkRttMs));
    try {
      const request = runSignRequestCodec.encode({ ...task, pongs: receivedPongs(rec.transcript) });
      await writeFrame(stream, FrameType.RUN_SIGN, request, deadline);
      const s = await reader.read({ [FrameType.RUN_SIGNATURE]: RUN_SIGNATURE_BYTES }, deadline);
      rec.record(TranscriptMessageType.RUN_SIGNATURE, decodeRunSignature(s.body));
    } catch (e) {
      wireErrors.push(`RUN_SIGNATURE: ${this.wireCode(e)}`);
    }
  }

  /**
   * A wait for the provider failed. If it timed out late, and this process's
   * loop was stalled from the answer's deadline until then, an answer that
   * came in time may have been sitting unread: the run notes a late wait.
   * (Deadlines are Date.now() ms; stalls are performance.now() ms.)
   */
  private noteWaitEnded(rec: Recorder, e: unknown, waitDeadline: number, answerDeadline: number): void {
    if (!(e instanceof WireError && e.code === WireErrorCode.TIMEOUT)) return;
    const nowMs = Date.now();
    if (nowMs - waitDeadline <= CHALLENGE_CLIENT_LIMITS.lateWaitMs) return;
    const perfNow = performance.now();
    if (this.stalls.stalledThroughout(answerDeadline - nowMs + perfNow, perfNow)) rec.lateWait = true;
  }

  /**
   * Waits for the provider's device before a timed request (admission.ts), so that the clock, which
   * starts when the request is recorded, never counts another checker's run queued ahead. Undefined:
   * no stream, or no ADMITTED within admissionWaitMs (the stream is closed and the request goes
   * unanswered: TIMEOUT, or an abstention if this checker's own loop stalled through the wait). A
   * provider refusing a run for an entry not its own (its peer id registered by another) is one such
   * TIMEOUT of that entry. Bytes: the provider broke the protocol instead of admitting; they are
   * recorded as its answer (FAIL).
   */
  private async admit(
    stream: Stream | undefined,
    request: AdmittedRequestType,
    task: ChallengeTask,
    deadlineMs: number,
    rec: Recorder,
    wireErrors: string[],
  ): Promise<FrameReader | Uint8Array | undefined> {
    if (stream === undefined) return undefined;
    const reader = new FrameReader(stream);
    const deadline = Date.now() + admissionWaitMs(deadlineMs, this.init.params.committeeSize);
    const askedMs = performance.now();
    try {
      await requestAdmission(stream, reader, request, task.provider, deadline);
      rec.admissionMs = Math.round(performance.now() - askedMs);
      return reader;
    } catch (e) {
      wireErrors.push(`ADMISSION: ${this.wireCode(e)}`);
      this.noteWaitEnded(rec, e, deadline, deadline);
      await endExchange(stream, reader, wireErrors);
      return violationHead(e);
    }
  }

  private async open(target: ChallengeTarget, wireErrors: string[]): Promise<Stream | undefined> {
    try {
      // The current protocol first; the older one still reaches a provider not yet upgraded (PROTOCOL.md).
      return await this.components.host.dialProtocol(
        target.peer,
        [CHALLENGE_PROTOCOL, CHALLENGE_PROTOCOL_1_0],
        {
          signal: AbortSignal.timeout(CHALLENGE_CLIENT_LIMITS.openStreamMs),
        },
      );
    } catch (e) {
      wireErrors.push(`OPEN_FAILED: ${(e as Error).name}`);
      return undefined;
    }
  }

  /**
   * Notes a failed read or write. A frame that broke the protocol (violationHead) is recorded as the
   * provider's `answer` it came instead of, when one was awaited: no codec decodes it, so
   * evaluateTranscript FAILs the run (PROTOCOL_VIOLATION: it is shorter than one ABI word).
   */
  private fault(
    rec: Recorder,
    wireErrors: string[],
    e: unknown,
    answer: TranscriptMessageType | undefined,
  ): void {
    wireErrors.push(this.wireCode(e));
    const head = violationHead(e);
    if (head !== undefined && answer !== undefined) rec.record(answer, head);
  }

  private wireCode(e: unknown): string {
    if (e instanceof WireError) return e.code;
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    this.components.logger.warn({ err: e }, "challenge run failed unexpectedly");
    return WireErrorCode.CLOSED;
  }
}
