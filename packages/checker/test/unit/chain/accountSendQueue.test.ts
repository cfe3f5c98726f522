import { rewardTokenAbi } from "@checkernet/contracts/generated/index";
import { resultProof } from "@checkernet/protocol/merkle/trees";
import { createLogger } from "@checkernet/runtime";
import { type Address, bytesToHex, getAddress, type Hex, type PublicClient } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isolateTests, type TestChain } from "../../../../contracts/test/helpers/chain.ts";
import {
  bls,
  type Checker,
  deployWithCheckers,
  type Fixture,
  failLeaf,
  publishEpoch,
  setupProvider,
} from "../../../../contracts/test/helpers/fixture.ts";
import { sendInTurn } from "../../../src/chain/accountSendQueue.ts";
import { ChainActionError } from "../../../src/chain/actions/errors.ts";
import { openSlash } from "../../../src/chain/actions/openSlash.ts";
import { leanPublicClient } from "../../../src/chain/leanClients.ts";
import { chainTransport } from "../../../src/chain/transport.ts";
import type { SubmitterWallet } from "../../../src/duties/aggregatorDuty.ts";
import { SeedDuty, SeedOutcome } from "../../../src/duties/seedDuty.ts";
import { operatorWallet } from "../../../src/services/chainConnection.ts";
import { deploymentClock } from "../../utils/chain.ts";
import { type RpcTestServer, startRpcServer } from "../../utils/rpcServer.ts";

// One wallet, many duties (issue 14): a node's seed reveal, slash keeper, aggregator, re-check, fraud-proof and
// equivocation duties all send from its one transaction key, each on its own timer. The node's own wallet
// (services/chainConnection.ts: a local key that signs here, as in production) over HTTP to Hardhat's EDR.

const silent = createLogger({ level: "silent", pretty: false });
/** Hardhat's default accounts: the fixture's checkers are accounts 1-4. */
const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

let chain: TestChain;
let fx: Fixture;
let checkers: Checker[];
let rpc: RpcTestServer;
let chainId: bigint;
/** What the RPC does with each eth_sendRawTransaction before the chain sees it (default: nothing). */
let beforeSend: () => Promise<void> = async () => {};
/** Raw transactions the RPC received. */
let sends = 0;

beforeAll(async () => {
  ({ chain, fx, checkers } = await deployWithCheckers(4, 1));
  chainId = BigInt(await chain.publicClient.getChainId());
  rpc = await startRpcServer(async ({ method, params }) => {
    if (method === "eth_sendRawTransaction") {
      await beforeSend();
      sends++;
    }
    return chain.publicClient.request({ method, params } as never);
  });
}, 60_000);

afterAll(async () => {
  await rpc?.close();
});

isolateTests(() => chain);

function privateKeyOf(address: Address): Hex {
  for (let i = 0; i < 20; i++) {
    const account = mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex: i });
    if (account.address === getAddress(address))
      return bytesToHex(account.getHdKey().privateKey as Uint8Array);
  }
  throw new Error(`${address} is not one of Hardhat's accounts`);
}

/** The node's wallet and public client for `checker`'s key, as the node builds them, over the test's RPC. */
function nodeClients(checker: Checker, limits?: { timeoutMs: number }) {
  const transport = chainTransport(rpc.url, limits === undefined ? {} : { limits });
  const publicClient = leanPublicClient({ transport });
  const wallet = operatorWallet({ chainId, rpcUrl: rpc.url }, privateKeyOf(checker.address), {
    transport,
    publicClient,
  }) as SubmitterWallet;
  return { publicClient, wallet };
}

/** Holds each raw send until a second one arrives (or 1.5 s pass): two duties' sends meet at the RPC. */
function sendsMeet(): () => Promise<void> {
  let waiting: (() => void)[] = [];
  return () =>
    new Promise<void>((resolve) => {
      waiting.push(resolve);
      if (waiting.length >= 2) {
        for (const w of waiting) w();
        waiting = [];
        return;
      }
      setTimeout(() => {
        waiting = waiting.filter((w) => w !== resolve);
        resolve();
      }, 1_500);
    });
}

function approveArgs(wallet: SubmitterWallet, amount: bigint) {
  return {
    address: fx.deployment.contracts.rewardToken,
    abi: rewardTokenAbi,
    functionName: "approve",
    args: [fx.deployment.contracts.slashing, amount],
    chain: wallet.chain ?? null,
    account: wallet.account,
  } as const;
}

async function approve(wallet: SubmitterWallet, amount: bigint) {
  return wallet.writeContract(approveArgs(wallet, amount));
}

