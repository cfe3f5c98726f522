import { afterEach, describe, expect, it } from "vitest";
import { sleep } from "../src/sleep.ts";
import { WorkerPool, WorkerPoolErrorCode } from "../src/workerPool.ts";

const WORKER = new URL("./fixtures/taskWorker.ts", import.meta.url);

describe("WorkerPool", () => {
  const pools: WorkerPool[] = [];
  const pool = (options: { size?: number; maxQueue?: number } = {}) => {
    const p = new WorkerPool(WORKER, options);
    pools.push(p);
    return p;
  };
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.close()));
  });

  it("answers every task, more tasks than workers, in its own reply", async () => {
    const p = pool({ size: 2 });
    const replies = await Promise.all([1, 2, 3, 4, 5].map((n) => p.run<number>("echo", n)));
    expect(replies).toEqual([1, 2, 3, 4, 5]);
  });

  it("fails a task its worker refuses, and keeps serving", async () => {
    const p = pool({ size: 1 });
    await expect(p.run("nope", null)).rejects.toMatchObject({ code: WorkerPoolErrorCode.TASK_FAILED });
    expect(await p.run("echo", "after")).toBe("after");
  });

  it("fails the task of a worker that dies and replaces the worker", async () => {
    const p = pool({ size: 1 });
    await expect(p.run("exit", null)).rejects.toMatchObject({ code: WorkerPoolErrorCode.WORKER_DIED });
    expect(await p.run("echo", "replaced")).toBe("replaced");
  });

  it("refuses beyond its queue, and everything once closed", async () => {
    const p = pool({ size: 1, maxQueue: 1 });
    const first = p.run("echo", 1);
    const queued = p.run("echo", 2);
    await expect(p.run("echo", 3)).rejects.toMatchObject({ code: WorkerPoolErrorCode.QUEUE_FULL });
    expect(await Promise.all([first, queued])).toEqual([1, 2]);
    await p.close();
    await expect(p.run("echo", 4)).rejects.toMatchObject({ code: WorkerPoolErrorCode.CLOSED });
  });
});

describe("sleep", () => {
  it("resolves after its time, and at once when its signal aborts", async () => {
    const started = Date.now();
    await sleep(30);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    const abort = new AbortController();
    const waiting = sleep(60_000, abort.signal);
    abort.abort();
    await waiting;
  });
});
