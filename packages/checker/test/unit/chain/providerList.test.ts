import { providerRegistryAbi } from "@checkernet/contracts/generated/index";
import { createLogger } from "@checkernet/runtime";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import {
  bytesToHex,
  createPublicClient,
  custom,
  type EIP1193RequestFn,
  getAddress,
  type Hex,
  type PublicClient,
  TimeoutError,
  toFunctionSelector,
} from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { connectChain, mined, type TestChain } from "../../../../contracts/test/helpers/chain.ts";
import {
  deployFixture,
  type Fixture,
  goToEpoch,
  setupCheckers,
  setupProvider,
  TOKEN,
} from "../../../../contracts/test/helpers/fixture.ts";
import { getEpochInputs } from "../../../src/chain/actions/getEpochInputs.ts";
import { getProviders, PROVIDER_PAGES } from "../../../src/chain/actions/getProviders.ts";
import { ChainDirectory } from "../../../src/chain/chainDirectory.ts";
import { ProviderListReader } from "../../../src/chain/providerList.ts";
import { isUnusable } from "../../../src/validation/providerDirectory.ts";

/**
 * Issue 15: every 5 s refresh read the provider list with three eth_calls per provider (`providerAt`,
 * `isActive`, `providerInfo`): 301 at 100 providers, O(n) on the RPC every checker shares. The rule: a
 * refresh reads the list in a fixed handful of calls (one `providerCount`, one multicall of addresses,
 * one of entries per page of 16), with the same providers as the one-call-a-read way; the list holds every
 * registered provider, and the epoch's checking set (isActiveAt, one multicall) picks the checked ones.
 */
const ACTIVE = 30;
/** Of the active ones, registered with the registry's longest fields (a whole page of entries and more). */
const LONGEST_FIELDS = 18;
const UNSTAKED = 6;
/** A page of fewer calls than this is read one call each (multicallOrEach: fewer bytes than a deployless call). */
const DEPLOYLESS_MIN_CALLS = 8;
const TAIL_ENTRIES = (ACTIVE + UNSTAKED) % PROVIDER_PAGES.entries;
/** eth_calls getProviders may make: the count, a page of addresses, pages of entries (a short last one a call each). */
const PROVIDER_CALL_BUDGET =
  1 +
  Math.ceil((ACTIVE + UNSTAKED) / PROVIDER_PAGES.addresses) +
  Math.floor((ACTIVE + UNSTAKED) / PROVIDER_PAGES.entries) +
  (TAIL_ENTRIES === 0 ? 0 : TAIL_ENTRIES < DEPLOYLESS_MIN_CALLS ? TAIL_ENTRIES : 1);
/** eth_calls a whole refresh may make here (snapshots of 6 licenses, keys, seeds, providers). */
const REFRESH_CALL_BUDGET = 24;

let chain: TestChain;
let fx: Fixture;
const silent = createLogger({ level: "silent", pretty: false });

beforeAll(async () => {
  chain = await connectChain();
  fx = await deployFixture(chain, { epochSeconds: 3_600n });
  await setupCheckers(fx, 3, 2);
  for (let i = 0; i < ACTIVE + UNSTAKED; i++) {
    const wallet = await chain.impersonate(`provider-${i}`);
    if (i >= ACTIVE) {
      // Registered without stake: listed, in no checking set.
      await setupProvider(fx, wallet, 0n);
      continue;
    }
    // MAX_PEER_ID_LENGTH and MAX_LABEL_LENGTH: the largest answer a registry entry can give.
    const longest = i < LONGEST_FIELDS;
    const peerId = longest
      ? (`0x${(i + 1).toString(16).padStart(2, "0").repeat(128)}` as Hex)
      : bytesToHex(peerIdFromPrivateKey(await generateKeyPair("Ed25519")).toMultihash().bytes);
    const own = fx.as(wallet).providers;
    await mined(
      chain,
      own.write.register(
        longest ? [peerId, "H".repeat(64), 81_920, "r".repeat(64)] : [peerId, "H100-SXM", 81_920, "eu-west"],
      ),
    );
    const stake = 1_000n * TOKEN;
    await mined(chain, fx.c.token.write.transfer([wallet.account.address, stake]));
    await mined(chain, fx.as(wallet).token.write.approve([fx.deployment.contracts.providerRegistry, stake]));
    await mined(chain, own.write.stake([stake]));
  }
  await goToEpoch(fx, 2n);
}, 300_000);

