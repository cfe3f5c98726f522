/**
 * The node's one worker thread (computeWorker.ts): evaluates challenge transcripts, checks BLS
 * signature batches and searches VRAM fraud proofs off the event loop, one task at a time. Loaded by
 * Node directly (type stripping), so it imports only erasable TypeScript.
 *
 * Its module graph is the protocol's challenge, BLS and fraud code and nothing else (no viem root
 * barrel, no logger, no libp2p): workerModules.ts installs the hooks before the protocol is imported,
 * so the imports below are dynamic. The BLS backend (blst's native module, or noble) loads on the first
 * "ready" or "verify" task and the fraud code on the first "vramFraudProof" task, so a thread that only
 * evaluates never loads them.
 *
 * Ops: "evaluate" (a transcript → its RunOutcome), "verify" (signature sets → one boolean each),
 * "ready" (loads the BLS backend → true), "vramFraudProof" ({ transcript, from, budgetMs } → a
 * VramFraudSearch slice) and "modules" (the URLs this thread loaded: docs/footprint.md, and the test
 * that keeps viem out).
 */
import { parentPort, workerData } from "node:worker_threads";
import type { BlsBackend, SignatureSet } from "@checkernet/protocol/bls/backend";
import type { ChallengeTranscript } from "@checkernet/protocol/challenges/transcript";
import type { TaskReply, TaskRequest } from "@checkernet/runtime";
import type { ComputeWorkerData } from "./computeWorker.ts";
import type { VramFraudSearch } from "./vramFraudSearch.ts";
import { installWorkerModuleHooks } from "./workerModules.ts";

const { params, slimViem, blsPreference } = workerData as ComputeWorkerData;
const port = parentPort;
if (port === null) throw new Error("compute-worker.ts must run in a worker thread");

const modules = installWorkerModuleHooks({ slimViem: slimViem !== false });
const { evaluateTranscript } = await import("@checkernet/protocol/challenges/transcript");

let backend: Promise<BlsBackend> | undefined;
const blsBackend = (): Promise<BlsBackend> => {
  backend ??= import("@checkernet/protocol/bls/index").then((m) => m.loadBlsBackend(blsPreference));
  return backend;
};
let fraud: Promise<typeof import("./vramFraudSearch.ts")> | undefined;

async function run(task: TaskRequest): Promise<unknown> {
  switch (task.op) {
    case "evaluate":
      return evaluateTranscript(task.args as ChallengeTranscript, params);
    case "verify": {
      const [b, { checkSets }] = await Promise.all([blsBackend(), import("../validation/bls/checkSets.ts")]);
      return checkSets(b, task.args as SignatureSet[]);
    }
    case "ready":
      await blsBackend();
      return true;
    case "vramFraudProof": {
      fraud ??= import("./vramFraudSearch.ts");
      const { transcript, from, budgetMs } = task.args as {
        transcript: ChallengeTranscript;
        from: number;
        budgetMs: number;
      };
      return (await fraud).searchVramFraudProof(transcript, from, budgetMs) satisfies VramFraudSearch;
    }
    case "modules":
      return { slimViem: modules.slimViem, loaded: [...modules.loaded] };
    default:
      throw new Error(`unknown op ${task.op}`);
  }
}

port.on("message", (task: TaskRequest) => {
  run(task)
    .then(
      (value): TaskReply => ({ id: task.id, ok: true, value }),
      (err: unknown): TaskReply => {
        const e = err as Error & { code?: unknown };
        return {
          id: task.id,
          ok: false,
          error: {
            name: e.name,
            message: e.message,
            ...(typeof e.code === "string" ? { code: e.code } : {}),
          },
        };
      },
    )
    .then((reply) => port.postMessage(reply));
});
