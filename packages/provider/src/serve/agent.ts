import type { Logger } from "pino";
import type { Address } from "viem";
import type { VramDataset } from "../backend/backend.ts";
import { CpuBackend } from "../backend/cpu.ts";
import type { FaultOptions } from "../faults/faults.ts";
import type { FaultMode } from "../faults/mode.ts";
import type { ProviderHostOptions } from "../host.ts";
import { DeviceAdmission } from "./admission.ts";
import type { AnswerSigner } from "./answerSigner.ts";
import { DEFAULT_SERVE_LIMITS, type ServeLimits } from "./limits.ts";
import { type RunningProvider, runProvider } from "./run.ts";

/** One registered provider an agent serves: its own peer key (its registered peer id), address and answer key. */
export interface AgentIdentity extends Omit<ProviderHostOptions, "connectionGater"> {
  /** The provider's registry address: its server refuses runs admitted for any other entry. */
  address: Address;
  /** Signs this provider's answers with its own answer key; absent: unsigned. */
  answerSigner?: AnswerSigner;
  /** This provider's VRAM dataset (vramDatasetSeed of its own address), made resident before it serves. */
  vram?: VramDataset;
}

export interface RunAgentOptions {
  identities: readonly AgentIdentity[];
  /** Worker threads of the one CPU backend pool every identity computes on. */
  workers?: number;
  /** The claimed memory of each identity's device: the largest dataset each one holds. */
  maxVramBytes: number;
  fault?: FaultMode;
  faultOptions?: FaultOptions;
  limits?: Partial<ServeLimits>;
  log: Logger;
}

export interface RunningAgent {
  /** One per identity, in order. */
  providers: RunningProvider[];
  stop(): Promise<void>;
}

/**
 * Serves several registered providers from one process: each identity is
 * its own libp2p host (its own peer id and port, so a checker that dials a
 * registered peer id reaches that provider, and Noise binds every answer to
 * its peer key), its own challenge server, answer signer and VRAM dataset.
 * They share the CPU backend's worker threads, and so one device queue
 * (admission.ts): a timed request runs alone on the workers and its clock
 * starts after the queue, as on a provider's own device. A process holds
 * the libp2p, viem and worker-thread code once instead of once per provider,
 * which is what lets a laptop run a devnet of 100 providers.
 *
 * Every identity's dataset is filled before any host starts: a fill runs on
 * the shared workers outside the device queue, so a provider already serving
 * would have its timed answers race the later ones' fills.
 */
export async function runProviderAgent(options: RunAgentOptions): Promise<RunningAgent> {
  const { identities, log } = options;
  if (identities.length === 0) throw new Error("an agent serves at least one provider");
  const limits = { ...DEFAULT_SERVE_LIMITS, ...options.limits };
  const admission = new DeviceAdmission({
    maxQueuedAdmissions: limits.maxQueuedAdmissions * identities.length,
    maxAdmissionsPerPeer: limits.maxAdmissionsPerPeer,
  });
  const owner = new CpuBackend({
    ...(options.workers === undefined ? {} : { workers: options.workers }),
    maxVramBytes: options.maxVramBytes,
  });
  const providers: RunningProvider[] = [];
  // The owner's pool goes last: the others compute on it.
  const stop = async () => {
    for (const p of [...providers].reverse()) await p.stop();
    if (providers.length === 0) await owner.close();
  };
  try {
    const backends = identities.map((_, index) =>
      index === 0 ? owner : new CpuBackend({ maxVramBytes: options.maxVramBytes, shareWorkersOf: owner }),
    );
    await owner.warmUp();
    const logOf = (index: number) => (identities.length === 1 ? log : log.child({ identity: index }));
    for (const [index, { vram }] of identities.entries()) {
      if (vram === undefined) continue;
      const started = performance.now();
      await backends[index]?.vramPrepare(vram);
      logOf(index).info({ ...vram, ms: Math.round(performance.now() - started) }, "VRAM dataset resident");
    }
    for (const [index, { vram: _resident, ...identity }] of identities.entries()) {
      const backend = backends[index] as CpuBackend;
      providers.push(
        await runProvider({
          ...identity,
          backend,
          admission,
          ...(options.fault === undefined ? {} : { fault: options.fault }),
          ...(options.faultOptions === undefined ? {} : { faultOptions: options.faultOptions }),
          ...(options.limits === undefined ? {} : { limits: options.limits }),
          log: logOf(index),
        }),
      );
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { providers, stop };
}