/** A public client over the same EDR chain that counts the eth_calls it forwards. */
function counted(refuse?: "deployless" | "timeout"): {
  client: PublicClient;
  calls: () => number;
  /** Reads of the whole list: `providerAt` pages (providerCount alone is also read to check a list). */
  listReads: () => number;
  /** Registry entries read (`providerInfo`, in a multicall too). */
  entriesRead: () => number;
} {
  let n = 0;
  let listReads = 0;
  let entries = 0;
  const request = (async (args: { method: string; params?: unknown }) => {
    if (args.method === "eth_call") n++;
    const to = (args.params as [{ to?: string }] | undefined)?.[0]?.to;
    const data = (args.params as [{ data?: string }] | undefined)?.[0]?.data;
    if (args.method === "eth_call" && data !== undefined) {
      if (data.includes(PROVIDER_AT)) listReads++;
      entries += data.split(PROVIDER_INFO).length - 1;
    }
    if (args.method === "eth_call" && to == null) {
      // The multicall's eth_call: refused with an error, or never answered.
      if (refuse === "deployless") throw new Error("eth_call without a `to` is not supported");
      if (refuse === "timeout") throw new TimeoutError({ body: {}, url: "http://rpc.invalid" });
    }
    return chain.publicClient.request(args as never);
  }) as EIP1193RequestFn;
  return {
    client: createPublicClient({ transport: custom({ request }, { retryCount: 0 }) }) as PublicClient,
    calls: () => n,
    listReads: () => listReads,
    entriesRead: () => entries,
  };
}

/**
 * A call's selector and the first 12 bytes of its address or uint argument (zero), as it sits in a call's
 * data or in a multicall's encoded calls: one occurrence per call.
 */
const PROVIDER_INFO = `${toFunctionSelector("providerInfo(address)").slice(2)}${"00".repeat(12)}`;
const PROVIDER_AT = `${toFunctionSelector("providerAt(uint256)").slice(2)}${"00".repeat(12)}`;

/** The registered providers read one call a read: two calls per provider. */
async function onePerRead(client: PublicClient) {
  const reg = { address: fx.deployment.contracts.providerRegistry, abi: providerRegistryAbi } as const;
  const count = await client.readContract({ ...reg, functionName: "providerCount" });
  const out = [];
  for (let i = 0n; i < count; i++) {
    const address = getAddress(await client.readContract({ ...reg, functionName: "providerAt", args: [i] }));
    out.push({
      address,
      info: await client.readContract({ ...reg, functionName: "providerInfo", args: [address] }),
    });
  }
  return out;
}

