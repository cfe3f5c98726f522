/**
 * Worker thread of the CPU reference backend: runs the protocol's reference
 * solvers off the event loop. Loaded by Node directly (type stripping), so it
 * imports only erasable TypeScript.
 */
import { parentPort } from "node:worker_threads";
import { commitRows, generateMatmul, solveMatmul } from "@checkernet/protocol/challenges/matmul";
import { answerVram, generateVramBlockInto, type VramRequest } from "@checkernet/protocol/challenges/vram";
import type { TaskReply, TaskRequest } from "@checkernet/runtime";

export interface MatmulTaskArgs {
  seed: `0x${string}`;
  n: number;
}

export interface MatmulTaskResult {
  root: `0x${string}`;
  c: Int32Array;
  nodes: Uint8Array;
  leafCount: number;
  elapsedMs: number;
}

export interface VramFillArgs {
  seed: `0x${string}`;
  blockSize: number;
  /** Blocks [from, to) are written into `memory` at index · blockSize. */
  from: number;
  to: number;
  memory: SharedArrayBuffer;
}

export interface VramWalkArgs {
  request: VramRequest;
  memory: SharedArrayBuffer;
}

type Op = (args: never) => { value: unknown; transfer: ArrayBuffer[] };

const ops: Record<string, Op> = {
  matmul: (args: MatmulTaskArgs) => {
    const started = performance.now();
    const { a, b } = generateMatmul(args.seed, args.n);
    const c = solveMatmul(a, b, args.n);
    const { root, tree } = commitRows(c, args.n);
    const elapsedMs = performance.now() - started;
    const value: MatmulTaskResult = { root, c, nodes: tree.nodes, leafCount: tree.leafCount, elapsedMs };
    return { value, transfer: [c.buffer as ArrayBuffer, tree.nodes.buffer as ArrayBuffer] };
  },
  vramFill: (args: VramFillArgs) => {
    const view = new Uint8Array(args.memory);
    // Each block written where it lives: no 256 KiB array per block to copy and collect.
    for (let i = args.from; i < args.to; i++)
      generateVramBlockInto(
        args.seed,
        i,
        args.blockSize,
        view.subarray(i * args.blockSize, (i + 1) * args.blockSize),
      );
    return { value: null, transfer: [] };
  },
  vramWalk: (args: VramWalkArgs) => {
    const size = args.request.blockSize;
    const view = new Uint8Array(args.memory);
    // Views, not copies: the walk reads the resident blocks where they lie.
    const response = answerVram(args.request, (i) => view.subarray(i * size, (i + 1) * size));
    return { value: response, transfer: [] };
  },
};

const port = parentPort;
if (port === null) throw new Error("cpu-worker.ts must run in a worker thread");
port.on("message", (task: TaskRequest) => {
  let reply: TaskReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const op = ops[task.op];
    if (op === undefined) throw new Error(`unknown op ${task.op}`);
    const out = op(task.args as never);
    reply = { id: task.id, ok: true, value: out.value };
    transfer = out.transfer;
  } catch (err) {
    const e = err as Error & { code?: string };
    reply = {
      id: task.id,
      ok: false,
      error: { name: e.name, message: e.message, ...(e.code === undefined ? {} : { code: e.code }) },
    };
  }
  port.postMessage(reply, transfer);
});
