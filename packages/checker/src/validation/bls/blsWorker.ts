/**
 * Worker thread of the BLS batch verifier: checks a batch of signature sets off
 * the node's event loop (one WorkerPool task per batch), so a flood of bad
 * signatures cannot stall the latency pings and challenge streams (issue 14).
 * Loaded by Node directly (type stripping), so it imports only erasable TypeScript.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { SignatureSet } from "@checkernet/protocol/bls/backend";
import { type BlsBackendPreference, loadBlsBackend } from "@checkernet/protocol/bls/index";
import type { TaskReply, TaskRequest } from "@checkernet/runtime";
import { checkSets } from "./checkSets.ts";

const { preference } = workerData as { preference: BlsBackendPreference };
const port = parentPort;
if (port === null) throw new Error("blsWorker.ts must run in a worker thread");
const backend = loadBlsBackend(preference);

port.on("message", (task: TaskRequest) => {
  backend
    .then(
      (b) =>
        ({ id: task.id, ok: true, value: checkSets(b, task.args as SignatureSet[]) }) satisfies TaskReply,
    )
    .catch(
      (err: Error) =>
        ({ id: task.id, ok: false, error: { name: err.name, message: err.message } }) satisfies TaskReply,
    )
    .then((reply) => port.postMessage(reply));
});
