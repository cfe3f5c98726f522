import { type Bytes32Like, type ChallengeOutcome, hex32 } from "@checkernet/protocol/challenges/common";
import { matmulDeadlineMs, networkAllowanceMs } from "@checkernet/protocol/challenges/gpu-classes";
import {
  type LatencyOutcome,
  type Ping,
  pingCodec,
  pingSchedule,
  pongCodec,
  type ReceivedPong,
  verifyLatency,
} from "@checkernet/protocol/challenges/latency";
import {
  type MatmulCommit,
  type MatmulOutcome,
  type MatmulRows,
  matmulCommitCodec,
  matmulOpenCodec,
  matmulRequestCodec,
  matmulRowsCodec,
  sampleRows,
  verifyMatmul,
} from "@checkernet/protocol/challenges/matmul";
import type { Region, RegionId } from "@checkernet/protocol/challenges/regions";
import { DecodeError } from "@checkernet/protocol/errors";
import type { ProtocolParams } from "@checkernet/protocol/params";
import { ChallengeKind, CheckResult } from "@checkernet/protocol/types";
import type { PeerId, Stream } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import type { Hex } from "viem";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics/index.ts";
import {
  CHALLENGE_PROTOCOL,
  FrameError,
  FrameErrorCode,
  FrameReader,
  FrameType,
  writeFrame,
} from "./framing.ts";
import { Direction, type Transcript, TranscriptRecorder } from "./transcript.ts";

/** Client-side limits; each says where its number comes from. */
export const CHALLENGE_CLIENT_LIMITS = {
  /** Opening a stream (dial + multistream-select) to a provider: libp2p's own dial timeout is 5 s. */
  openStreamMs: 5_000,
  /**
   * A commitment later than the class deadline FAILs (DEADLINE_EXCEEDED); the
   * checker keeps listening this many times the deadline so that "slow" is
   * told apart from "silent" (TIMEOUT).
   */
  commitWaitFactor: 2,
  /** Floor for the wait on MatmulRows: a row set is small, this covers scheduling pauses. */
  minOpenWaitMs: 1_000,
} as const;

/**
 * Why a run broke off on the wire, when the provider is to blame for it being
 * malformed (not merely slow). Not a protocol ReasonCode: the verifiers never
 * see these frames. Any of them makes the run FAIL.
 */
export const WireReasonCode = {
  PROTOCOL_VIOLATION: "PROTOCOL_VIOLATION",
} as const;
export type WireReasonCode = (typeof WireReasonCode)[keyof typeof WireReasonCode];

export interface WireReason {
  code: WireReasonCode;
  message: string;
}

export interface ChallengeRun<O extends ChallengeOutcome> {
  outcome: O;
  /** Wire-level faults (malformed frames) on top of the verifier's reasons. */
  wireReasons: WireReason[];
  /** Final result: the verifier's, downgraded to FAIL on a protocol violation. */
  result: CheckResult;
  transcript: Transcript;
  encodedTranscript: Uint8Array;
  transcriptHash: Hex;
}

export interface ChallengeClientComponents {
  /** The libp2p host (only `dialProtocol` is used). */
  host: {
    dialProtocol(
      peer: PeerId | Multiaddr,
      protocols: string,
      options?: { signal?: AbortSignal },
    ): Promise<Stream>;
  };
  logger: Logger;
  metrics?: Metrics;
}

export interface ChallengeClientInit {
  params: ProtocolParams;
  /** Where this checker runs (its configuration): the origin of the speed-of-light bound. */
  checkerRegion: RegionId | Region;
}

export interface LatencyTarget {
  peer: PeerId | Multiaddr;
  /** Raw bytes of the provider's peer id, for the transcript. */
  peerBytes: Uint8Array;
  claimedRegion: RegionId | Region;
}

export interface MatmulTarget {
  peer: PeerId | Multiaddr;
  peerBytes: Uint8Array;
  /** Claimed GPU class code. */
  classId: number;
}

/**
 * The checker's side of `/checkernet/challenge/1.0.0` (PROTOCOL.md). Each run
 * opens one stream, follows the message order of its challenge kind, reads
 * with bounded frames and deadlines, and hands what arrived to the protocol's
 * verifier. A provider that misbehaves never makes a run throw: it gets
 * FAIL or TIMEOUT, and the transcript keeps what happened.
 */
