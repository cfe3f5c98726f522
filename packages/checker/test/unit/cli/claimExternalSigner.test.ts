import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Beneficiary, type RewardLeaf } from "@checkernet/protocol/merkle/leaves";
import { type Address, getAddress, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectChain, mined, type TestChain } from "../../../../contracts/test/helpers/chain.ts";
import {
  type Checker,
  deployFixture,
  type Fixture,
  goToEpoch,
  setupCheckers,
  TOKEN,
  unlockLicenseRewards,
} from "../../../../contracts/test/helpers/fixture.ts";
import { CheckerDb } from "../../../src/db/checkerDb.ts";
import { CHECKER_BIN } from "../../utils/cli.ts";
import { publishAsAggregator } from "../../utils/reports.ts";
import { type RpcTestServer, startRpcServer } from "../../utils/rpcServer.ts";

// A license owner whose key never touches the node: `checker claim --print-tx` on the node's machine
// prints the unsigned transaction, viem's signTransaction signs it elsewhere with the cold key, and
// `checker claim --send-raw` broadcasts it; the reward arrives on Hardhat's EDR (served over HTTP).

let chain: TestChain;
let fx: Fixture;
let rpc: RpcTestServer;
let checker: Checker;
let dataDir: string;
const cold = privateKeyToAccount(generatePrivateKey());
let leaves: RewardLeaf[];

/** `checker <args>` in a child process, asynchronously: the test's own event loop serves the RPC. */
function run(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [CHECKER_BIN, ...args],
      { env: { ...process.env, CHECKER_PASSWORD: "", ...env }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({
          code: error === null ? 0 : Number(error.code ?? 1),
          stdout,
          stderr: withoutNodeWarnings(stderr),
        }),
    );
  });
}

function nodeEnv(): Record<string, string> {
  const c = fx.deployment.contracts;
  return {
    CHECKER_RPC_URL: rpc.url,
    CHECKER_CHAIN_ID: String(fx.deployment.chainId),
    CHECKER_VERIFYING_CONTRACT: c.epochReports,
    CHECKER_REWARDS: c.rewards,
    CHECKER_LICENSE: c.checkerLicense,
  };
}

beforeAll(async () => {
  chain = await connectChain();
  fx = await deployFixture(chain);
  checker = (await setupCheckers(fx, 4, 2))[0]!;
  await goToEpoch(fx, 1n);
  // The licenses pass to a cold owner (no key on any node); their rewards pay it.
  for (const id of checker!.licenses)
    await mined(
      chain,
      fx.as(checker!.wallet).license.write.transferFrom([checker!.address, cold.address, id]),
    );
  await chain.testClient.setBalance({ address: cold.address, value: 10n ** 18n });
  leaves = checker!.licenses.map((id, i) => ({
    beneficiary: Beneficiary.LICENSE,
    id,
    amount: BigInt(i + 3) * TOKEN,
  }));
  // The node stored the epoch's report with its leaves, as its aggregator duty would.
  dataDir = mkdtempSync(join(tmpdir(), "checker-claim-tx-"));
  const db = await CheckerDb.open({ dataDir });
  await publishAsAggregator(fx, db, 1n, leaves);
  await db.close();
  await unlockLicenseRewards(fx, 1n);
  rpc = await startRpcServer((call) => chain.publicClient.request(call as never));
}, 120_000);

afterAll(async () => {
  await rpc?.close();
});