describe("the provider list (issue 15)", () => {
  it("is read in a fixed number of eth_calls, with the same providers as one call a read", async () => {
    const before = counted();
    const expected = await onePerRead(before.client);
    expect(expected).toHaveLength(ACTIVE + UNSTAKED);
    expect(before.calls()).toBe(1 + 2 * (ACTIVE + UNSTAKED));

    const rpc = counted();
    const providers = await getProviders(rpc.client, {
      providerRegistry: fx.deployment.contracts.providerRegistry,
    });
    expect(providers).toEqual(expected);
    expect(rpc.calls()).toBeLessThanOrEqual(PROVIDER_CALL_BUDGET);
  }, 120_000);

  it("reads one call a read where the RPC refuses deployless calls, and fails at once where it does not answer", async () => {
    const expected = await onePerRead(counted().client);
    const refusing = counted("deployless");
    const providerRegistry = fx.deployment.contracts.providerRegistry;
    expect(await getProviders(refusing.client, { providerRegistry })).toEqual(expected);
    const silentRpc = counted("timeout");
    await expect(getProviders(silentRpc.client, { providerRegistry })).rejects.toThrow(/timed out/i);
    // providerCount and the first page: no page is retried one call at a time against an RPC that does not answer.
    expect(silentRpc.calls()).toBe(2);
  }, 120_000);

  it("costs a refresh a handful of calls whatever the number of providers", async () => {
    const rpc = counted();
    const dir = new ChainDirectory(
      { publicClient: rpc.client, logger: silent },
      {
        addresses: {
          checkerRegistry: fx.deployment.contracts.checkerRegistry,
          providerRegistry: fx.deployment.contracts.providerRegistry,
          epochReports: fx.deployment.contracts.epochReports,
        },
      },
    );
    await dir.refresh();
    // The longest-field entries name no GPU class the checker knows: members all the same, listed as
    // unusable (their committees FAIL them without a run; review3 P1-1).
    expect(dir.providers()).toHaveLength(ACTIVE);
    expect(dir.providers().filter(isUnusable)).toHaveLength(LONGEST_FIELDS);
    expect(rpc.calls(), `refresh made ${rpc.calls()} eth_calls`).toBeLessThanOrEqual(REFRESH_CALL_BUDGET);
  }, 120_000);

  it("a report's stakes, as of its epoch's start, are read in one multicall, the same as one call each", async () => {
    const { providerRegistry, checkerRegistry } = fx.deployment.contracts;
    const providers = (await onePerRead(counted().client)).map((p) => p.address);
    const rpc = counted();
    const { stakes } = await getEpochInputs(rpc.client, {
      checkerRegistry,
      providerRegistry,
      epoch: 2n,
      providers,
      snapshots: { licenseIdsAt: async () => new Map() },
    });
    const reg = { address: providerRegistry, abi: providerRegistryAbi } as const;
    for (const p of providers) {
      expect(stakes.get(p)).toBe(
        await chain.publicClient.readContract({ ...reg, functionName: "stakeAt", args: [p, 2n] }),
      );
    }
    // One call a provider before: 100 at 100 providers, at every build of a report. Now the chain's epoch
    // at the block every page is read at (it makes the stakes final; review3 P1-5) and one multicall.
    expect(rpc.calls()).toBe(2);
  }, 120_000);

  it("the list is read whole again after five minutes, logs or not (a log lost to a reorg)", async () => {
    const rpc = counted();
    let now = 0;
    const reader = new ProviderListReader(rpc.client, fx.deployment.contracts.providerRegistry, () => now);
    const first = (await reader.read()).providers;
    now += 4 * 60_000;
    expect((await reader.read()).providers).toBe(first);
    expect(rpc.listReads()).toBe(1);
    now += 60_000;
    expect((await reader.read()).providers).toEqual(first);
    expect(rpc.listReads()).toBe(2);
  }, 120_000);

  it("a refresh keeps the list while the registry logs no entry (a stake log changes the sets, not the list)", async () => {
    const rpc = counted();
    const dir = new ChainDirectory(
      { publicClient: rpc.client, logger: silent },
      {
        addresses: {
          checkerRegistry: fx.deployment.contracts.checkerRegistry,
          providerRegistry: fx.deployment.contracts.providerRegistry,
          epochReports: fx.deployment.contracts.epochReports,
        },
      },
    );
    await dir.refresh();
    const listed = dir.providers();
    expect(listed).toHaveLength(ACTIVE);
    // Blocks go by (a transaction of another contract), the registry logs nothing: the list is kept.
    await mined(chain, fx.c.token.write.transfer([chain.wallets[1]!.account.address, 1n]));
    await dir.refresh();
    await dir.refresh();
    expect(rpc.listReads()).toBe(1);
    expect(dir.providers()).toBe(listed);
    // A provider unstakes: no entry changed, the list is kept (it was read whole again before, review3
    // P1-9); it stays in the checking sets of epochs 2 and 3 (a leave in c counts from c + 2), and leaves 4's.
    const leaving = await chain.impersonate(`provider-${ACTIVE - 1}`);
    await mined(chain, fx.as(leaving).providers.write.requestUnstake([1_000n * TOKEN]));
    await dir.refresh();
    expect(rpc.listReads()).toBe(1);
    expect(dir.providers().map((p) => p.address)).toEqual(listed.map((p) => p.address));
    await goToEpoch(fx, 3n);
    await dir.refresh();
    expect(dir.providers().map((p) => p.address)).toEqual(listed.map((p) => p.address));
    await goToEpoch(fx, 4n);
    await dir.refresh();
    expect(dir.providers().map((p) => p.address)).toEqual(
      listed.map((p) => p.address).filter((a) => a !== getAddress(leaving.account.address)),
    );
  }, 120_000);

  it("a registry log reads only the entry it names: an update() at every refresh reads no entry, not N (review3 P1-9)", async () => {
    const rpc = counted();
    const providerRegistry = fx.deployment.contracts.providerRegistry;
    const dir = new ChainDirectory(
      { publicClient: rpc.client, logger: silent },
      {
        addresses: {
          checkerRegistry: fx.deployment.contracts.checkerRegistry,
          providerRegistry,
          epochReports: fx.deployment.contracts.epochReports,
        },
      },
    );
    const reader = new ProviderListReader(rpc.client, providerRegistry);
    await dir.refresh();
    await reader.read();
    // Two whole reads: every entry once each.
    expect(rpc.entriesRead()).toBe(2 * (ACTIVE + UNSTAKED));
    const before = rpc.entriesRead();
    // One address calls update() before every refresh: the log carries the new entry.
    const updating = await chain.impersonate(`provider-${LONGEST_FIELDS}`);
    for (let i = 0; i < 3; i++) {
      const peerId = peerIdFromPrivateKey(await generateKeyPair("Ed25519"));
      const fields = [bytesToHex(peerId.toMultihash().bytes), "H100-SXM", 81_920, "eu-west"] as const;
      await mined(chain, fx.as(updating).providers.write.update(fields));
      await dir.refresh();
      expect(dir.registeredProvider(updating.account.address)).toMatchObject({ peerId: peerId.toString() });
    }
    // A registration without stake: appended from its log.
    const newcomer = await chain.impersonate("provider-newcomer");
    await setupProvider(fx, newcomer, 0n);
    await dir.refresh();
    expect(dir.registeredProvider(newcomer.account.address)?.address).toBe(
      getAddress(newcomer.account.address),
    );
    expect(rpc.entriesRead() - before, "entries read by 4 refreshes after 4 registry logs").toBe(0);
    // The list kept from the logs is the registry's, entry for entry.
    const fields = ({ address, info }: { address: string; info: Record<string, unknown> }) => ({
      address,
      info: { peerId: info.peerId, gpuModel: info.gpuModel, vramMiB: info.vramMiB, region: info.region },
    });
    const whole = await getProviders(counted().client, { providerRegistry });
    expect((await reader.read()).providers.map(fields)).toEqual(whole.map(fields));
    expect(rpc.entriesRead() - before).toBe(0);
  }, 120_000);
});
