import { ChallengeClient } from "@checkernet/checker";
import { gpuClass } from "@checkernet/protocol/challenges/gpu-classes";
import { vramDatasetSeed } from "@checkernet/protocol/challenges/vram";
import { withParams } from "@checkernet/protocol/params";
import { ChallengeKind, CheckResult } from "@checkernet/protocol/types";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Libp2p } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CpuBackend } from "../src/backend/cpu.ts";
import { parseFaultMode } from "../src/faults/mode.ts";
import { type RunningProvider, runProvider } from "../src/serve/run.ts";
import { clientHost, hex32, silentLog } from "./helpers.ts";

/**
 * The provider's server against the checker's real client
 * (packages/checker/src/challenges/client.ts): the two halves of
 * `/checkernet/challenge/1.1.0`, written apart, must agree on the wire.
 */
const params = withParams({ pingCount: 4, pingIntervalMs: 20, pingTimeoutMs: 800 });
const CPU = gpuClass("cpu-reference").code;
const providerAddress = "0x00000000000000000000000000000000000000aa" as const;
const dataset = { seed: vramDatasetSeed(providerAddress, hex32(0x5a)), blockCount: 8, blockSize: 4096 };

let checker: Libp2p;
let client: ChallengeClient;
const running: RunningProvider[] = [];

beforeAll(async () => {
  checker = await clientHost();
  client = new ChallengeClient({ host: checker, logger: silentLog }, { params, checkerRegion: 0 });
});
afterEach(async () => {
  for (const p of running.splice(0)) await p.stop();
});
afterAll(async () => {
  await checker?.stop();
});

/** The real CPU backend, counting the timed computations (walks, products) it runs at once. */
class CountingBackend extends CpuBackend {
  inFlight = 0;
  mostAtOnce = 0;

  async #counted<T>(work: () => Promise<T>): Promise<T> {
    this.inFlight++;
    this.mostAtOnce = Math.max(this.mostAtOnce, this.inFlight);
    try {
      return await work();
    } finally {
      this.inFlight--;
    }
  }

  override vramWalk(...args: Parameters<CpuBackend["vramWalk"]>) {
    return this.#counted(() => super.vramWalk(...args));
  }

  override matmul(...args: Parameters<CpuBackend["matmul"]>) {
    return this.#counted(() => super.matmul(...args));
  }
}

async function provider(
  flag: string,
  backend: CpuBackend = new CpuBackend({ workers: 1, maxVramBytes: 1 << 20 }),
): Promise<RunningProvider> {
  const p = await runProvider({
    address: providerAddress,
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    backend,
    fault: parseFaultMode(flag),
    faultOptions: { trickleIntervalMs: 100 },
    vram: dataset,
    log: silentLog,
  });
  running.push(p);
  return p;
}

function target(p: RunningProvider): { peer: Multiaddr } {
  const addr = p.host.getMultiaddrs()[0];
  if (addr === undefined) throw new Error("provider has no address");
  return { peer: addr };
}

function task(kind: ChallengeKind, seedByte: number) {
  return {
    epoch: 1n,
    provider: providerAddress,
    checker: "0x00000000000000000000000000000000000000cc" as const,
    kind,
    seed: hex32(seedByte),
    classId: CPU,
    claimedRegion: 0,
    matmulN: 64,
    vram: {
      datasetSeed: dataset.seed,
      blockSize: dataset.blockSize,
      blockCount: dataset.blockCount,
      steps: 16,
    },
  };
}

describe("interop with the checker's ChallengeClient", () => {
  it("an honest provider passes latency + matmul and latency + VRAM runs", async () => {
    const p = await provider("honest");
    const matmul = await client.run(target(p), task(ChallengeKind.MATMUL, 1));
    expect(matmul.wireErrors).toEqual([]);
    expect(matmul.outcome.reasons).toEqual([]);
    expect(matmul.outcome.result).toBe(CheckResult.PASS);
    expect(matmul.outcome.throughput).toBeGreaterThan(0n);
    const vram = await client.run(target(p), task(ChallengeKind.VRAM, 2));
    expect(vram.outcome.reasons).toEqual([]);
    expect(vram.outcome.result).toBe(CheckResult.PASS);
  });

  it("runs of several checkers at once are admitted one at a time: none is billed another's computation", async () => {
    const backend = new CountingBackend({ workers: 1, maxVramBytes: 1 << 20 });
    const p = await provider("honest", backend);
    const hosts = await Promise.all([clientHost(), clientHost(), clientHost()]);
    try {
      const clients = hosts.map(
        (host) => new ChallengeClient({ host, logger: silentLog }, { params, checkerRegion: 0 }),
      );
      // Each checker's walk and product, all started together, as a committee that picks the same moment.
      const runs = await Promise.all(
        clients.flatMap((c, i) => [
          c.run(target(p), task(ChallengeKind.VRAM, 20 + i)),
          c.run(target(p), task(ChallengeKind.MATMUL, 30 + i)),
        ]),
      );
      for (const run of runs) {
        expect(run.wireErrors).toEqual([]);
        expect(run.outcome.result).toBe(CheckResult.PASS);
      }
      // Without admission the six requests would reach the device together.
      expect(backend.mostAtOnce).toBe(1);
    } finally {
      await Promise.all(hosts.map((h) => h.stop()));
    }
  });

  it("wrong-results:1 FAILs on the checker's recomputation", async () => {
    const p = await provider("wrong-results:1");
    const run = await client.run(target(p), task(ChallengeKind.MATMUL, 3));
    expect(run.outcome.result).toBe(CheckResult.FAIL);
    expect(run.outcome.reasons.map((r) => r.code)).toContain("WRONG_ROW");
  });

  it("ghost is not PASS: the checker's whole-frame deadlines cut the trickle", async () => {
    const p = await provider("ghost");
    const run = await client.run(target(p), task(ChallengeKind.LATENCY, 4));
    expect(run.outcome.result).not.toBe(CheckResult.PASS);
    expect(run.wireErrors).toContain("FRAME_ERROR_TIMEOUT");
  });
});
