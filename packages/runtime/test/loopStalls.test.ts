import { performance } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { LoopStallMonitor } from "../src/loopStalls.ts";
import { sleep } from "../src/sleep.ts";

/** Keeps the main thread busy, as a CPU-heavy task on the event loop would. */
function blockFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

describe("LoopStallMonitor", () => {
  it("sees a blocked event loop, where it happened and for how long", async () => {
    const monitor = new LoopStallMonitor();
    monitor.acquire();
    await sleep(30);
    const before = performance.now();
    blockFor(300);
    const after = performance.now();
    await sleep(30);
    monitor.release();
    // At least the block (a busy machine only adds to it), and located inside it.
    expect(monitor.stalledWithin(before, after)).toBeGreaterThanOrEqual(250);
    const stalls = monitor.stallsWithin(before, after);
    expect(stalls.length).toBeGreaterThan(0);
    for (const s of stalls) expect(s.fromMs).toBeGreaterThanOrEqual(before);
    // A window that ends before the block saw none of it.
    expect(monitor.stalledWithin(before - 1_000, before - 500)).toBe(0);
  });

  it("counts a stall still in progress, before the probe's own tick has run", async () => {
    const monitor = new LoopStallMonitor();
    monitor.acquire();
    await sleep(30);
    const before = performance.now();
    blockFor(200);
    // Read synchronously, as a socket handler that runs before the probe's timer would.
    const seen = monitor.stalledWithin(before, performance.now());
    monitor.release();
    expect(seen).toBeGreaterThanOrEqual(150);
  });

  it("runs only while held, and its clock is the one it is given", () => {
    let t = 0;
    const monitor = new LoopStallMonitor(() => t);
    // Never acquired: no probe, so no stall can be inferred from the clock alone.
    t = 5_000;
    expect(monitor.stalledWithin(0, 10_000)).toBe(0);
    monitor.acquire();
    t = 5_500;
    // 500 ms since acquire with no tick: the loop has not run the probe.
    expect(monitor.stalledWithin(5_000, 6_000)).toBeGreaterThan(400);
    monitor.release();
    monitor.release();
    expect(monitor.stalledWithin(0, 10_000)).toBeGreaterThan(400);
  });
});