export class ChallengeClient {
  private readonly components: ChallengeClientComponents;
  private readonly init: ChallengeClientInit;

  constructor(components: ChallengeClientComponents, init: ChallengeClientInit) {
    this.components = components;
    this.init = init;
  }

  /** Nonced pings at the schedule derived from `seed`; RTTs on the checker's clock. */
  async runLatency(target: LatencyTarget, seed: Bytes32Like): Promise<ChallengeRun<LatencyOutcome>> {
    const { params } = this.init;
    const schedule = pingSchedule(seed, params);
    const rec = new TranscriptRecorder(ChallengeKind.LATENCY, target.peerBytes);
    const sentAtUs = new Map<number, number>();
    const pongs: ReceivedPong[] = [];
    const wireReasons: WireReason[] = [];
    let wireError = "";
    const timer = this.components.metrics?.challengeSeconds.startTimer({ kind: "latency" });
    const stream = await this.open(target.peer).catch((e: unknown) => {
      wireError = e instanceof FrameError ? e.code : FrameErrorCode.CLOSED;
      return undefined;
    });
    if (stream !== undefined) {
      const start = Date.now();
      const lastSend = start + (schedule.at(-1)?.sendAtMs ?? 0);
      const readDeadline = lastSend + params.pingTimeoutMs;
      const reader = new FrameReader(stream);
      const writer = (async () => {
        for (const ping of schedule) {
          const wait = start + ping.sendAtMs - Date.now();
          if (wait > 0) await sleep(wait);
          const body = pingCodec.encode({ seq: ping.seq, nonce: ping.nonce });
          sentAtUs.set(ping.seq, rec.record(Direction.SENT, FrameType.PING, body));
          await writeFrame(stream, FrameType.PING, body, readDeadline);
        }
      })();
      writer.catch(() => undefined);
      try {
        while (pongs.length < schedule.length) {
          const frame = await reader.read({ [FrameType.PONG]: pongCodec.maxBytes }, readDeadline);
          const atUs = rec.record(Direction.RECEIVED, frame.type, frame.body);
          const pong = pongCodec.decode(frame.body);
          const sent = sentAtUs.get(pong.seq);
          // A pong for a ping not sent yet is unsolicited: its RTT would be negative.
          const rttUs = sent === undefined ? 0 : atUs - sent;
          if (sent !== undefined && rttUs > params.pingTimeoutMs * 1000) continue;
          pongs.push({ ...pong, rttUs });
        }
        await writer;
      } catch (e) {
        wireError = this.wireFault(e, wireReasons);
      } finally {
        await this.close(stream);
      }
    }
    // Pings never sent (the stream broke first) count as sent and lost.
    const pings: Ping[] = schedule.map(({ seq, nonce }) => ({ seq, nonce }));
    const outcome = verifyLatency({
      pings,
      pongs,
      claimedRegion: target.claimedRegion,
      checkerRegion: this.init.checkerRegion,
      params,
    });
    timer?.();
    return this.finish("latency", outcome, wireReasons, rec, wireError);
  }