describe("checker claim --print-tx / --send-raw (external signer, Hardhat's EDR over HTTP)", () => {
  it("prints the unsigned claim, a cold key signs it outside the node, --send-raw lands it and pays the owner", async () => {
    const printed = await run(["-d", dataDir, "claim", "--print-tx", "--owner", cold.address], nodeEnv());
    expect(printed.stderr).toBe("");
    expect(printed.code).toBe(0);
    const out = JSON.parse(printed.stdout) as {
      from: Address;
      tx: {
        type: "eip1559";
        chainId: number;
        to: Address;
        value: string;
        nonce: number;
        gas: string;
        maxFeePerGas: string;
        maxPriorityFeePerGas: string;
        data: Hex;
      };
      function: string;
      calldata: Hex;
      unsignedSerialized: Hex;
      claims: { epoch: string; licenseId: string; amount: string }[];
      amount: string;
      amountTokens: string;
    };
    expect(out.from).toBe(cold.address);
    expect(out.tx.to).toBe(fx.deployment.contracts.rewards);
    expect(out.tx.chainId).toBe(fx.deployment.chainId);
    expect(out.tx.nonce).toBe(0);
    expect(out.tx.value).toBe("0");
    expect(out.function).toBe("claimMany");
    expect(out.calldata).toBe(out.tx.data);
    expect(out.claims.map((c) => c.licenseId)).toEqual(checker!.licenses.map(String));
    expect(out.amount).toBe(String(7n * TOKEN));
    expect(out.amountTokens).toBe("7.00");

    // Printing sent nothing.
    const before = await fx.c.token.read.balanceOf([cold.address]);
    expect(await chain.publicClient.getTransactionCount({ address: cold.address })).toBe(0);

    // Outside the node: the cold key signs exactly what was printed.
    const signed = await cold.signTransaction({
      type: "eip1559",
      chainId: out.tx.chainId,
      to: out.tx.to,
      value: BigInt(out.tx.value),
      nonce: out.tx.nonce,
      gas: BigInt(out.tx.gas),
      maxFeePerGas: BigInt(out.tx.maxFeePerGas),
      maxPriorityFeePerGas: BigInt(out.tx.maxPriorityFeePerGas),
      data: out.tx.data,
    });
    const file = join(dataDir, "signed-claim.txt");
    writeFileSync(file, `${signed}\n`);

    // Signed for another contract: refused before anything is sent.
    const foreign = await cold.signTransaction({
      type: "eip1559",
      chainId: out.tx.chainId,
      to: fx.deployment.contracts.checkerLicense,
      nonce: out.tx.nonce,
      gas: BigInt(out.tx.gas),
      maxFeePerGas: BigInt(out.tx.maxFeePerGas),
      maxPriorityFeePerGas: BigInt(out.tx.maxPriorityFeePerGas),
      data: out.tx.data,
    });
    const wrong = await run(["-d", dataDir, "claim", "--send-raw", foreign], nodeEnv());
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(
      /^error: --send-raw: the transaction goes to 0x[0-9a-fA-F]{40}, not to the Rewards contract .* \[CLI_ERROR_WRONG_TX\]\n$/,
    );
    // Signed for another chain: refused too.
    const otherChain = await cold.signTransaction({
      type: "eip1559",
      chainId: out.tx.chainId + 1,
      to: out.tx.to,
      nonce: out.tx.nonce,
      gas: BigInt(out.tx.gas),
      maxFeePerGas: BigInt(out.tx.maxFeePerGas),
      maxPriorityFeePerGas: BigInt(out.tx.maxPriorityFeePerGas),
      data: out.tx.data,
    });
    const chainRefused = await run(["-d", dataDir, "claim", "--send-raw", otherChain], nodeEnv());
    expect(chainRefused.stderr).toMatch(
      /signed for chain \d+, the RPC's chain is \d+.*\[CLI_ERROR_WRONG_TX\]\n$/,
    );
    // Not a transaction at all.
    const garbage = await run(["-d", dataDir, "claim", "--send-raw", "0xzz"], nodeEnv());
    expect(garbage.stderr).toBe(
      'error: --send-raw: "0xzz" is not a signed transaction; expected 0x followed by an even number of hex digits [CLI_ERROR_BAD_FLAG]\n',
    );
    expect(await chain.publicClient.getTransactionCount({ address: cold.address })).toBe(0);

    const sent = await run(["-d", dataDir, "claim", "--send-raw", file], nodeEnv());
    expect(sent.stderr).toBe("");
    expect(sent.code).toBe(0);
    const result = JSON.parse(sent.stdout) as { tx: Hex; from: Address; claims: number; amount: string };
    expect(getAddress(result.from)).toBe(cold.address);
    expect(result.claims).toBe(2);
    expect(result.amount).toBe(String(7n * TOKEN));
    expect((await fx.c.token.read.balanceOf([cold.address])) - before).toBe(7n * TOKEN);
    for (const id of checker!.licenses) expect(await fx.c.rewards.read.isClaimed([1n, 1, id])).toBe(true);

    // Nothing left: --print-tx says so with its code, and the same signed bytes cannot land twice.
    const none = await run(["-d", dataDir, "claim", "--print-tx", "--owner", cold.address], nodeEnv());
    expect(none.stderr).toBe(
      `error: nothing to claim for ${cold.address} [CHAIN_ACTION_ERROR_NOTHING_TO_DO]\n`,
    );
    const again = await run(["-d", dataDir, "claim", "--send-raw", file], nodeEnv());
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      /^error: --send-raw: nonce 0 of 0x[0-9a-fA-F]{40} is used already \(its next is 1\).*\[CLI_ERROR_WRONG_TX\]\n$/,
    );
  }, 120_000);

  it("names what --print-tx is missing and shows the command that works", async () => {
    const r = await run(["-d", dataDir, "claim", "--print-tx"], nodeEnv());
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "error: --print-tx needs the license owner who will sign: checker claim --print-tx --owner <0x address> [CLI_ERROR_MISSING_FLAG]\n",
    );
    const both = await run(["-d", dataDir, "claim", "--print-tx", "--send-raw", "0x00"], nodeEnv());
    expect(both.stderr).toMatch(/^error: --send-raw and --print-tx: give one .*\[CLI_ERROR_BAD_FLAG\]\n$/);
  }, 60_000);
});

/** Node's own warnings (an experimental API the launcher uses) are not the CLI's output. */
function withoutNodeWarnings(stderr: string): string {
  return stderr.replace(/^\(node:\d+\) \w*Warning: .*\n(\(Use `node --trace-warnings .*\n)?/gm, "");
}
