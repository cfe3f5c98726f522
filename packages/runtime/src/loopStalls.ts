import { performance } from "node:perf_hooks";

/** One interval in which this process's event loop ran nothing else (performance.now() ms). */
export interface LoopStall {
  fromMs: number;
  toMs: number;
}

export const LOOP_STALL_LIMITS = {
  /** How often the probe asks to run: a stall is seen to within about this much. */
  tickMs: 10,
  /** A tick later than this is a stall (timer jitter on a healthy loop is a few ms). */
  minStallMs: 5,
  /** Stalls kept: the oldest go first; a challenge run reads only its own last seconds. */
  maxStalls: 2_048,
} as const;

/**
 * Records when this process's event loop stalled (a busy main thread, a
 * garbage-collection pause, or the whole process waiting for a core), so that
 * a timed exchange can subtract the time its own process could not have read
 * an answer. A late tick of a short interval timer is exactly that: the loop
 * could not run the timer, so it could not run a socket read either.
 *
 * The probe runs only while someone holds it (`acquire` … `release`), so an
 * idle node pays nothing for it.
 */
export class LoopStallMonitor {
  private readonly stalls: LoopStall[] = [];
  private holders = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastTickMs = 0;
  private readonly now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.now = now;
  }

  /** Starts the probe (if it is not running) for one holder. */
  acquire(): void {
    this.holders++;
    if (this.timer !== undefined) return;
    this.lastTickMs = this.now();
    this.timer = setInterval(() => this.tick(), LOOP_STALL_LIMITS.tickMs);
  }

  /** Stops the probe when its last holder lets go. */
  release(): void {
    this.holders = Math.max(0, this.holders - 1);
    if (this.holders > 0 || this.timer === undefined) return;
    this.tick();
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Milliseconds of stall that overlap [fromMs, toMs]: an upper bound on how
   * much later than its arrival anything received in that interval was read.
   * Includes a stall still in progress (the time since the last tick).
   */
  stalledWithin(fromMs: number, toMs: number): number {
    let total = 0;
    for (const s of this.current()) total += Math.max(0, Math.min(s.toMs, toMs) - Math.max(s.fromMs, fromMs));
    return total;
  }

  /** The stalls overlapping [fromMs, toMs], clipped to it. */
  stallsWithin(fromMs: number, toMs: number): LoopStall[] {
    return this.current()
      .map((s) => ({ fromMs: Math.max(s.fromMs, fromMs), toMs: Math.min(s.toMs, toMs) }))
      .filter((s) => s.toMs > s.fromMs);
  }

  /**
   * True when one stall covers all of [fromMs, toMs], to within the probe's
   * resolution: the loop ran nothing in that time, so nothing received in it
   * was read before its end.
   */
  stalledThroughout(fromMs: number, toMs: number): boolean {
    const slack = LOOP_STALL_LIMITS.tickMs + LOOP_STALL_LIMITS.minStallMs;
    return this.current().some((s) => s.fromMs <= fromMs + slack && s.toMs >= toMs - slack);
  }

  private current(): LoopStall[] {
    if (this.timer === undefined) return this.stalls;
    // The tick now due but not yet run is a stall too, if it is late.
    const pending = this.stallEndingAt(this.now());
    return pending === undefined ? this.stalls : [...this.stalls, pending];
  }

  private tick(): void {
    const now = this.now();
    const stall = this.stallEndingAt(now);
    if (stall !== undefined) {
      this.stalls.push(stall);
      if (this.stalls.length > LOOP_STALL_LIMITS.maxStalls) this.stalls.shift();
    }
    this.lastTickMs = now;
  }

  private stallEndingAt(now: number): LoopStall | undefined {
    const due = this.lastTickMs + LOOP_STALL_LIMITS.tickMs;
    return now - due > LOOP_STALL_LIMITS.minStallMs ? { fromMs: due, toMs: now } : undefined;
  }
}
