import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { answerKeyAddress, signAnswerKey } from "@checkernet/protocol/fraud/answerSigning";
import { createLogger } from "@checkernet/runtime";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import {
  bytesToHex,
  createPublicClient,
  custom,
  type EIP1193RequestFn,
  getAddress,
  type PublicClient,
} from "viem";
import { generatePrivateKey } from "viem/accounts";
import { beforeAll, describe, expect, it } from "vitest";
import {
  connectChain,
  expectRevert,
  isolateTests,
  mined,
  type TestChain,
} from "../../../../contracts/test/helpers/chain.ts";
import {
  deployFixture,
  type Fixture,
  giveLicenses,
  goToEpoch,
  revealSeed,
  setupCheckers,
  TOKEN,
} from "../../../../contracts/test/helpers/fixture.ts";
import { ChainDirectory } from "../../../src/chain/chainDirectory.ts";
import { gpuClassOf, peerIdFromBytes } from "../../../src/chain/providerRecord.ts";
import { loadConfig } from "../../../src/config.ts";
import { identityBudgetOf } from "../../../src/network/identityBudget.ts";
import { CheckerNode } from "../../../src/node.ts";
import { registerProvider } from "../../utils/chain.ts";

let chain: TestChain;
let fx: Fixture;
const silent = createLogger({ level: "silent", pretty: false });

beforeAll(async () => {
  chain = await connectChain();
  fx = await deployFixture(chain);
});

isolateTests(() => chain);

function directory(): ChainDirectory {
  const c = fx.deployment.contracts;
  return new ChainDirectory(
    { publicClient: chain.publicClient, logger: silent },
    {
      addresses: {
        checkerRegistry: c.checkerRegistry,
        providerRegistry: c.providerRegistry,
        epochReports: c.epochReports,
      },
    },
  );
}

