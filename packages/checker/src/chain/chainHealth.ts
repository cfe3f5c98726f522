import { BaseError, HttpRequestError, TimeoutError } from "viem";

/** What `/status` says about the RPC: the truth as the node's own calls found it. */
interface ChainHealthStatus {
  /** null before any call ended; false while the last call got no answer or one hangs past the deadline. */
  connected: boolean | null;
  /** Why the RPC is taken for down (null while connected). */
  lastError: string | null;
  /** When the RPC last answered (a result or a JSON-RPC error: both prove it is there). */
  lastAnswerMs: number | null;
  /** When a call last got no answer (timeout, refused, HTTP error). */
  lastFailureMs: number | null;
}

/** How a call ended, as far as the RPC's reachability goes. */
export const RpcOutcome = {
  /** The RPC sent a JSON-RPC response (a result or an error such as a revert). */
  ANSWERED: "answered",
  /** No response: timed out, connection refused or reset, or an HTTP error status. */
  NO_ANSWER: "no_answer",
  /** The caller aborted: says nothing about the RPC. */
  ABORTED: "aborted",
} as const;
export type RpcOutcome = (typeof RpcOutcome)[keyof typeof RpcOutcome];

/**
 * Whether the chain RPC answers, from every call the node makes through it
 * (chainTransport records each one). It is down when a call sent no earlier
 * than the latest-sent call that got an answer got none itself, or has waited
 * `stallAfterMs` (the per-attempt deadline) for one: a stopped RPC process
 * that accepts connections and never replies shows as down one deadline
 * after the first call to it, not when that call's retries run out. It is up
 * again with an answer to a later call; a call sent before that one and
 * timing out after it does not count (the RPC has answered since it was sent).
 *
 * Calls are ordered by when they were sent, not by when their answers came:
 * two calls sent together (a refresh's Promise.all) of which one was answered
 * just before the RPC stopped prove nothing about the other. Ordering by the
 * answer's arrival let that answer hide the other call's hang, and the outage
 * then showed only after a refresh backoff and one more deadline (20 s, not 5).
 */
export class ChainHealth {
  private readonly stallAfterMs: number;
  private readonly now: () => number;
  /** Start times of calls in flight. */
  private readonly inFlight = new Map<number, number>();
  private nextId = 0;
  private lastAnswerMs: number | null = null;
  /** When the latest-sent call that got an answer was sent. */
  private lastAnswerSentMs: number | null = null;
  private lastFailureMs: number | null = null;
  /** When the latest failed call was sent (it counts only if sent at or after the last answer). */
  private lastFailureSentMs: number | null = null;
  private lastError: string | null = null;

  constructor(init: { stallAfterMs: number; now?: () => number }) {
    this.stallAfterMs = init.stallAfterMs;
    this.now = init.now ?? Date.now;
  }

  /** A call starts; pass the id to end(). */
  begin(): number {
    const id = this.nextId++;
    this.inFlight.set(id, this.now());
    return id;
  }

  /** A call ended; a failure's error says why the RPC is down. */
  end(id: number, outcome: RpcOutcome, error?: unknown): void {
    const sent = this.inFlight.get(id) ?? this.now();
    this.inFlight.delete(id);
    if (outcome === RpcOutcome.ANSWERED) {
      this.lastAnswerMs = this.now();
      this.lastAnswerSentMs = Math.max(this.lastAnswerSentMs ?? sent, sent);
    } else if (outcome === RpcOutcome.NO_ANSWER && sent >= (this.lastFailureSentMs ?? sent)) {
      this.lastFailureMs = this.now();
      this.lastFailureSentMs = sent;
      this.lastError = describeRpcFailure(error);
    }
  }

  status(): ChainHealthStatus {
    const now = this.now();
    const answered = this.lastAnswerSentMs ?? Number.NEGATIVE_INFINITY;
    const failedLast = this.lastFailureSentMs !== null && this.lastFailureSentMs >= answered;
    // The oldest call still waiting that was sent no earlier than the latest answered one.
    let stalledSince: number | undefined;
    for (const started of this.inFlight.values()) {
      if (started >= answered && now - started >= this.stallAfterMs) {
        stalledSince = Math.min(stalledSince ?? started, started);
      }
    }
    const base = { lastAnswerMs: this.lastAnswerMs, lastFailureMs: this.lastFailureMs };
    if (failedLast) return { ...base, connected: false, lastError: this.lastError };
    if (stalledSince !== undefined) {
      const waited = Math.round((now - stalledSince) / 100) / 10;
      return { ...base, connected: false, lastError: `no answer for ${waited} s (a call is still waiting)` };
    }
    return { ...base, connected: this.lastAnswerMs === null ? null : true, lastError: null };
  }
}

/** How a call through the RPC ended: an answer, no answer, or the caller's abort. */
export function rpcOutcomeOf(error: unknown): RpcOutcome {
  if (typeof error === "object" && error !== null && (error as { name?: unknown }).name === "AbortError")
    return RpcOutcome.ABORTED;
  // Not one of viem's errors: the request did not get through (viem wraps every answer it decodes).
  if (!(error instanceof BaseError)) return RpcOutcome.NO_ANSWER;
  return isNoAnswer(error) ? RpcOutcome.NO_ANSWER : RpcOutcome.ANSWERED;
}

/** Whether `error` is viem's "no response": a timeout, or a failed or non-JSON-RPC HTTP exchange. */
export function isNoAnswer(error: unknown): boolean {
  return (
    error instanceof BaseError &&
    error.walk((e) => e instanceof TimeoutError || e instanceof HttpRequestError) !== null
  );
}

/** Whether `error` is a timeout (retrying one only doubles the wait on a hung RPC). */
export function isRpcTimeout(error: unknown): boolean {
  return error instanceof BaseError && error.walk((e) => e instanceof TimeoutError) !== null;
}

/**
 * One line for /status: a timeout, an HTTP status, or the socket error's code
 * (ECONNREFUSED, ECONNRESET) that Node's fetch hides under "fetch failed".
 */
function describeRpcFailure(error: unknown): string {
  if (error instanceof BaseError) {
    const timeout = error.walk((e) => e instanceof TimeoutError);
    if (timeout !== null) return "timed out: the RPC accepted the request but did not answer";
    const http = error.walk((e) => e instanceof HttpRequestError) as HttpRequestError | null;
    if (http?.status !== undefined) return `HTTP ${http.status} from the RPC`;
  }
  const codes: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e instanceof Error && depth < 8; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
    e = e.cause;
  }
  if (codes.length > 0) return `${codes[codes.length - 1]}: the RPC cannot be reached`;
  return (error as { shortMessage?: string }).shortMessage ?? (error as Error)?.message ?? String(error);
}
