import type { Libp2p } from "@libp2p/interface";
import type { Logger } from "pino";
import type { Address } from "viem";
import type { ComputeBackend, VramDataset } from "../backend/backend.ts";
import { applyFault, type FaultOptions, type FaultRuntime } from "../faults/faults.ts";
import { type FaultMode, formatFaultMode } from "../faults/mode.ts";
import { createProviderHost, type ProviderHostOptions } from "../host.ts";
import type { DeviceAdmission } from "./admission.ts";
import type { AnswerSigner } from "./answerSigner.ts";
import type { ServeLimits } from "./limits.ts";
import { ChallengeServer } from "./server.ts";

export interface RunProviderOptions extends ProviderHostOptions {
  /** The provider's registry address: runs admitted for another entry are refused (ChallengeServerOptions.provider). */
  address: Address;
  backend: ComputeBackend;
  fault?: FaultMode;
  faultOptions?: FaultOptions;
  limits?: Partial<ServeLimits>;
  /** A VRAM dataset to make resident before serving (the epoch's dataset, from vramDatasetSeed). */
  vram?: VramDataset;
  /** Signs matmul commitments with the answer key (answerSigner.ts); absent: unsigned. */
  answerSigner?: AnswerSigner;
  /** A device queue shared with other providers of the same process (serve/agent.ts). */
  admission?: DeviceAdmission;
  log: Logger;
}

export interface RunningProvider {
  host: Libp2p;
  server: ChallengeServer;
  fault: FaultRuntime;
  /** Replaces the resident VRAM dataset (call at each epoch that re-salts it). */
  prepareVram(dataset: VramDataset): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a provider: warms the backend, fills the VRAM dataset, then starts
 * the libp2p host and the challenge server under the chosen fault mode. The
 * CLI's `serve`, the tests and the simulator's real-mesh runs all start
 * providers through here.
 */
export async function runProvider(options: RunProviderOptions): Promise<RunningProvider> {
  const { backend, log } = options;
  const fault = applyFault(options.fault ?? { kind: "honest" }, backend, options.faultOptions);
  await backend.warmUp();
  if (options.vram !== undefined) {
    const started = performance.now();
    await backend.vramPrepare(options.vram);
    log.info({ ...options.vram, ms: Math.round(performance.now() - started) }, "VRAM dataset resident");
  }
  const host = await createProviderHost({ ...options, connectionGater: fault.connectionGater });
  const server = new ChallengeServer({
    host,
    provider: options.address,
    backend,
    behaviour: fault.behaviour,
    log,
    ...(options.answerSigner === undefined ? {} : { answerSigner: options.answerSigner }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.admission === undefined ? {} : { admission: options.admission }),
  });
  await server.start();
  fault.attach(host);
  log.info(
    {
      peerId: host.peerId.toString(),
      address: options.address,
      addrs: host.getMultiaddrs().map(String),
      backend: backend.name,
      fault: formatFaultMode(fault.mode),
      answerKey: options.answerSigner?.address ?? null,
    },
    "provider serving",
  );
  return {
    host,
    server,
    fault,
    prepareVram: (dataset) => backend.vramPrepare(dataset),
    async stop() {
      fault.detach();
      await server.stop();
      await host.stop();
      await backend.close();
    },
  };
}
