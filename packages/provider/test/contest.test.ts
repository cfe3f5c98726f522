import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resultProof } from "@checkernet/protocol/merkle/trees";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import {
  createPublicClient,
  createWalletClient,
  custom,
  type PublicClient,
  bytesToHex as toHexBytes,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { beforeAll, describe, expect, it } from "vitest";
import { connectChain, mined, type TestChain } from "../../contracts/test/helpers/chain.ts";
import {
  type Checker,
  deployFixture,
  type Fixture,
  failLeaf,
  goToEpoch,
  passLeaf,
  publishEpoch,
  setupCheckers,
  TOKEN,
} from "../../contracts/test/helpers/fixture.ts";
import { providerStatus, registerProvider, stakeTokens } from "../src/chain/actions.ts";
import type { ProviderChain } from "../src/chain/client.ts";
import { contestOutcome, contestSlash, followContest } from "../src/chain/contest.ts";
import { ChainErrorCode } from "../src/chain/errors.ts";
import { readLeafFile } from "../src/chain/leafFile.ts";
import { openSlashes } from "../src/chain/openSlashes.ts";
import { evidenceSources, parseCheckerTarget } from "../src/evidence/sources.ts";

/**
 * The provider's side of a slash against the real contracts (Hardhat EDR):
 * a report with a FAIL leaf lands (signed by a real BLS report committee, via
 * the contracts package's fixture), the provider contests it with the leaf
 * and its proof, and follows the contest to its outcome.
 */
describe("provider contest against the deployed Slashing contract", () => {
  let chain: TestChain;
  let fx: Fixture;
  let checkers: Checker[];
  let me: ProviderChain;
  let poor: ProviderChain;

  async function providerAccount(tokens: bigint): Promise<ProviderChain> {
    const account = privateKeyToAccount(generatePrivateKey());
    await chain.testClient.setBalance({ address: account.address, value: 10n ** 20n });
    if (tokens > 0n) await mined(chain, fx.c.token.write.transfer([account.address, tokens]));
    const transport = custom({
      request: (args: { method: string; params?: unknown }) => chain.publicClient.request(args as never),
    });
    const provider: ProviderChain = {
      publicClient: createPublicClient({ transport }) as PublicClient,
      walletClient: createWalletClient({ account, transport, chain: chain.publicClient.chain }),
      account,
      contracts: fx.deployment.contracts,
    };
    await registerProvider(provider, {
      peerId: `12D3KooW${account.address.slice(2, 20)}`,
      gpuClass: "t4",
      region: "eu-west",
    });
    if (tokens >= 1_000n * TOKEN) await stakeTokens(provider, 1_000n * TOKEN);
    return provider;
  }

  beforeAll(async () => {
    chain = await connectChain();
    fx = await deployFixture(chain);
    checkers = await setupCheckers(fx, 4, 1);
    me = await providerAccount(1_300n * TOKEN);
    poor = await providerAccount(1_000n * TOKEN);
  });

  const accusers = () => checkers.slice(0, 3).map((c) => c.address);

  it("contests a FAIL leaf with its proof, and the default rule forfeits the bond when no re-check lands", async () => {
    const leaf = failLeaf(me.account.address, accusers());
    const published = await publishEpoch(fx, 1n, {
      results: [leaf, failLeaf(poor.account.address, accusers()), passLeaf(checkers[3]!.address)],
    });
    const proof = resultProof(published.results!, leaf.provider);
    const before = (await providerStatus(me)).tokenBalance;
    const receipt = await contestSlash(me, { epoch: 1n, leaf, proof });
    expect(receipt.bond).toBe(100n * TOKEN);
    expect((await providerStatus(me)).tokenBalance).toBe(before - receipt.bond);
    expect((await providerStatus(me)).pendingSlashes).toBe(1n);
    expect(await contestOutcome(me, receipt.slashId)).toMatchObject({ state: "contested" });
    // `provider status` lists it: contested, with the re-check's deadline.
    expect((await openSlashes(me)).slashes).toEqual([
      expect.objectContaining({ slashId: receipt.slashId, epoch: 1n, status: "contested" }),
    ]);

    // A second contest of the same slash: nothing pending any more.
    await expect(contestSlash(me, { epoch: 1n, leaf, proof })).rejects.toMatchObject({
      code: ChainErrorCode.NO_PENDING_SLASH,
    });

    // No re-check report arrives: past its deadline anyone may expire the contest; the slash is dropped
    // and the bond burned (a contest is never free, or a failing provider would contest every slash).
    await goToEpoch(fx, receipt.resolveDeadline + 1n);
    const followed = followContest(me, receipt.slashId, { pollMs: 50 });
    await mined(chain, fx.c.slashing.write.expireContest([receipt.slashId]));
    expect(await followed).toEqual({
      state: "expired",
      slashId: receipt.slashId,
      bondRefunded: 0n,
      bondForfeited: 100n * TOKEN,
    });
    expect((await providerStatus(me)).tokenBalance).toBe(before - receipt.bond);
    expect((await providerStatus(me)).pendingSlashes).toBe(0n);
    expect((await openSlashes(me)).slashes).toEqual([]);
  });

  it("says why it cannot contest: not a FAIL, someone else's leaf, bond missing, window closed", async () => {
    const pass = passLeaf(me.account.address);
    await expect(contestSlash(me, { epoch: 2n, leaf: pass, proof: [] })).rejects.toMatchObject({
      code: ChainErrorCode.NO_PENDING_SLASH,
    });
    const theirs = failLeaf(poor.account.address, accusers());
    await expect(contestSlash(me, { epoch: 1n, leaf: theirs, proof: [] })).rejects.toMatchObject({
      code: ChainErrorCode.BAD_ARGUMENT,
    });

    // `poor` staked everything it had: it cannot post the bond for its epoch-1 failure.
    const published = await publishEpoch(fx, await fx.c.reports.read.currentEpoch(), {
      results: [failLeaf(poor.account.address, accusers()), passLeaf(me.account.address)],
    });
    const epoch = published.header.epoch;
    const poorLeaf = failLeaf(poor.account.address, accusers());
    await expect(
      contestSlash(poor, {
        epoch,
        leaf: poorLeaf,
        proof: resultProof(published.results!, poorLeaf.provider),
      }),
    ).rejects.toMatchObject({ code: ChainErrorCode.INSUFFICIENT_BOND });

    // Epoch 1's window (4 epochs) is long gone.
    await expect(contestSlash(poor, { epoch: 1n, leaf: poorLeaf, proof: [] })).rejects.toMatchObject({
      code: ChainErrorCode.WINDOW_CLOSED,
    });
  });

  it("reads a leaf file field by field and names the first bad one", async () => {
    const file = join(tmpdir(), `leaf-${process.pid}.json`);
    const leaf = failLeaf(me.account.address, accusers());
    const good = {
      leaf: { ...leaf, slashAmount: leaf.slashAmount.toString() },
      proof: [`0x${"ab".repeat(32)}`],
    };
    await writeFile(file, JSON.stringify(good));
    expect(await readLeafFile(file)).toEqual({ leaf, proof: good.proof });
    for (const [patch, field] of [
      [{ leaf: { ...good.leaf, provider: "0x12" } }, "leaf.provider"],
      [{ leaf: { ...good.leaf, verdict: 7 } }, "leaf.verdict"],
      [{ leaf: { ...good.leaf, slashAmount: 5 } }, "leaf.slashAmount"],
      [{ leaf: { ...good.leaf, accusers: ["nope"] } }, "leaf.accusers[0]"],
      [{ proof: ["0x1234"] }, "proof"],
    ] as const) {
      await writeFile(file, JSON.stringify({ ...good, ...patch }));
      await expect(readLeafFile(file)).rejects.toThrow(field);
    }
    await writeFile(file, "{");
    await expect(readLeafFile(file)).rejects.toMatchObject({ code: ChainErrorCode.BAD_ARGUMENT });
  });

  it("builds evidence sources from the checker registry: registered key, and only the registered peer id", async () => {
    const peer = peerIdFromPrivateKey(await generateKeyPair("Ed25519"));
    const checker = checkers[0]!;
    await mined(
      chain,
      fx.as(checker.wallet).registry.write.updatePeerId([toHexBytes(peer.toMultihash().bytes)]),
    );
    const target = parseCheckerTarget(`${checker.address}@/ip4/127.0.0.1/tcp/4011/p2p/${peer.toString()}`);
    const [source] = await evidenceSources(me, fx.deployment.contracts.checkerRegistry, [target]);
    expect(source?.publicKey).toEqual(checker.key.publicKey);
    expect(source?.peer.toString()).toBe(target.addr.toString());

    const other = peerIdFromPrivateKey(await generateKeyPair("Ed25519"));
    const impostor = parseCheckerTarget(`${checker.address}@/ip4/127.0.0.1/tcp/4011/p2p/${other.toString()}`);
    await expect(evidenceSources(me, fx.deployment.contracts.checkerRegistry, [impostor])).rejects.toThrow(
      "registered peer",
    );
    const unknown = parseCheckerTarget(
      `${me.account.address}@/ip4/127.0.0.1/tcp/4011/p2p/${peer.toString()}`,
    );
    await expect(evidenceSources(me, fx.deployment.contracts.checkerRegistry, [unknown])).rejects.toThrow(
      "not registered",
    );
    expect(() => parseCheckerTarget("/ip4/127.0.0.1/tcp/1")).toThrow("expected <address>@");
    expect(() => parseCheckerTarget(`${checker.address}@/ip4/127.0.0.1/tcp/1`)).toThrow("/p2p/");
  });

  it("lists a provider's open slashes with epoch, amount and contest deadline, and no one else's", async () => {
    const now = (await openSlashes(poor)).currentEpoch;
    const epoch = now + 1n;
    const leaf = failLeaf(poor.account.address, accusers());
    const published = await publishEpoch(fx, epoch, {
      results: [leaf, passLeaf(me.account.address), passLeaf(checkers[3]!.address)],
    });
    // Anyone may open the slash of a FAIL leaf: here the deployer.
    await mined(
      chain,
      fx.c.slashing.write.openSlash([epoch, leaf, resultProof(published.results!, leaf.provider)]),
    );
    const open = await openSlashes(poor);
    const window = await chain.publicClient.readContract({
      address: fx.deployment.contracts.slashing,
      abi: fx.c.slashing.abi,
      functionName: "contestWindowEpochs",
    });
    const landed = await fx.c.reports.read.landedEpochOf([epoch]);
    expect(open.slashes).toEqual([
      {
        slashId: expect.any(BigInt),
        epoch,
        amount: leaf.slashAmount,
        status: "pending",
        contestDeadline: BigInt(landed) + BigInt(window),
        resolveDeadline: expect.any(BigInt),
      },
    ]);
    expect(open.currentEpoch).toBeLessThanOrEqual(open.slashes[0]!.contestDeadline);
    // `me` had a PASS leaf in that epoch: nothing open.
    expect((await openSlashes(me)).slashes).toEqual([]);
  });
});