describe("one wallet, many duties (the account's send queue, EDR)", () => {
  it("the seed reveal and the slash keeper's openSlash sent at once from one key both land on their first try", async () => {
    const provider = await setupProvider(fx, chain.wallets[10]!);
    const leaf = failLeaf(
      provider.address,
      checkers.slice(0, 3).map((c) => c.address),
    );
    const published = await publishEpoch(fx, 1n, { results: [leaf] });
    const epoch = await fx.c.reports.read.currentEpoch();
    const [who] = await fx.c.reports.read.seedProposer([epoch]);
    const proposer = checkers.find((c) => c.address === getAddress(who));
    if (proposer === undefined) throw new Error("the seed proposer is not one of the fixture's checkers");
    const { publicClient, wallet } = nodeClients(proposer);
    const base = deploymentClock(fx);
    const seedDuty = new SeedDuty(
      {
        clock: deploymentClock(fx, () => base.bounds(epoch).startMs + 2_000),
        bls: await bls(),
        logger: silent,
        publicClient: publicClient as PublicClient,
        walletClient: wallet,
      },
      {
        operator: proposer.address,
        secretKey: proposer.key.secretKey,
        domain: fx.domain,
        epochReports: fx.deployment.contracts.epochReports,
        retryBaseMs: 50,
        maxRetryMs: 200,
      },
    );
    const nonceBefore = await chain.publicClient.getTransactionCount({ address: proposer.address });
    sends = 0;
    beforeSend = sendsMeet();
    try {
      // The two duties run on their own timers; here they start together and their sends meet at the RPC.
      const [revealed, opened] = await Promise.all([
        seedDuty.runEpoch(epoch),
        openSlash(publicClient as PublicClient, wallet, {
          slashing: fx.deployment.contracts.slashing,
          epoch: 1n,
          leaf,
          proof: resultProof(published.results!, provider.address),
        }).catch((e: unknown) => e as Error),
      ]);
      // Before the queue both took the pending nonce: one was refused (nonce too low) and had to be sent again.
      expect(opened).not.toBeInstanceOf(Error);
      expect((opened as { slashId: bigint | null }).slashId).not.toBeNull();
      expect(revealed.outcome).toBe(SeedOutcome.REVEALED);
      expect(revealed.attempts).toBe(1);
      expect(sends).toBe(2);
    } finally {
      beforeSend = async () => {};
    }
    expect(await fx.c.reports.read.isSeedRevealed([epoch + 1n])).toBe(true);
    expect(await fx.c.slashing.read.slashIdOf([1n, provider.address])).not.toBe(0n);
    expect(await chain.publicClient.getTransactionCount({ address: proposer.address })).toBe(nonceBefore + 2);
  }, 60_000);

  it("a send refused before broadcast frees its nonce; one the RPC dropped is not waited for; a restart reads the chain", async () => {
    const { publicClient, wallet } = nodeClients(checkers[0]!);
    const address = checkers[0]!.address;
    const start = await chain.publicClient.getTransactionCount({ address });
    // Refused in gas estimation (a proof that does not verify) while another send waits its turn.
    const provider = await setupProvider(fx, chain.wallets[11]!);
    const leaf = failLeaf(provider.address, [address]);
    const [refused, approved] = await Promise.all([
      openSlash(publicClient as PublicClient, wallet, {
        slashing: fx.deployment.contracts.slashing,
        epoch: 1n,
        leaf,
        proof: [`0x${"11".repeat(32)}`],
      }).catch((e: unknown) => e as Error),
      approve(wallet, 1n),
    ]);
    expect(refused).toBeInstanceOf(ChainActionError);
    await chain.publicClient.waitForTransactionReceipt({ hash: approved });
    expect(await chain.publicClient.getTransactionCount({ address })).toBe(start + 1);

    // Accepted into the mempool, then dropped there (underpriced, evicted): its nonce is free again.
    await chain.testClient.setAutomine(false);
    try {
      const dropped = await approve(wallet, 2n);
      await chain.testClient.dropTransaction({ hash: dropped });
    } finally {
      await chain.testClient.setAutomine(true);
    }
    const after = await approve(wallet, 3n);
    // Without the check it took start + 2: EDR refuses it ("nonce too high"), a live chain holds it behind the gap.
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash: after, timeout: 10_000 });
    expect(receipt.status).toBe("success");
    expect(await chain.publicClient.getTransactionCount({ address })).toBe(start + 2);

    // A restarted node keeps nothing: its first nonce is the chain's.
    const restarted = nodeClients(checkers[0]!).wallet;
    await chain.publicClient.waitForTransactionReceipt({
      hash: await approve(restarted, 4n),
      timeout: 10_000,
    });
    expect(await chain.publicClient.getTransactionCount({ address })).toBe(start + 3);
  }, 60_000);

  it("a send that fixed its nonce in its turn (submitOnce) frees the queue once the RPC took it, not once mined", async () => {
    const { publicClient, wallet } = nodeClients(checkers[2]!);
    const address = checkers[2]!.address;
    const start = await chain.publicClient.getTransactionCount({ address });
    let receiptWait!: () => void;
    const mined = new Promise<void>((resolve) => {
      receiptWait = resolve;
    });
    const pinned = sendInTurn(wallet, publicClient as PublicClient, async (nextNonce) => {
      const nonce = await nextNonce();
      const hash = await wallet.writeContract({ ...approveArgs(wallet, 5n), nonce });
      await mined; // as submitReport waits for its receipt
      return hash;
    });
    // Another duty's send goes ahead meanwhile (it waited for the whole receipt wait before acceptance ended a turn).
    const other = await Promise.race([
      approve(wallet, 6n),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error("queued behind a receipt wait")), 5_000),
      ),
    ]);
    receiptWait();
    for (const hash of [await pinned, other]) {
      expect((await chain.publicClient.waitForTransactionReceipt({ hash })).status).toBe("success");
    }
    expect(await chain.publicClient.getTransactionCount({ address })).toBe(start + 2);
  }, 60_000);

  it("a hung RPC fails every queued send by its deadline, the ones waiting behind it included", async () => {
    const { wallet } = nodeClients(checkers[1]!, { timeoutMs: 300 });
    rpc.mode = "hang";
    const began = Date.now();
    try {
      const results = await Promise.all(
        [1n, 2n, 3n].map((n) =>
          approve(wallet, n).then(
            () => "sent",
            (e: unknown) => ({ error: e as Error, ms: Date.now() - began }),
          ),
        ),
      );
      for (const r of results) expect(r).toMatchObject({ error: expect.any(Error) });
      // Each call ends within its 300 ms (no retry of a timeout): three sends, one at a time, well under 10 s.
      expect(Math.max(...results.map((r) => (r as { ms: number }).ms))).toBeLessThan(10_000);
    } finally {
      rpc.mode = "answer";
    }
  }, 60_000);
});
