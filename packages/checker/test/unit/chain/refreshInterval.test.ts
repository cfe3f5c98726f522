import { epochReportsAbi } from "@checkernet/contracts/generated/index";
import { createLogger } from "@checkernet/runtime";
import { toFunctionSelector } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { connectChain, type TestChain } from "../../../../contracts/test/helpers/chain.ts";
import { deployFixture, type Fixture, setupCheckers } from "../../../../contracts/test/helpers/fixture.ts";
import { ChainDirectory } from "../../../src/chain/chainDirectory.ts";
import { refreshIntervalMs } from "../../../src/chain/refreshInterval.ts";
import { turnPollMs } from "../../../src/duties/leader/timing.ts";
import { countedRpc } from "../../utils/countedRpc.ts";

// Issue 15: an idle node's polling sized to the epoch. A ChainDirectory refreshed every 5 s whatever the
// epoch (60 refreshes of ~4 calls a 300-s epoch); it now refreshes every twentieth of an epoch, 5 s to 30 s.

let chain: TestChain;
let fx: Fixture;
const silent = createLogger({ level: "silent", pretty: false });
const CURRENT_EPOCH = toFunctionSelector(
  epochReportsAbi.find((f) => f.type === "function" && f.name === "currentEpoch") as never,
);

beforeAll(async () => {
  chain = await connectChain();
  fx = await deployFixture(chain, { epochSeconds: 300n });
  await setupCheckers(fx, 1, 1);
});

describe("refresh and poll intervals sized to the epoch", () => {
  it("a twentieth of an epoch, 5 s to 30 s; a turn's poll a quarter step, never under the old floor", () => {
    expect(refreshIntervalMs(undefined)).toBe(5_000);
    expect(refreshIntervalMs(20)).toBe(5_000); // the devnet: as before
    expect(refreshIntervalMs(100)).toBe(5_000);
    expect(refreshIntervalMs(300)).toBe(15_000);
    expect(refreshIntervalMs(900)).toBe(30_000);
    expect(turnPollMs(1_600, 2_000)).toBe(2_000); // devnet backup step: as before
    expect(turnPollMs(24_000, 2_000)).toBe(6_000); // 300-s epochs
    expect(turnPollMs(72_000, 2_000)).toBe(15_000); // 900-s epochs
  });

  it("a directory on a chain of 300-s epochs refreshes once in 9 s (every 5 s before: twice)", async () => {
    const refreshes: number[] = [];
    const { client } = countedRpc(chain, async (selector) => {
      if (selector === CURRENT_EPOCH) refreshes.push(performance.now());
    });
    const c = fx.deployment.contracts;
    const dir = new ChainDirectory(
      { publicClient: client, logger: silent },
      {
        addresses: {
          checkerRegistry: c.checkerRegistry,
          providerRegistry: c.providerRegistry,
          epochReports: c.epochReports,
        },
      },
    );
    const started = performance.now();
    dir.start();
    try {
      await new Promise((r) => setTimeout(r, 9_000));
    } finally {
      dir.stop();
    }
    expect(dir.status().connected).toBe(true);
    expect(
      refreshes.length,
      `refreshes at ${refreshes.map((t) => (t - started).toFixed(0)).join(", ")} ms`,
    ).toBe(1);
  }, 30_000);
});