  /**
   * Commit-then-open matmul: send the request, time the commitment against
   * the class deadline, then ask for rows sampled from the commitment and the
   * checker's secret randomness, and check only those rows.
   */
  async runMatmul(
    target: MatmulTarget,
    task: { seed: Bytes32Like; randomness: Bytes32Like; n: number; networkRttMs: number },
  ): Promise<ChallengeRun<MatmulOutcome>> {
    const { params } = this.init;
    const { n } = task;
    const count = Math.min(params.matmulSampledRows, n);
    const deadlineMs = matmulDeadlineMs(target.classId, n, task.networkRttMs, params);
    const rec = new TranscriptRecorder(ChallengeKind.MATMUL, target.peerBytes);
    const wireReasons: WireReason[] = [];
    let wireError = "";
    let commitment: MatmulCommit | null = null;
    let openings: MatmulRows | null = null;
    let requestedRows: number[] = [];
    let measuredMs = 0;
    const timer = this.components.metrics?.challengeSeconds.startTimer({ kind: "matmul" });
    const stream = await this.open(target.peer).catch((e: unknown) => {
      wireError = e instanceof FrameError ? e.code : FrameErrorCode.CLOSED;
      return undefined;
    });
    if (stream !== undefined) {
      const reader = new FrameReader(stream);
      try {
        const request = matmulRequestCodec.encode({
          seed: hex32(task.seed, "seed"),
          n,
          classId: target.classId,
        });
        const t0 = performance.now();
        rec.record(Direction.SENT, FrameType.MATMUL_REQUEST, request);
        const commitDeadline = Date.now() + deadlineMs * CHALLENGE_CLIENT_LIMITS.commitWaitFactor;
        await writeFrame(stream, FrameType.MATMUL_REQUEST, request, commitDeadline);
        const c = await reader.read(
          { [FrameType.MATMUL_COMMIT]: matmulCommitCodec.maxBytes },
          commitDeadline,
        );
        measuredMs = performance.now() - t0;
        rec.record(Direction.RECEIVED, c.type, c.body);
        commitment = matmulCommitCodec.decode(c.body);

        requestedRows = sampleRows(task.randomness, commitment.root, n, count);
        const open = matmulOpenCodec(n, count).encode({ rows: requestedRows });
        const rowsCodec = matmulRowsCodec(n, count);
        const openDeadline =
          Date.now() +
          Math.max(CHALLENGE_CLIENT_LIMITS.minOpenWaitMs, 4 * networkAllowanceMs(task.networkRttMs));
        rec.record(Direction.SENT, FrameType.MATMUL_OPEN, open);
        await writeFrame(stream, FrameType.MATMUL_OPEN, open, openDeadline);
        const r = await reader.read({ [FrameType.MATMUL_ROWS]: rowsCodec.maxBytes }, openDeadline);
        rec.record(Direction.RECEIVED, r.type, r.body);
        openings = rowsCodec.decode(r.body);
      } catch (e) {
        wireError = this.wireFault(e, wireReasons);
      } finally {
        await this.close(stream);
      }
    }
    const outcome = verifyMatmul({
      seed: task.seed,
      n,
      classId: target.classId,
      commitment,
      requestedRows: commitment === null ? [] : requestedRows,
      openings,
      measuredMs,
      networkRttMs: task.networkRttMs,
      params,
    });
    timer?.();
    return this.finish("matmul", outcome, wireReasons, rec, wireError);
  }

  private async open(peer: PeerId | Multiaddr): Promise<Stream> {
    return this.components.host.dialProtocol(peer, CHALLENGE_PROTOCOL, {
      signal: AbortSignal.timeout(CHALLENGE_CLIENT_LIMITS.openStreamMs),
    });
  }

  private async close(stream: Stream): Promise<void> {
    try {
      await stream.close({ signal: AbortSignal.timeout(1_000) });
    } catch {
      stream.abort(new Error("challenge run finished"));
    }
  }

  /**
   * Sorts a wire failure: timeouts and closed streams leave the verifier to
   * count what is missing (TIMEOUT); malformed, oversized, unexpected or
   * undecodable frames are the provider's fault (FAIL).
   */
  private wireFault(e: unknown, wireReasons: WireReason[]): string {
    if (e instanceof FrameError) {
      if (e.code !== FrameErrorCode.TIMEOUT && e.code !== FrameErrorCode.CLOSED) {
        wireReasons.push({ code: WireReasonCode.PROTOCOL_VIOLATION, message: e.message });
      }
      return e.code;
    }
    if (e instanceof DecodeError) {
      wireReasons.push({ code: WireReasonCode.PROTOCOL_VIOLATION, message: e.message });
      return e.code;
    }
    this.components.logger.warn({ err: e }, "challenge run failed unexpectedly");
    return FrameErrorCode.CLOSED;
  }

  private finish<O extends ChallengeOutcome>(
    kind: string,
    outcome: O,
    wireReasons: WireReason[],
    rec: TranscriptRecorder,
    wireError: string,
  ): ChallengeRun<O> {
    const result = wireReasons.length > 0 ? CheckResult.FAIL : outcome.result;
    const { transcript, encoded, hash } = rec.finish(wireError);
    const label = result === CheckResult.PASS ? "pass" : result === CheckResult.FAIL ? "fail" : "timeout";
    this.components.metrics?.challengeRuns.inc({ kind, result: label });
    return { outcome, wireReasons, result, transcript, encodedTranscript: encoded, transcriptHash: hash };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function challengeClient(init: ChallengeClientInit) {
  return (components: ChallengeClientComponents) => new ChallengeClient(components, init);
}
