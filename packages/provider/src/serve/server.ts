import {
  type Admit,
  CHALLENGE_PROTOCOL,
  CHALLENGE_PROTOCOL_1_0,
  encodeAdmitted,
  FrameStream,
  FrameType,
  typedPayload,
  WireError,
} from "@checkernet/wire";
import type { Connection, Libp2p, Stream } from "@libp2p/interface";
import type { Logger } from "pino";
import { type Address, getAddress } from "viem";
import type { ComputeBackend } from "../backend/backend.ts";
import { DeviceAdmission, type DeviceHold } from "./admission.ts";
import type { AnswerSigner } from "./answerSigner.ts";
import { handleLatency } from "./handlers/latency.ts";
import { handleMatmul } from "./handlers/matmul.ts";
import { handleVram } from "./handlers/vram.ts";
import { DEFAULT_SERVE_LIMITS, type ServeLimits } from "./limits.ts";
import { decodeRequest, encodeError, type Request, ServeError, ServeErrorCode } from "./messages.ts";
import { type ExchangeContext, honestBehaviour, type ServeBehaviour } from "./session.ts";

export interface ChallengeServerOptions {
  host: Libp2p;
  /**
   * This provider's registry address: a run whose ADMIT names another is refused (WRONG_PROVIDER), since
   * that is an entry registered by someone else under this provider's peer id (review4 L3).
   */
  provider: Address;
  /** The honest backend; ignored when `behaviour` is given (its sessions carry their own). */
  backend: ComputeBackend;
  log: Logger;
  limits?: Partial<ServeLimits>;
  behaviour?: ServeBehaviour;
  /** Signs matmul commitments with the answer key; absent: they go unsigned (no key registered). */
  answerSigner?: AnswerSigner;
  /**
   * The device's queue, when this server shares its device (an agent's providers on one worker pool,
   * serve/agent.ts); absent: its own, from `limits`.
   */
  admission?: DeviceAdmission;
}

/** Counters for `provider status` and the tests. */
export interface ServeStats {
  streams: number;
  refused: number;
  completed: number;
  errors: Record<string, number>;
}

/** Another entry's addresses warned about, at most: one line per squatter, not one per run. */
const MAX_SQUATTERS_WARNED = 64;

/**
 * Serves `/checkernet/challenge/1.1.0` (and 1.0.0 to checkers not yet
 * upgraded, PROTOCOL.md "Versions"): one stream per challenge, the first
 * frame names the exchange (latency, matmul, vram), and each handler runs the
 * exchange to its end. The remote peer id comes from the Noise-authenticated
 * connection, never from a message.
 */
export class ChallengeServer {
  readonly limits: ServeLimits;
  readonly stats: ServeStats = { streams: 0, refused: 0, completed: 0, errors: {} };
  readonly #host: Libp2p;
  readonly #provider: Address;
  readonly #squattersWarned = new Set<Address>();
  readonly #log: Logger;
  readonly #behaviour: ServeBehaviour;
  readonly #signer: AnswerSigner | undefined;
  readonly #stopping = new AbortController();
  readonly #active = new Set<Promise<void>>();
  readonly #admission: DeviceAdmission;
  #matmulSlots = 0;

  constructor(options: ChallengeServerOptions) {
    this.#host = options.host;
    this.#provider = getAddress(options.provider);
    this.#log = options.log;
    this.limits = { ...DEFAULT_SERVE_LIMITS, ...options.limits };
    this.#behaviour = options.behaviour ?? honestBehaviour(options.backend);
    this.#signer = options.answerSigner;
    this.#admission = options.admission ?? new DeviceAdmission(this.limits);
  }

  async start(): Promise<void> {
    await this.#host.handle(
      [CHALLENGE_PROTOCOL, CHALLENGE_PROTOCOL_1_0],
      (stream, connection) => {
        const run = this.#serve(stream, connection);
        this.#active.add(run);
        void run.finally(() => this.#active.delete(run));
      },
      { maxInboundStreams: this.limits.maxInboundStreamsPerConnection },
    );
  }

