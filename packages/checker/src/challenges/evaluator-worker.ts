/**
 * Worker thread of the transcript evaluator: runs `evaluateTranscript` off the
 * node's event loop, one WorkerPool task per transcript. Loaded by Node
 * directly (type stripping), so it imports only erasable TypeScript.
 *
 * Its module graph is the protocol's challenge code and nothing else (no
 * viem root barrel, no logger, no libp2p): workerModules.ts installs the hooks
 * before the protocol is imported, so the import below is dynamic.
 * Ops: "evaluate" (a transcript → its RunOutcome) and "modules" (the URLs this
 * thread loaded: docs/footprint.md, and the test that keeps viem out).
 */
import { parentPort, workerData } from "node:worker_threads";
import type { ChallengeTranscript } from "@checkernet/protocol/challenges/transcript";
import type { TaskReply, TaskRequest } from "@checkernet/runtime";
import type { EvaluatorWorkerData } from "./evaluator.ts";
import { installWorkerModuleHooks } from "./workerModules.ts";

const { params, slimViem } = workerData as EvaluatorWorkerData;
const port = parentPort;
if (port === null) throw new Error("evaluator-worker.ts must run in a worker thread");

const modules = installWorkerModuleHooks({ slimViem: slimViem !== false });
const { evaluateTranscript } = await import("@checkernet/protocol/challenges/transcript");

port.on("message", (task: TaskRequest) => {
  let reply: TaskReply;
  try {
    const value =
      task.op === "modules"
        ? { slimViem: modules.slimViem, loaded: [...modules.loaded] }
        : evaluateTranscript(task.args as ChallengeTranscript, params);
    reply = { id: task.id, ok: true, value };
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
