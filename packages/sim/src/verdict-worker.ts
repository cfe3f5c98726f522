import { parentPort, workerData } from "node:worker_threads";
import { computeColumns, type VerdictParams, type VerdictSegments } from "./verdicts.ts";

/** Worker side of `workerVerdicts`: computeVerdict on each segment it is sent. */
const params = (workerData as { params: VerdictParams }).params;
parentPort?.on("message", (msg: { id: number; seg: VerdictSegments }) => {
  const cols = computeColumns(msg.seg, params);
  parentPort?.postMessage({ id: msg.id, cols }, [
    cols.verdict.buffer as ArrayBuffer,
    cols.scoreBps.buffer as ArrayBuffer,
    cols.medianLatencyUs.buffer as ArrayBuffer,
    cols.attestations.buffer as ArrayBuffer,
    cols.failures.buffer as ArrayBuffer,
  ]);
});
