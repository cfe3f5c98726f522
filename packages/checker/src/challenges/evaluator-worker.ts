/**
 * Worker thread of the transcript evaluator: runs `evaluateTranscript` off the
 * node's event loop, one WorkerPool task per transcript. Loaded by Node
 * directly (type stripping), so it imports only erasable TypeScript.
 */
import { parentPort, workerData } from "node:worker_threads";
import { type ChallengeTranscript, evaluateTranscript } from "@checkernet/protocol/challenges/transcript";
import type { TaskReply, TaskRequest } from "@checkernet/runtime";
import type { EvaluatorWorkerData } from "./evaluator.ts";

const { params } = workerData as EvaluatorWorkerData;
const port = parentPort;
if (port === null) throw new Error("evaluator-worker.ts must run in a worker thread");

port.on("message", (task: TaskRequest) => {
  let reply: TaskReply;
  try {
    reply = { id: task.id, ok: true, value: evaluateTranscript(task.args as ChallengeTranscript, params) };
  } catch (err) {
    const e = err as Error & { code?: unknown };
    reply = {
      id: task.id,
      ok: false,
      error: { name: e.name, message: e.message, ...(typeof e.code === "string" ? { code: e.code } : {}) },
    };
  }
  port.postMessage(reply);
});
