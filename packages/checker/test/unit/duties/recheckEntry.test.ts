import { DEFAULT_PARAMS } from "@checkernet/protocol/params";
import { ChallengeKind } from "@checkernet/protocol/types";
import { createLogger } from "@checkernet/runtime";
import { zeroHash } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { connectChain, expectRevert, type TestChain } from "../../../../contracts/test/helpers/chain.ts";
import { deployFixture, type Fixture, goToEpoch } from "../../../../contracts/test/helpers/fixture.ts";
import { challengeTaskFor } from "../../../src/duties/memberCheck.ts";
import { isUnusable, type ProviderEntry } from "../../../src/validation/providerDirectory.ts";
import { chainDirectory, registerProvider } from "../../utils/chain.ts";

const silent = createLogger({ level: "silent", pretty: false });
const ACCUSED = 3n;
/** The re-check of a contest made in the accused epoch runs two epochs later (Slashing.RECHECK_DELAY_EPOCHS). */
const RECHECK = ACCUSED + 2n;

/**
 * review4 H2: a re-check runs the provider's registry entry as the node reads it at the re-check
 * (ChainDirectory.registeredProvider, RecheckDuty.runOwn), so a FAILed h100 that updated to cpu-reference
 * after contesting was re-run at cpu-reference sizes and PASSed, jailing its honest accusers. The registry
 * now refuses that update while the provider can be re-checked, so the re-check's task is the accused epoch's.
 */
describe("the re-check's task is the accused epoch's (review4 H2)", () => {
  let chain: TestChain;
  let fx: Fixture;

  beforeAll(async () => {
    chain = await connectChain();
    fx = await deployFixture(chain);
  });

  /** What decides the run and its verdict: the class's sizes, the VRAM walked, the region judged. */
  const taskOf = (p: ProviderEntry | undefined) => {
    if (p === undefined || isUnusable(p)) throw new Error("no usable entry");
    const run = {
      epoch: ACCUSED,
      checker: p.address,
      kind: ChallengeKind.MATMUL,
      seed: zeroHash,
      answerKey: undefined,
    };
    const task = challengeTaskFor(p, DEFAULT_PARAMS, run);
    return { classId: task.classId, matmulN: task.matmulN, vram: task.vram, region: task.claimedRegion };
  };

  it("keeps class, VRAM and region of the accused epoch after the provider tries a weaker or unusable entry", async () => {
    const provider = await registerProvider(chain, fx, 1, 0n, { gpuModel: "h100-sxm", vramMiB: 81_920 });
    await goToEpoch(fx, ACCUSED);
    const directory = await chainDirectory(chain, fx, silent);
    await directory.ensureEpoch(ACCUSED);
    const accused = taskOf(directory.providers(ACCUSED).find((p) => p.address === provider));
    expect(accused).toMatchObject({ classId: 10, matmulN: 1024, vram: { blockCount: 294_912, steps: 256 } });

    // FAILed in 3 and contested, it tries the class it can serve, then an entry no honest seat can check.
    const info = await fx.c.providers.read.providerInfo([provider]);
    const own = fx.as(chain.wallets[11]!).providers.write;
    for (const [gpuModel, vramMiB, region, field] of [
      ["cpu-reference", 16, info.region, "gpuModel"],
      ["none", info.vramMiB, info.region, "gpuModel"],
      [info.gpuModel, 16, info.region, "vramMiB"],
      [info.gpuModel, info.vramMiB, "us-east", "region"],
    ] as const) {
      await expectRevert(
        own.update([info.peerId, gpuModel, vramMiB, region]),
        "ProviderRegistryFieldsFrozen",
        [field],
      );
    }

    await goToEpoch(fx, RECHECK);
    await directory.refresh();
    // What RecheckDuty.runOwn reads: the live entry, the accused epoch's.
    expect(taskOf(directory.registeredProvider(provider))).toEqual(accused);
  });
});