describe("ChainDirectory (contracts on Hardhat's in-process EDR)", () => {
  it("reads operators with their BLS keys and license weights, providers and epoch seeds", async () => {
    const checkers = await setupCheckers(fx, 2, 2);
    const wallet = chain.wallets[10]!;
    const address = getAddress(wallet.account.address);
    const peerId = peerIdFromPrivateKey(await generateKeyPair("Ed25519"));
    const own = fx.as(wallet);
    await mined(
      chain,
      own.providers.write.register([bytesToHex(peerId.toMultihash().bytes), "cpu-reference", 16, "local"]),
    );
    const stake = await fx.c.providers.read.minStake();
    await mined(chain, fx.c.token.write.transfer([address, stake + TOKEN]));
    await mined(chain, own.token.write.approve([fx.deployment.contracts.providerRegistry, stake]));
    await mined(chain, own.providers.write.stake([stake]));

    // Before genesis (epoch 0) the directory holds the launch set: epoch 1's snapshot.
    const dir = directory();
    await dir.refresh();
    expect(dir.totalLicenses()).toBe(4);
    expect(dir.totalLicenses(1n)).toBe(4);
    for (const c of checkers) {
      const rec = dir.getChecker(c.address);
      expect(rec?.licenses).toBe(2);
      expect(bytesToHex(rec!.publicKey)).toBe(bytesToHex(c.key.publicKey));
    }
    await goToEpoch(fx, 1n);
    await dir.refresh();
    expect(dir.hasProvider(address, 1n)).toBe(true);
    expect(dir.providers().find((x) => x.address === address)).toMatchObject({
      peerId: peerId.toString(),
      classId: 1,
      region: 0,
      vramBytes: 16 * 2 ** 20,
    });
    const epoch = await fx.c.reports.read.currentEpoch();
    expect(dir.seed(epoch)).toMatch(/^0x[0-9a-f]{64}$/);
    expect(dir.status()).toMatchObject({ connected: true, lastError: null, checkers: 2, providers: 1 });
  });

  it("two nodes that refresh before and after mid-epoch changes agree on the checking sets, final a whole epoch ahead", async () => {
    await setupCheckers(fx, 2, 1);
    // Account 10, staked at exactly the minimum before genesis: in every set from epoch 1.
    const leaving = await registerProvider(chain, fx, 0, 0n);
    await goToEpoch(fx, 2n);
    const early = directory();
    await early.refresh();
    // Mid-epoch 2: the first one's stake falls under the minimum (a slash landing does the same), and a
    // second one (account 11) registers and stakes: live, the registry lists the second and not the first.
    await mined(chain, fx.as(chain.wallets[10]!).providers.write.requestUnstake([1n]));
    const joining = await registerProvider(chain, fx, 1, 0n);
    expect(await fx.c.providers.read.isActive([leaving])).toBe(false);
    expect(await fx.c.providers.read.isActive([joining])).toBe(true);
    const late = directory();
    await late.refresh();
    const setOf = (dir: ChainDirectory, epoch: bigint) => ({
      leaving: dir.hasProvider(leaving, epoch),
      joining: dir.hasProvider(joining, epoch),
      listed: dir.providers(epoch).map((p) => p.address),
    });
    // A leave in 2 counts from 4, an entry from 2 + activationDelayEpochs (2 here): the sets of 2 and of 3
    // (read ahead during 2, already final) keep the first and lack the second, on both nodes.
    const before = { leaving: true, joining: false, listed: [leaving] };
    for (const e of [2n, 3n]) {
      expect(setOf(early, e)).toEqual(before);
      expect(setOf(late, e)).toEqual(before);
    }
    // The early node refreshes again: both sets were final when it read them.
    await early.refresh();
    expect(setOf(early, 3n)).toEqual(before);
    // From epoch 4 on both count the changes; older sets stay for their late attestations and reports.
    await goToEpoch(fx, 4n);
    const after = { leaving: false, joining: true, listed: [joining] };
    for (const dir of [early, late]) {
      await dir.refresh();
      expect(setOf(dir, 4n)).toEqual(after);
      expect(setOf(dir, 3n)).toEqual(before);
      // Out of the set, still a registered provider: a re-check of it runs (recheckDuty, issue 14).
      expect(dir.providers().map((p) => p.address)).toEqual([joining]);
      expect(dir.registeredProvider(leaving)?.address).toBe(leaving);
    }
    // A node started later reads epoch 2's set from the chain on demand (a late report's co-signer), and
    // answers none for an epoch it does not hold, not another epoch's.
    const restarted = directory();
    await restarted.refresh();
    expect(setOf(restarted, 2n)).toEqual({ leaving: false, joining: false, listed: [] });
    expect(await restarted.ensureEpoch(2n)).toBe(true);
    expect(setOf(restarted, 2n)).toEqual(before);
  });

  it("lists every member of an epoch's set, one whose registry entry it cannot use too, marked as such (review3 P1-1)", async () => {
    await setupCheckers(fx, 2, 1);
    const usable = await registerProvider(chain, fx, 0, 0n);
    // A staked provider names a GPU model no checker knows: still in the set (isActiveAt), so gossip rule 6
    // accepts attestations of it. Skipped by every honest node, it was attested only by whoever chose to.
    const broken = await registerProvider(chain, fx, 1, 0n, { gpuModel: "none", vramMiB: 16 });
    await goToEpoch(fx, 2n);
    const dir = directory();
    await dir.refresh();
    expect(await fx.c.providers.read.isActiveAt([broken, 2n])).toBe(true);
    expect(dir.hasProvider(broken, 2n)).toBe(true);
    expect(dir.providers(2n).map((p) => p.address)).toEqual([usable, broken]);
    expect(dir.providers(2n).find((p) => p.address === broken)).toEqual({
      address: broken,
      unusable: { field: "gpuModel", reason: 'unknown GPU model "none"' },
    });
    expect(dir.registeredProvider(broken)).toEqual(dir.providers(2n)[1]);
    // Staked, its class is frozen (review4 H2: no flip back to a usable entry before a re-check); a new peer id
    // (update() of it alone, at any time) changes the member's record, never who the members are.
    const peerId = peerIdFromPrivateKey(await generateKeyPair("Ed25519"));
    const peerIdBytes = bytesToHex(peerId.toMultihash().bytes);
    await expectRevert(
      fx.as(chain.wallets[11]!).providers.write.update([peerIdBytes, "cpu-reference", 16, "local"]),
      "ProviderRegistryFieldsFrozen",
      ["gpuModel"],
    );
    await mined(
      chain,
      fx.as(chain.wallets[10]!).providers.write.update([peerIdBytes, "cpu-reference", 16, "local"]),
    );
    await dir.refresh();
    expect(dir.providers(2n).map((p) => p.address)).toEqual([usable, broken]);
    expect(dir.registeredProvider(usable)).toMatchObject({ address: usable, peerId: peerId.toString() });
  });

  it("holds the next epoch's checking set ahead: with the RPC gone at that epoch's start, its attestations are still judged", async () => {
    await setupCheckers(fx, 2, 1);
    const provider = await registerProvider(chain, fx, 0, 0n);
    await goToEpoch(fx, 1n);
    let down = false;
    const request = (async (args: { method: string; params?: unknown }) => {
      if (down) throw new Error("the RPC did not answer");
      return chain.publicClient.request(args as never);
    }) as EIP1193RequestFn;
    const client = createPublicClient({ transport: custom({ request }, { retryCount: 0 }) }) as PublicClient;
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
    await dir.refresh();
    await goToEpoch(fx, 2n);
    down = true;
    expect(await dir.ensureEpoch(2n)).toBe(true);
    expect(dir.hasProvider(provider, 2n)).toBe(true);
    expect(dir.providers(2n).map((p) => p.address)).toEqual([provider]);
    // An epoch it could not read is held as no set at all, not the current one (the duty abstains).
    expect(await dir.ensureEpoch(5n)).toBe(false);
    expect(dir.providers(5n)).toEqual([]);
  });

  it("reads the next epoch's seed ahead once it is revealed, and not before (an outage at its start leaves it checkable)", async () => {
    await setupCheckers(fx, 2, 1);
    await goToEpoch(fx, 1n);
    const dir = directory();
    await dir.refresh();
    // Not revealed: seedOf(2) is only provisional (its proposer may still reveal), so nothing is cached.
    expect(await fx.c.reports.read.isSeedRevealed([2n])).toBe(false);
    expect(dir.seed(2n)).toBeUndefined();
    await revealSeed(fx, 2n);
    await dir.refresh();
    const final = await fx.c.reports.read.seedOf([2n]);
    expect(dir.seed(2n)).toBe(final);
    // Epoch 2 begins with the RPC gone: the seed is already there.
    await goToEpoch(fx, 2n);
    expect(await fx.c.reports.read.seedOf([2n])).toBe(final);
    expect(dir.seed(2n)).toBe(final);
  });

  it("weighs each epoch with its own snapshot: a delegation counts from the activation delay on", async () => {
    const [a, b] = await setupCheckers(fx, 2, 1);
    await goToEpoch(fx, 1n);
    const dir = directory();
    await dir.refresh();
    // Epoch 1 holds the launch set; epoch 2 (fixed already) is read ahead, before its boundary.
    expect(dir.totalLicenses(1n)).toBe(2);
    expect(dir.status().epoch).toBe("1");
    // A delegation landing in epoch 1 counts from epoch 1 + A = 3, and never changes epochs 1 and 2.
    const delay = await fx.c.registry.read.activationDelayEpochs();
    await giveLicenses(fx, a!, 2);
    await dir.refresh();
    expect(dir.getChecker(a!.address, 1n)?.licenses).toBe(1);
    expect(dir.getChecker(a!.address, 2n)?.licenses).toBe(1);
    expect(await dir.ensureEpoch(1n + delay)).toBe(true);
    expect(dir.getChecker(a!.address, 1n + delay)?.licenses).toBe(3);
    expect(dir.totalLicenses(1n + delay)).toBe(4);
    // Once the chain reaches that epoch, it is the directory's current one.
    await goToEpoch(fx, 1n + delay);
    await dir.refresh();
    expect(dir.getChecker(a!.address)?.licenses).toBe(3);
    expect(dir.getChecker(b!.address)?.licenses).toBe(1);
    expect(dir.totalLicenses()).toBe(4);
    expect(dir.getChecker(a!.address, 1n)?.licenses).toBe(1);
  });

  it("keeps its last snapshot and reports the error when the RPC goes away", async () => {
    const dir = directory();
    await dir.refresh();
    const before = dir.totalLicenses();
    const broken = new ChainDirectory(
      {
        publicClient: {
          ...chain.publicClient,
          readContract: () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:8545")),
        } as never,
        logger: silent,
      },
      {
        addresses: {
          checkerRegistry: fx.deployment.contracts.checkerRegistry,
          providerRegistry: fx.deployment.contracts.providerRegistry,
          epochReports: fx.deployment.contracts.epochReports,
        },
      },
    );
    await expect(broken.refresh()).rejects.toThrow(/ECONNREFUSED/);
    expect(broken.status()).toMatchObject({
      connected: false,
      lastError: "connect ECONNREFUSED 127.0.0.1:8545",
    });
    expect(dir.totalLicenses()).toBe(before);
  });

  it("reads a provider's answer key per epoch with its signing domain (answerKeyAt)", async () => {
    const wallet = chain.wallets[11]!;
    const address = getAddress(wallet.account.address);
    const own = fx.as(wallet);
    const peerId = peerIdFromPrivateKey(await generateKeyPair("Ed25519"));
    await mined(
      chain,
      own.providers.write.register([bytesToHex(peerId.toMultihash().bytes), "cpu-reference", 16, "local"]),
    );
    const dir = directory();
    expect(await dir.answerKeyAt(address, 1n)).toBeUndefined();
    const key = generatePrivateKey();
    const answerKey = answerKeyAddress(key);
    const chainId = BigInt(await chain.publicClient.getChainId());
    const domain = { chainId, verifyingContract: fx.deployment.contracts.providerRegistry };
    const pop = signAnswerKey(key, domain, { provider: address, answerKey });
    await mined(chain, own.providers.write.setAnswerKey([answerKey, pop]));
    const from = await fx.c.providers.read.effectiveEpochOfChange();
    expect(await dir.answerKeyAt(address, from - 1n)).toBeUndefined();
    expect(await dir.answerKeyAt(address, from)).toEqual({ key: answerKey, ...domain });
  });

  it("maps registry strings and peer ids, refusing what it cannot use", () => {
    expect(gpuClassOf("cpu-reference")).toBe(1);
    expect(gpuClassOf("H100-PCIe")).toBeDefined();
    expect(gpuClassOf("Voodoo 2")).toBeUndefined();
    expect(() => peerIdFromBytes(new Uint8Array([0x12, 0x20, 1, 2]))).toThrow(/multihash/);
    // The provider agent registers the base58btc text; operators the binary multihash.
    const text = "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN";
    expect(peerIdFromBytes(new TextEncoder().encode(text))).toBe(text);
  });

  it("CheckerNode uses it for the epoch clock, gossip validation and the duty, and reports it in /status", async () => {
    const [checker] = await setupCheckers(fx, 1, 1);
    const checkerPeer = peerIdFromPrivateKey(await generateKeyPair("Ed25519"));
    await mined(
      chain,
      fx.as(checker!.wallet).registry.write.updatePeerId([bytesToHex(checkerPeer.toMultihash().bytes)]),
    );
    await goToEpoch(fx, 2n);
    const c = fx.deployment.contracts;
    const config = loadConfig({
      env: {},
      flags: {
        dataDir: mkdtempSync(join(tmpdir(), "checker-chain-node-")),
        listen: ["/ip4/127.0.0.1/tcp/0"],
        apiPort: 0,
        dht: false,
        nat: false,
        chainId: String(fx.deployment.chainId),
        verifyingContract: c.epochReports,
        checkerRegistry: c.checkerRegistry,
        providerRegistry: c.providerRegistry,
      },
    });
    const node = await CheckerNode.create({ config, logger: silent, publicClient: chain.publicClient });
    await node.start();
    try {
      expect(node.chain).toBeDefined();
      expect(node.clock.epochSeconds).toBe(Number(fx.deployment.epochSeconds));
      expect(node.clock.genesisMs).toBe(Number(fx.deployment.genesisTime) * 1000);
      const status = await node.status();
      expect(status.chain.connected).toBe(true);
      expect(status.chain.lastError).toBeNull();
      expect(node.chain!.totalLicenses()).toBeGreaterThan(0);
      // The registered operator's peer id is outside the host's identity budget (review5 M2).
      const budget = identityBudgetOf(node.host)!;
      await expect
        .poll(() => budget.isRegisteredChecker(checkerPeer.toString()), { timeout: 5_000 })
        .toBe(true);
      expect(budget.isRegisteredChecker(node.host.peerId.toString())).toBe(false);
    } finally {
      await node.stop();
    }
  });
});
