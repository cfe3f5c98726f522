import { DEFAULT_PARAMS } from "@checkernet/protocol/params";
import { createLogger } from "@checkernet/runtime";
import { createPublicClient, zeroAddress } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChainDirectory } from "../../../src/chain/chainDirectory.ts";
import { ChainHealth } from "../../../src/chain/chainHealth.ts";
import { EpochClock } from "../../../src/chain/clock.ts";
import { CHAIN_RPC_LIMITS, chainTransport } from "../../../src/chain/transport.ts";
import { CheckingDuty } from "../../../src/duties/checkingDuty.ts";
import { StaticKeyDirectory } from "../../../src/validation/keyDirectory.ts";
import { StaticProviderDirectory } from "../../../src/validation/providerDirectory.ts";
import type { EpochContext } from "../../../src/validation/sortition.ts";
import { DOMAIN } from "../../utils/fixtures.ts";
import { type RpcTestServer, startRpcServer } from "../../utils/rpcServer.ts";

// The duty gives up on an epoch's seed a quarter into the checking phase (3 s into a 20 s devnet epoch);
// issue 14: one hung seed read held it 41 s, and the next epoch's checks were squeezed into 1-2 s.
const EPOCH = 3n;
const EPOCH_SECONDS = 20;
const silent = createLogger({ level: "silent", pretty: false });

let rpc: RpcTestServer;
beforeAll(async () => {
  rpc = await startRpcServer(async () => "0x", "hang");
});
afterAll(async () => {
  await rpc.close();
});

/** A duty in epoch EPOCH, 200 ms after it began; only the seed wait runs (no licenses: no duty after it). */
function duty(epochs: EpochContext) {
  const startMs = Date.now() - 200;
  const clock = new EpochClock({
    genesisMs: startMs - Number(EPOCH - 1n) * EPOCH_SECONDS * 1000,
    epochSeconds: EPOCH_SECONDS,
  });
  const { publishStartMs } = clock.bounds(EPOCH);
  const giveUpMs = startMs + (publishStartMs - startMs) / 4;
  const d = new CheckingDuty(
    {
      clock,
      epochs,
      keys: new StaticKeyDirectory(),
      providers: new StaticProviderDirectory(),
      client: undefined as never,
      db: undefined as never,
      bls: undefined as never,
      logger: silent,
      publish: async () => undefined,
    },
    {
      checker: zeroAddress,
      secretKey: new Uint8Array(32),
      domain: DOMAIN,
      params: DEFAULT_PARAMS,
    },
  );
  return { d, giveUpMs };
}

async function runTimed(epochs: EpochContext) {
  const { d, giveUpMs } = duty(epochs);
  const result = await d.runEpoch(EPOCH, { waitForPublishPhase: false });
  return { result, lateMs: Date.now() - giveUpMs };
}

describe("CheckingDuty's seed wait against a hung RPC", () => {
  it("skips the epoch at its give-up time while a seed read never ends", async () => {
    const { result, lateMs } = await runTimed({
      seed: () => undefined,
      ensureSeed: () => new Promise(() => {}),
    });
    expect(result.attestations).toEqual([]);
    expect(lateMs).toBeGreaterThanOrEqual(-50);
    expect(lateMs).toBeLessThan(2_000);
  });

  it("does so with the chain directory over a real hung HTTP RPC, before the read's own deadline ends", async () => {
    const health = new ChainHealth({ stallAfterMs: CHAIN_RPC_LIMITS.timeoutMs });
    // A longer transport deadline than the duty's 3 s: the duty must not depend on it.
    const publicClient = createPublicClient({
      transport: chainTransport(rpc.url, { health, limits: { timeoutMs: 8_000 } }),
    });
    const directory = new ChainDirectory(
      { publicClient: publicClient as never, logger: silent, health },
      {
        addresses: { checkerRegistry: zeroAddress, providerRegistry: zeroAddress, epochReports: zeroAddress },
      },
    );
    const t0 = Date.now();
    const { result, lateMs } = await runTimed(directory);
    expect(result.seats).toEqual([]);
    expect(lateMs).toBeGreaterThanOrEqual(-50);
    expect(lateMs).toBeLessThan(2_000);
    expect(Date.now() - t0).toBeLessThan(8_000);
  });
});
