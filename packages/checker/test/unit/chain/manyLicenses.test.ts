import { checkerRegistryAbi } from "@checkernet/contracts/generated/index";
import { createLogger } from "@checkernet/runtime";
import {
  createPublicClient,
  custom,
  type EIP1193RequestFn,
  encodeFunctionData,
  getAddress,
  type Hex,
  type PublicClient,
  toFunctionSelector,
} from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { connectChain, type TestChain } from "../../../../contracts/test/helpers/chain.ts";
import {
  type Checker,
  deployFixture,
  type Fixture,
  giveLicenses,
  goToEpoch,
  registerChecker,
  setupCheckers,
} from "../../../../contracts/test/helpers/fixture.ts";
import { getEpochInputs } from "../../../src/chain/actions/getEpochInputs.ts";
import { getOperatorStanding } from "../../../src/chain/actions/getOperatorStanding.ts";
import { ChainDirectory } from "../../../src/chain/chainDirectory.ts";
import { OperatorStandingWatch } from "../../../src/chain/operatorStanding.ts";

/**
 * Issue 15: a devnet where one operator holds 1,000 of ~1,010 licenses stopped landing reports within
 * an epoch of them counting. Every checker read each snapshot with one `licenseAt(epoch, i)` call per
 * license, and the aggregator and every co-signer read the license ids the same way again
 * (getEpochInputs): ~3,000 sequential eth_calls per checker per 20 s epoch, six checkers against one
 * Hardhat node on two busy cores. The RPC fell behind, calls passed their 5 s deadline, a failed refresh
 * threw its whole view away and started over, ensureEpoch found no snapshot, so no checker was ranked
 * (no `aggregator role`) and co-signers built past the co-sign deadline. The rule: the snapshot and the
 * epoch inputs cost a handful of calls however many licenses there are.
 */
const LICENSES = 1_000;
/** eth_calls a refresh may make with 1,000 licenses: two snapshots of a few pages each, keys, providers, seeds. */
const REFRESH_CALL_BUDGET = 24;
/** eth_calls one getEpochInputs may make (the count and a few pages; no providers here). */
const INPUTS_CALL_BUDGET = 8;

let chain: TestChain;
let fx: Fixture;
let whale: Checker;
let small: Checker[];
const silent = createLogger({ level: "silent", pretty: false });

beforeAll(async () => {
  chain = await connectChain();
  // Hour-long epochs: the 1,000 delegations (a block, and a second, each) all land before genesis, in
  // the launch set.
  fx = await deployFixture(chain, { epochSeconds: 3_600n });
  small = await setupCheckers(fx, 3, 2);
  whale = await registerChecker(fx, chain.wallets[4]!, "whale");
  // giveLicenses, with the mint split: one mintBatch of 1,000 passes a transaction's gas cap.
  for (let minted = 0; minted < LICENSES; minted += 100) await giveLicenses(fx, whale, 100);
  await goToEpoch(fx, 2n);
}, 600_000);

/** A public client over the same EDR chain that counts the eth_calls it forwards. */
function counted(refuse?: Hex): {
  client: PublicClient;
  calls: () => number;
  /** eth_calls of one function so far. */
  callsOf: (signature: string) => number;
  reset: () => void;
} {
  let n = 0;
  const bySelector = new Map<string, number>();
  const request = (async (args: { method: string; params?: unknown }) => {
    if (args.method === "eth_call") n++;
    const data = (args.params as [{ data?: Hex }] | undefined)?.[0]?.data;
    if (args.method === "eth_call" && data !== undefined) {
      bySelector.set(data.slice(0, 10), (bySelector.get(data.slice(0, 10)) ?? 0) + 1);
    }
    if (refuse !== undefined && data?.startsWith(refuse) === true) throw new Error("the RPC did not answer");
    return chain.publicClient.request(args as never);
  }) as EIP1193RequestFn;
  const client = createPublicClient({ transport: custom({ request }) }) as PublicClient;
  return {
    client,
    calls: () => n,
    callsOf: (signature) => bySelector.get(toFunctionSelector(signature)) ?? 0,
    reset: () => {
      n = 0;
      bySelector.clear();
    },
  };
}

function directoryOver(client: PublicClient): ChainDirectory {
  const c = fx.deployment.contracts;
  return new ChainDirectory(
    { publicClient: client, logger: silent },
    {
      addresses: {
        checkerRegistry: c.checkerRegistry,
        providerRegistry: c.providerRegistry,
        epochReports: c.epochReports,
      },
    },
  );
}

