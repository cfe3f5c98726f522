/**
 * Worker thread of the transcript evaluator: runs `evaluateTranscript` off the
 * node's event loop. Loaded by Node directly (type stripping), so it imports
 * only erasable TypeScript.
 */
import { parentPort, workerData } from "node:worker_threads";
import { evaluateTranscript } from "@checkernet/protocol/challenges/transcript";
import type { EvaluateReply, EvaluateRequest, EvaluatorWorkerData } from "./evaluator.ts";

const { params } = workerData as EvaluatorWorkerData;

parentPort?.on("message", (request: EvaluateRequest) => {
  let reply: EvaluateReply;
  try {
    reply = { id: request.id, ok: true, outcome: evaluateTranscript(request.transcript, params) };
  } catch (e) {
    const err = e as { name?: string; message?: string; code?: unknown; details?: unknown };
    reply = {
      id: request.id,
      ok: false,
      error: {
        name: String(err.name ?? "Error"),
        message: String(err.message ?? e),
        ...(typeof err.code === "string" ? { code: err.code } : {}),
        ...(typeof err.details === "object" && err.details !== null
          ? { details: err.details as Record<string, unknown> }
          : {}),
      },
    };
  }
  try {
    parentPort?.postMessage(reply);
  } catch {
    // Details that cannot be cloned must not leave the caller waiting.
    if (!reply.ok) parentPort?.postMessage({ ...reply, error: { ...reply.error, details: {} } });
  }
});
