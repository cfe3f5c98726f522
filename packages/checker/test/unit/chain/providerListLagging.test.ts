import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { type Address, bytesToHex, getAddress } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import {
  connectChain,
  isolateTests,
  mined,
  type TestChain,
} from "../../../../contracts/test/helpers/chain.ts";
import { deployFixture, type Fixture } from "../../../../contracts/test/helpers/fixture.ts";
import { ProviderListReader } from "../../../src/chain/providerList.ts";
import { type LaggingRpc, laggingRpc, selectorOf } from "../../utils/laggingRpc.ts";

/**
 * Review5 L2: the provider list kept from ProviderRegistry's logs, behind a load-balanced RPC (laggingRpc on
 * EDR: a fresh backend and one at an older block, whose eth_getLogs answers a range past its head with the
 * logs up to its head and no error). A registration the stale backend left out must neither pass
 * `complete()` on the count alone (a later registration in its place) nor stay out of the refreshed list.
 */
let chain: TestChain;
let fx: Fixture;
const PROVIDER_COUNT = selectorOf("providerCount()");

beforeAll(async () => {
  chain = await connectChain();
  fx = await deployFixture(chain);
});

isolateTests(() => chain);

/** Registers provider `index` (no stake: it is listed all the same); its address and the block it is in. */
async function register(index: number): Promise<{ address: Address; block: bigint }> {
  const wallet = chain.wallets[10 + index]!;
  const peerId = peerIdFromPrivateKey(await generateKeyPair("Ed25519"));
  const receipt = await mined(
    chain,
    fx
      .as(wallet)
      .providers.write.register([bytesToHex(peerId.toMultihash().bytes), "cpu-reference", 16, "local"]),
  );
  return { address: getAddress(wallet.account.address), block: receipt.blockNumber };
}

/** A reader over a balancer whose logs come from the stale backend, at the chain's head now. */
async function readerBehindLaggingLogs(): Promise<{ rpc: LaggingRpc; reader: ProviderListReader }> {
  const rpc = laggingRpc(chain, await chain.publicClient.getBlockNumber(), () => "fresh");
  return { rpc, reader: new ProviderListReader(rpc.client, fx.deployment.contracts.providerRegistry) };
}

const addresses = (view: { providers: { address: Address }[] }) => view.providers.map((p) => p.address);

describe("the provider list behind a lagging RPC (review5 L2)", () => {
  it("the refresh after one whose logs were clamped reads what they left out, without a whole read", async () => {
    const first = await register(0);
    const { rpc, reader } = await readerBehindLaggingLogs();
    expect(addresses(await reader.read())).toEqual([first.address]);
    const left = await register(1);
    // The logs come from the stale backend, still before the registration: no error, no log.
    rpc.route = (r) => (r.method === "eth_getLogs" ? "stale" : "fresh");
    expect(addresses(await reader.read())).toEqual([first.address]);
    await chain.testClient.mine({ blocks: 1 });
    let countReads = 0;
    rpc.route = (r) => {
      if (r.selector === PROVIDER_COUNT) countReads++;
      return "fresh";
    };
    const view = await reader.read();
    expect(addresses(view)).toEqual([first.address, left.address]);
    expect(countReads, "whole reads (each starts with providerCount)").toBe(0);
    // Read again, the overlap's logs are not applied twice: the list and its version stay.
    await chain.testClient.mine({ blocks: 1 });
    const again = await reader.read();
    expect(again.providers).toBe(view.providers);
    expect(again.registryVersion).toBe(view.registryVersion);
  });

  it("complete() compares members at the pin, not counts: a later registration in a lost one's place is caught", async () => {
    const first = await register(0);
    const { rpc, reader } = await readerBehindLaggingLogs();
    await reader.read();
    const lost = await register(1);
    // Every refresh's logs come from the stale backend, still before the registration, until the list's
    // block is past the overlap: no later refresh reads the lost registration's log again.
    rpc.route = (r) => (r.method === "eth_getLogs" ? "stale" : "fresh");
    await reader.read();
    await chain.testClient.mine({ blocks: 40 });
    await reader.read();
    rpc.route = () => "fresh";
    const later = await register(2);
    const view = await reader.read();
    // The list has as many entries as the registry had at `lost`'s block, the wrong ones.
    expect(addresses(view)).toEqual([first.address, later.address]);
    expect(await fx.c.providers.read.providerCount({ blockNumber: lost.block })).toBe(2n);
    const complete = await reader.complete(view, lost.block);
    expect(addresses(complete)).toEqual([first.address, lost.address]);
  });
});
