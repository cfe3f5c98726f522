import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rewardTokenAbi } from "@checkernet/contracts/generated/index";
import { parseUnits } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveJsonRpc } from "../../contracts/test/utils/jsonRpcServer.ts";
import { deployedNetwork } from "./utils/chain.ts";
import { runProvider } from "./utils/cli.ts";

const provider = (args: string[]) => runProvider(args);

/**
 * The CLI's chain commands as a provider runs them: separate processes
 * talking JSON-RPC over HTTP. The chain is Hardhat's in-process EDR, served
 * over HTTP by a few lines below (what `hardhat node` does, without its start-up).
 */
describe("provider CLI chain commands over JSON-RPC", () => {
  let dir: string;
  let rpc: Server;
  let rpcUrl: string;
  let deploymentFile: string;
  let address: `0x${string}`;

  beforeAll(async () => {
    const { connection, publicClient, deployer, deployment } = await deployedNetwork();
    ({ server: rpc, url: rpcUrl } = await serveJsonRpc(connection.provider));
    dir = await mkdtemp(join(tmpdir(), "provider-chain-cli-"));
    deploymentFile = join(dir, "deployment.json");
    await writeFile(
      deploymentFile,
      JSON.stringify(deployment, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
    );

    const init = await provider(["init", "-d", join(dir, "p"), "--insecure-plaintext-keys"]);
    ({ address } = JSON.parse(init.stdout) as { address: `0x${string}` });
    const testClient = await connection.viem.getTestClient();
    await testClient.setBalance({ address, value: 10n ** 20n });
    const hash = await deployer.writeContract({
      address: deployment.contracts.rewardToken,
      abi: rewardTokenAbi,
      functionName: "transfer",
      args: [address, parseUnits("5000", 18)],
    });
    await publicClient.waitForTransactionReceipt({ hash });
  });

  afterAll(async () => {
    rpc?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const common = () => ["-d", join(dir, "p"), "--rpc", rpcUrl, "--deployment", deploymentFile];

  it("register, stake, unstake and status", async () => {
    const reg = await provider(["register", ...common(), "--gpu-class", "l4", "--region", "us-east"]);
    expect(reg.stderr).toBe("");
    expect(reg.code).toBe(0);
    const stake = await provider(["stake", "2000", ...common()]);
    expect(stake.code).toBe(0);
    const unstake = await provider(["unstake", "500", ...common()]);
    expect(unstake.code).toBe(0);
    const status = await provider(["status", ...common()]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      registered: true,
      gpuModel: "l4",
      vramMiB: 24 * 1024,
      region: "us-east",
      stake: String(parseUnits("1500", 18)),
      unbonding: String(parseUnits("500", 18)),
      tokenBalance: String(parseUnits("3000", 18)),
      tokens: { stake: "1,500.00", unbonding: "500.00", tokenBalance: "3,000.00" },
      active: true,
      pendingSlashes: "0",
      openSlashes: [],
    });
  });

  it("prints one clear error line: reverted, contest without a report, RPC down, no deployment", async () => {
    const again = await provider(["register", ...common(), "--gpu-class", "l4", "--region", "us-east"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      /^error: register reverted: ProviderRegistryAlreadyRegistered\(0x[0-9a-fA-F]{40}\)/,
    );
    const down = await provider([
      "status",
      "-d",
      join(dir, "p"),
      "--rpc",
      "http://127.0.0.1:9",
      "--deployment",
      deploymentFile,
    ]);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain("CHAIN_ERROR_RPC_DOWN");
    // A well-formed FAIL leaf for an epoch without any report: the contract's own reason comes back.
    const leafFile = join(dir, "leaf.json");
    await writeFile(
      leafFile,
      JSON.stringify({
        leaf: {
          provider: address,
          verdict: 1,
          scoreBps: 0,
          medianLatencyUs: 250000,
          attestations: 3,
          failures: 3,
          slashAmount: "100000000000000000000",
          accusers: [],
        },
        proof: [],
      }),
    );
    const noReport = await provider(["contest", "1", "--leaf-file", leafFile, "--no-follow", ...common()]);
    expect(noReport.code).toBe(1);
    expect(noReport.stderr).toMatch(/^error: contest reverted: SlashingUnknownEpoch\(1\)/);
    const none = await provider(["status", "-d", join(dir, "p"), "--rpc", rpcUrl]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("--deployment");
  });
});
