import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { network } from "hardhat";
import { getAddress } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mined, type TestChain } from "../../../contracts/test/helpers/chain.ts";
import { deployFixture, type Fixture, setupCheckers } from "../../../contracts/test/helpers/fixture.ts";
import { serveJsonRpc } from "../../../contracts/test/utils/jsonRpcServer.ts";
import { CHECKER_BIN } from "../utils/cli.ts";

/**
 * `checker license list | delegate | undelegate` and their refusals, as an
 * owner runs them: separate processes over JSON-RPC. The chain is Hardhat's
 * in-process EDR served over HTTP (as in packages/provider/test/cli-chain.test.ts).
 */
let chain: TestChain;
let fx: Fixture;
let rpc: Server;
let rpcUrl: string;
let env: Record<string, string>;
const ownerKey = generatePrivateKey();
const owner = privateKeyToAccount(ownerKey).address;
const strangerKey = generatePrivateKey();
let operator: `0x${string}`;

function checker(args: string[], extra: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [CHECKER_BIN, ...args], {
      env: { ...process.env, ...env, ...extra },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

beforeAll(async () => {
  // Our own connection: the RPC shim below must relay EDR's raw errors (revert data included) to the CLI.
  const connection = await network.connect();
  chain = {
    publicClient: (await connection.viem.getPublicClient()) as unknown as TestChain["publicClient"],
    testClient: (await connection.viem.getTestClient()) as unknown as TestChain["testClient"],
    wallets: (await connection.viem.getWalletClients()) as unknown as TestChain["wallets"],
    impersonate: () => Promise.reject(new Error("not used")),
    impersonateAddress: () => Promise.reject(new Error("not used")),
  };
  fx = await deployFixture(chain, { delegationCooldownEpochs: 2n });
  operator = (await setupCheckers(fx, 1, 0))[0]!.address;
  await chain.testClient.setBalance({ address: owner, value: 10n ** 21n });
  await mined(chain, fx.c.license.write.mintBatch([owner, 2n]));
  ({ server: rpc, url: rpcUrl } = await serveJsonRpc(connection.provider, {
    fallbackCode: 3,
    causeData: true,
  }));
  const c = fx.deployment.contracts;
  env = {
    CHECKER_DATA_DIR: mkdtempSync(join(tmpdir(), "checker-license-cli-")),
    CHECKER_RPC_URL: rpcUrl,
    CHECKER_CHAIN_ID: String(fx.deployment.chainId),
    CHECKER_VERIFYING_CONTRACT: c.epochReports,
    CHECKER_CHECKER_REGISTRY: c.checkerRegistry,
    CHECKER_PROVIDER_REGISTRY: c.providerRegistry,
    CHECKER_REWARDS: c.rewards,
    CHECKER_LICENSE: c.checkerLicense,
    CHECKER_TX_KEY: ownerKey,
    CHECKER_LOG_LEVEL: "silent",
  };
}, 120_000);

afterAll(async () => {
  await new Promise<void>((resolve) => rpc?.close(() => resolve()));
});

describe("checker license (CLI over JSON-RPC)", () => {
  it("lists, delegates, undelegates, and refuses with one-line errors", async () => {
    const listed = await checker(["license", "list"]);
    expect(listed.stderr).toBe("");
    const list = JSON.parse(listed.stdout) as {
      owner: string;
      licenses: { licenseId: string; operator: string | null; coolingDown: boolean }[];
    };
    expect(getAddress(list.owner)).toBe(owner);
    expect(list.licenses.map((l) => [l.licenseId, l.operator])).toEqual([
      ["1", null],
      ["2", null],
    ]);

    const delegated = await checker(["license", "delegate", "1", operator]);
    expect(delegated.stderr).toBe("");
    expect(JSON.parse(delegated.stdout).tx).toMatch(/^0x[0-9a-f]{64}$/);
    const after = JSON.parse((await checker(["license", "list", "--owner", owner])).stdout) as {
      licenses: { licenseId: string; operator: string | null; operatorWeight: string }[];
    };
    expect(after.licenses[0]).toMatchObject({
      licenseId: "1",
      operator: getAddress(operator),
      operatorWeight: "1",
    });

    const twice = await checker(["license", "delegate", "1", operator]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(
      /^error: license 1 is already delegated to 0x[0-9a-fA-F]{40}; undelegate it first/,
    );
    expect(twice.stderr.trim().split("\n")).toHaveLength(1);

    const stranger = await checker(["license", "delegate", "2", operator], { CHECKER_TX_KEY: strangerKey });
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toMatch(/is not the owner of license 2/);

    const unknown = await checker(["license", "delegate", "99", operator]);
    expect(unknown.stderr).toMatch(/^error: license 99 does not exist/);

    const notOperator = await checker(["license", "delegate", "2", owner]);
    expect(notOperator.stderr).toMatch(/cannot take delegations: not a registered checker operator/);

    const undelegated = await checker(["license", "undelegate", "1"]);
    expect(undelegated.stderr).toBe("");
    expect(Number(JSON.parse(undelegated.stdout).redelegableEpoch)).toBeGreaterThan(0);
    const cooling = await checker(["license", "delegate", "1", operator]);
    expect(cooling.stderr).toMatch(
      /^error: license 1 is cooling down: it can be delegated again from epoch \d+/,
    );
    const notDelegated = await checker(["license", "undelegate", "2"]);
    expect(notDelegated.stderr).toMatch(/^error: license 2 is not delegated/);

    const down = await checker(["license", "list"], { CHECKER_RPC_URL: "http://127.0.0.1:9" });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^error: cannot reach the RPC at http:\/\/127\.0\.0\.1:9/);

    const bad = await checker(["license", "delegate", "x1", operator]);
    expect(bad.stderr).toMatch(
      /^error: <id> "x1" is not a license id; expected a decimal integer \[CLI_ERROR_BAD_FLAG\]$/m,
    );
    const nothing = await checker(["explain"]);
    expect(nothing.stderr).toMatch(
      /^error: explain what\? no --license and no --provider: e\.g\. checker explain/,
    );
  }, 180_000);
});

describe("checker register (CLI over JSON-RPC)", () => {
  it("registers a fresh operator's key with its proof of possession; then licenses can be delegated to it", async () => {
    const { writeFileSync } = await import("node:fs");
    const dataDir = mkdtempSync(join(tmpdir(), "checker-register-cli-"));
    const passwordFile = join(dataDir, "..", `${dataDir.split("/").pop()}-password.txt`);
    writeFileSync(passwordFile, "operator password\n", { mode: 0o600 });
    const operatorKey = generatePrivateKey();
    const newOperator = privateKeyToAccount(operatorKey).address;
    await chain.testClient.setBalance({ address: newOperator, value: 10n ** 21n });
    const as = { CHECKER_DATA_DIR: dataDir, CHECKER_TX_KEY: operatorKey };

    const init = await checker(["init", "--password-file", passwordFile, "--kdf-work", "1024"], as);
    expect(init.stderr).toBe("");
    const keys = JSON.parse(init.stdout) as { publicKey: string; peerId: string };

    const wrong = await checker(["register", "--password-file", join(dataDir, "keystore.json")], as);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr.trim()).toBe("error: wrong password for the keystore");

    const registered = await checker(["register", "--password-file", passwordFile], as);
    expect(registered.stderr).toBe("");
    const out = JSON.parse(registered.stdout) as { operator: string; peerId: string; gasUsed: string };
    expect(getAddress(out.operator)).toBe(newOperator);
    expect(out.peerId).toBe(keys.peerId);
    expect(BigInt(out.gasUsed)).toBeGreaterThan(0n);
    // The chain holds this node's key and peer id.
    const record = await fx.c.registry.read.operatorInfo([newOperator]);
    expect(record.registered).toBe(true);
    expect(record.publicKey.length).toBe(2 + 2 * 128);

    const again = await checker(["register", "--password-file", passwordFile], as);
    expect(again.code).not.toBe(0);
    expect(again.stderr.trim()).toMatch(/^error: .*already a registered operator/);
    expect(again.stderr.trim().split("\n")).toHaveLength(1);

    // The owner can now delegate a fresh license to it.
    const id = (await fx.c.license.read.totalSupply()) + 1n;
    await mined(chain, fx.c.license.write.mintBatch([owner, 1n]));
    const delegated = await checker(["license", "delegate", String(id), newOperator]);
    expect(delegated.stderr).toBe("");
    expect((await fx.c.registry.read.operatorInfo([newOperator])).weight).toBe(1);
  });
});