  async stop(): Promise<void> {
    await this.#host.unhandle(CHALLENGE_PROTOCOL);
    await this.#host.unhandle(CHALLENGE_PROTOCOL_1_0);
    this.#stopping.abort(new Error("server stopping"));
    await Promise.allSettled([...this.#active]);
  }

  async #serve(stream: Stream, connection: Connection): Promise<void> {
    const remotePeer = connection.remotePeer.toString();
    const log = this.#log.child({ peer: remotePeer, stream: stream.id });
    this.stats.streams++;
    const session = this.#behaviour.session(remotePeer);
    if (session === undefined) {
      this.stats.refused++;
      log.debug("challenge refused by the fault gate");
      stream.abort(new Error("not answering"));
      return;
    }
    const signal = AbortSignal.any([this.#stopping.signal, AbortSignal.timeout(this.limits.streamTimeoutMs)]);
    const frames = new FrameStream(stream);
    let first = true;
    let hold: DeviceHold | undefined;
    const ctx: ExchangeContext = {
      frames,
      backend: session.backend,
      limits: this.limits,
      session,
      signal,
      remotePeer,
      log,
      next: () => {
        const wait = first ? this.limits.firstFrameTimeoutMs : this.limits.nextFrameTimeoutMs;
        first = false;
        return frames.read(
          this.limits.maxRequestFrameBytes,
          AbortSignal.any([signal, AbortSignal.timeout(wait)]),
        );
      },
      answer: (payload) => session.write(frames, payload, signal),
      releaseDevice: () => hold?.release(),
      ...(this.#signer === undefined
        ? {}
        : { signCommitment: this.#signer.signCommitment, signRun: this.#signer.signRun }),
      acquireMatmulSlot: () => {
        if (this.#matmulSlots >= this.limits.maxConcurrentMatmul) return undefined;
        this.#matmulSlots++;
        let released = false;
        return () => {
          if (!released) this.#matmulSlots--;
          released = true;
        };
      },
    };
    try {
      const frame = await ctx.next();
      if (frame === null) {
        await stream.close();
        return;
      }
      let request = decodeRequest(frame, stream.protocol);
      if (request.type === FrameType.ADMIT) {
        // Before the queue: another entry's runs never wait for, nor hold, this provider's device.
        this.#refuseOtherEntry(request.admit, log);
        // Per (this provider, checker): a shared queue counts each provider's streams apart.
        hold = await this.#admission.admit(`${this.#host.peerId.toString()}/${remotePeer}`, signal);
        const timed = await this.#admitted(ctx, request.admit.request, hold);
        if (timed === null) return;
        request = timed;
      }
      const startedMs = performance.now();
      switch (request.type) {
        case FrameType.PING:
          await handleLatency(ctx, request.ping);
          break;
        case FrameType.MATMUL_REQUEST:
          await handleMatmul(ctx, request.matmul);
          break;
        case FrameType.VRAM_QUERY:
          await handleVram(ctx, request.vram);
          break;
      }
      this.stats.completed++;
      if (request.type !== FrameType.PING) {
        // What a provider reads when a checker says it was late: how long the answer took here.
        log.info(
          {
            kind: request.type === FrameType.MATMUL_REQUEST ? "matmul" : "vram",
            exchangeMs: Math.round(performance.now() - startedMs),
            ...(hold === undefined ? {} : { queuedMs: Math.round(hold.queuedMs) }),
          },
          "challenge served",
        );
      }
      await stream.close({ signal });
    } catch (err) {
      await this.#fail(stream, frames, err as Error, log);
    } finally {
      hold?.release();
    }
  }

  /**
   * The device is this stream's: says ADMITTED, then reads the timed request the ADMIT named, which must
   * come at once (admittedRequestTimeoutMs). Null when the checker ended the stream instead.
   */
  async #admitted(
    ctx: ExchangeContext,
    wanted: FrameType,
    hold: DeviceHold,
  ): Promise<Exclude<Request, { type: typeof FrameType.ADMIT }> | null> {
    await ctx.answer(typedPayload(FrameType.ADMITTED, encodeAdmitted(hold.queuedMs)));
    const frame = await ctx.frames.read(
      this.limits.maxRequestFrameBytes,
      AbortSignal.any([ctx.signal, AbortSignal.timeout(this.limits.admittedRequestTimeoutMs)]),
    );
    if (frame === null) return null;
    const request = decodeRequest(frame, ctx.frames.stream.protocol);
    if (request.type !== wanted) {
      throw new ServeError(
        ServeErrorCode.UNEXPECTED_TYPE,
        `admitted for 0x${wanted.toString(16)}, got 0x${request.type.toString(16)}`,
        { type: request.type, expected: wanted },
      );
    }
    return request as Exclude<Request, { type: typeof FrameType.ADMIT }>;
  }

  /**
   * Throws WRONG_PROVIDER when ADMIT names a provider other than this one: a registry entry naming this
   * provider's peer id without being its own, whose checkers would otherwise have this device's answers
   * pass for that entry. Under CHALLENGE_PROTOCOL_1_0 ADMIT names none, and the run is served.
   */
  #refuseOtherEntry(admit: Admit, log: Logger): void {
    if (admit.provider === null || admit.provider === this.#provider) return;
    if (!this.#squattersWarned.has(admit.provider) && this.#squattersWarned.size < MAX_SQUATTERS_WARNED) {
      this.#squattersWarned.add(admit.provider);
      log.warn(
        { entry: admit.provider, provider: this.#provider },
        "another registry entry names this provider's peer id: its checkers' runs are refused",
      );
    }
    throw new ServeError(
      ServeErrorCode.WRONG_PROVIDER,
      `this is provider ${this.#provider}, not ${admit.provider}: that entry names this provider's peer id`,
      { provider: this.#provider, admitted: admit.provider },
    );
  }

  /** Tells the checker why (when the stream still takes writes), then resets the stream. */
  async #fail(stream: Stream, frames: FrameStream, err: Error, log: Logger): Promise<void> {
    const code =
      err instanceof ServeError || err instanceof WireError
        ? err.code
        : ((err as Error & { code?: string }).code ?? ServeErrorCode.INTERNAL);
    this.stats.errors[code] = (this.stats.errors[code] ?? 0) + 1;
    log.debug({ code, err: err.message }, "challenge stream failed");
    if (stream.writeStatus === "writable" && stream.status === "open") {
      try {
        // The error frame is advisory: the checker scores a missing answer the same way.
        const message =
          err instanceof ServeError || err instanceof WireError ? err.message : "internal error";
        await frames.write(encodeError(code, message), { signal: AbortSignal.timeout(1_000) });
        await stream.close({ signal: AbortSignal.timeout(1_000) });
        return;
      } catch {
        // fall through to abort
      }
    }
    stream.abort(err);
  }
}