describe("one operator with 1,000 licenses (issue 15)", () => {
  it("a refresh and an ensureEpoch read the snapshot in a handful of calls, not one per license", async () => {
    const rpc = counted();
    const dir = directoryOver(rpc.client);
    const started = performance.now();
    await dir.refresh();
    const refreshCalls = rpc.calls();
    const refreshMs = performance.now() - started;
    expect(dir.totalLicenses(2n)).toBe(LICENSES + 6);
    expect(dir.getChecker(whale.address, 2n)?.licenses).toBe(LICENSES);
    for (const c of small) expect(dir.getChecker(c.address, 3n)?.licenses).toBe(2);
    expect(
      refreshCalls,
      `refresh made ${refreshCalls} eth_calls in ${refreshMs.toFixed(0)} ms`,
    ).toBeLessThanOrEqual(REFRESH_CALL_BUDGET);

    // An epoch the refresh did not hold (a late report, a re-check) is read on demand, as cheaply.
    rpc.reset();
    expect(await directoryOver(rpc.client).ensureEpoch(1n)).toBe(true);
    expect(rpc.calls()).toBeLessThanOrEqual(REFRESH_CALL_BUDGET / 2);
  }, 120_000);

  it("the report's license ids are read in a handful of calls, each license under its operator", async () => {
    const rpc = counted();
    const { licensesByChecker } = await getEpochInputs(rpc.client, {
      checkerRegistry: fx.deployment.contracts.checkerRegistry,
      providerRegistry: fx.deployment.contracts.providerRegistry,
      epoch: 2n,
      providers: [],
    });
    expect(rpc.calls()).toBeLessThanOrEqual(INPUTS_CALL_BUDGET);
    expect(licensesByChecker.get(getAddress(whale.address))).toEqual(whale.licenses);
    for (const c of small) expect(licensesByChecker.get(getAddress(c.address))).toEqual(c.licenses);
  }, 120_000);

  it("the operator's standing (re-read every few seconds while /status is polled) is a handful of calls", async () => {
    const rpc = counted();
    const standing = await getOperatorStanding(rpc.client, {
      checkerRegistry: fx.deployment.contracts.checkerRegistry,
      operator: whale.address,
    });
    expect(rpc.calls()).toBeLessThanOrEqual(INPUTS_CALL_BUDGET);
    expect(standing.weight).toBe(LICENSES);
    expect(standing.licenseIds).toEqual(whale.licenses);
  }, 120_000);

  it("the standing watch reads the snapshot's pages once an epoch, not at every refresh (every 5 s while /status is polled)", async () => {
    const rpc = counted();
    const watch = new OperatorStandingWatch(
      { publicClient: rpc.client, logger: silent },
      {
        checkerRegistry: fx.deployment.contracts.checkerRegistry,
        operator: whale.address,
        ownPublicKey: null,
      },
    );
    await watch.refresh();
    const first = rpc.calls();
    expect(watch.get().licenseIds).toEqual(whale.licenses);
    rpc.reset();
    await watch.refresh();
    // operatorInfo, currentEpoch, weightAt: the epoch's snapshot (4 pages of 256 licenses) is final and held.
    expect(rpc.calls()).toBe(3);
    expect(first).toBeGreaterThan(3);
    expect(watch.get().licenseIds).toEqual(whale.licenses);
    expect(watch.get().licenses).toBe(LICENSES);
  }, 120_000);

  it("a node reads each final snapshot's pages once: the report's license ids and the standing take the directory's", async () => {
    const PAGE = "licensesAt(uint64,uint256,uint256)";
    const rpc = counted();
    const dir = directoryOver(rpc.client);
    await dir.refresh();
    // Epochs 2 and 3: four pages each.
    const pages = rpc.callsOf(PAGE);
    expect(pages).toBe(8);
    const { checkerRegistry, providerRegistry } = fx.deployment.contracts;
    for (let build = 0; build < 2; build++) {
      const { licensesByChecker } = await getEpochInputs(rpc.client, {
        checkerRegistry,
        providerRegistry,
        epoch: 2n,
        providers: [],
        snapshots: dir,
      });
      expect(licensesByChecker.get(getAddress(whale.address))).toEqual(whale.licenses);
      for (const c of small) expect(licensesByChecker.get(getAddress(c.address))).toEqual(c.licenses);
    }
    const watch = new OperatorStandingWatch(
      { publicClient: rpc.client, logger: silent, snapshots: dir },
      { checkerRegistry, operator: whale.address, ownPublicKey: null },
    );
    await watch.refresh();
    expect(watch.get().licenseIds).toEqual(whale.licenses);
    await dir.refresh();
    // Each of them read the four pages again before (issue 15: ~130 KiB of JSON each, at every build).
    expect(rpc.callsOf(PAGE)).toBe(pages);
    // Neighbouring snapshots holding the same ids share one copy of each list.
    expect((await dir.licenseIdsAt(2n))?.get(getAddress(whale.address))).toBe(
      (await dir.licenseIdsAt(3n))?.get(getAddress(whale.address)),
    );
  }, 120_000);

  it("a page of 256 licenses stays far below an RPC's eth_call gas cap", async () => {
    const gas = await chain.publicClient.estimateGas({
      to: fx.deployment.contracts.checkerRegistry,
      data: encodeFunctionData({ abi: checkerRegistryAbi, functionName: "licensesAt", args: [2n, 0n, 256n] }),
    });
    // Hosted RPCs cap eth_call at 50 M gas, some lower; a tenth of that leaves the page size its margin.
    expect(gas, `a page of 256 costs ${gas} gas`).toBeLessThan(5_000_000n);
  });

  it("a refresh that fails after the snapshots keeps them: no snapshot is read twice", async () => {
    // The provider list fails (the RPC past its deadline): the refresh throws, the snapshots stay.
    const failing = counted(toFunctionSelector("providerCount()"));
    const dir = directoryOver(failing.client);
    await expect(dir.refresh()).rejects.toThrow();
    expect(dir.getChecker(whale.address, 2n)?.licenses).toBe(LICENSES);
    failing.reset();
    // ensureEpoch also needs the epoch's checking set, read from the provider list the RPC still refuses;
    // the snapshots, held, are not read again.
    expect(await dir.ensureEpoch(2n)).toBe(false);
    expect(await dir.ensureEpoch(3n)).toBe(false);
    expect(failing.callsOf("licenseCountAt(uint64)")).toBe(0);
    expect(failing.callsOf("licensesAt(uint64,uint256,uint256)")).toBe(0);
  });
});
