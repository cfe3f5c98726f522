import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectChain, type TestChain } from "../../../../contracts/test/helpers/chain.ts";
import { deployFixture, type Fixture, setupCheckers } from "../../../../contracts/test/helpers/fixture.ts";
import { CHECKER_BIN } from "../../utils/cli.ts";
import { freePort } from "../../utils/freePort.ts";
import { type RpcTestServer, startRpcServer } from "../../utils/rpcServer.ts";
import { waitFor } from "../../utils/waitFor.ts";

// `checker start` writes <dataDir>/node.json (pid, API URL, network values) and removes it when it stops;
// status, rewards and license list with nothing but -d find the node through it. Without a running node
// they say which flag is missing and show a command that works.

let chain: TestChain;
let fx: Fixture;
let rpc: RpcTestServer;
let node: ChildProcess | undefined;
let operator: `0x${string}`;

/** The environment without any CHECKER_* variable: what a fresh shell has. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith("CHECKER_") && v !== undefined) env[k] = v;
  return env;
}

function run(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [CHECKER_BIN, ...args],
      { env: { ...cleanEnv(), CHECKER_PASSWORD: "", ...env }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({
          code: error === null ? 0 : Number(error.code ?? 1),
          stdout,
          stderr: withoutNodeWarnings(stderr),
        }),
    );
  });
}

beforeAll(async () => {
  chain = await connectChain();
  fx = await deployFixture(chain);
  operator = (await setupCheckers(fx, 1, 2))[0]!.address;
  rpc = await startRpcServer((call) => chain.publicClient.request(call as never));
}, 120_000);

afterAll(async () => {
  node?.kill("SIGKILL");
  await rpc?.close();
});

describe("CLIs find a running local node (node.json)", () => {
  it("status, rewards and license list need only -d while `checker start` runs; node.json goes when it stops (SIGHUP)", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "checker-local-node-"));
    const apiPort = await freePort();
    const c = fx.deployment.contracts;
    node = spawn(process.execPath, [CHECKER_BIN, "-d", dataDir, "start", "--no-operator-key"], {
      env: {
        ...cleanEnv(),
        CHECKER_RPC_URL: rpc.url,
        CHECKER_CHAIN_ID: String(fx.deployment.chainId),
        CHECKER_VERIFYING_CONTRACT: c.epochReports,
        CHECKER_CHECKER_REGISTRY: c.checkerRegistry,
        CHECKER_PROVIDER_REGISTRY: c.providerRegistry,
        CHECKER_REWARDS: c.rewards,
        CHECKER_LICENSE: c.checkerLicense,
        CHECKER_LISTEN: "/ip4/127.0.0.1/tcp/0",
        CHECKER_API_PORT: String(apiPort),
        CHECKER_DHT: "false",
        CHECKER_NAT: "false",
        CHECKER_LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    node.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const file = join(dataDir, "node.json");
    await waitFor(() => existsSync(file) || node?.exitCode !== null, "node.json", 60_000);
    expect(withoutNodeWarnings(stderr)).toBe("");
    const written = JSON.parse(readFileSync(file, "utf8")) as {
      pid: number;
      api: string;
      config: Record<string, string>;
    };
    expect(written.pid).toBe(node.pid);
    expect(written.api).toBe(`http://127.0.0.1:${apiPort}`);
    expect(written.config.rewardsContract).toBe(c.rewards);
    expect(JSON.stringify(written)).not.toMatch(/txPrivateKey|password/i);

    // Nothing but the data directory: the API and the network come from node.json.
    const status = await run(["-d", dataDir, "status", "--json"]);
    expect(status.stderr).toBe("");
    expect(JSON.parse(status.stdout)).toHaveProperty("chain");
    const rewards = await run(["-d", dataDir, "rewards", "--owner", c.rewards]);
    expect(rewards.stderr).toBe("");
    expect(JSON.parse(rewards.stdout)).toMatchObject({ claimable: "0", licenses: [] });
    const licenses = await run(["-d", dataDir, "license", "list", "--all"]);
    expect(licenses.stderr).toBe("");
    expect(licenses.code).toBe(0);

    // Stopped by SIGHUP, as when the terminal it runs in closes (the devnet stops its nodes with SIGTERM):
    // a clean exit, the file goes, and the same commands say what is missing.
    const exited = new Promise<number | null>((resolve) => node!.once("exit", (code) => resolve(code)));
    node.kill("SIGHUP");
    expect(await exited).toBe(0);
    node = undefined;
    expect(existsSync(file)).toBe(false);
    const noConfig = await run(["-d", dataDir, "rewards"]);
    expect(noConfig.code).toBe(1);
    expect(noConfig.stderr).toBe(
      `error: verifyingContract is not configured: no -c <config.json> or --network <network.json> given and no running node's node.json in ${dataDir}; e.g. checker --network network.json -d ${dataDir} rewards [CLI_ERROR_MISSING_FLAG]\n`,
    );
    // A port where nothing listens (9701, the default, may be another node's on a shared machine).
    const idle = await freePort();
    const noNode = await run(["-d", dataDir, "status"], { CHECKER_API_PORT: String(idle) });
    expect(noNode.code).toBe(1);
    expect(noNode.stderr).toMatch(
      new RegExp(
        `^error: cannot reach the node's status API at http://127\\.0\\.0\\.1:${idle}, and ${dataDir} has no node\\.json of a live \`checker start\`; .*checker status --url http://127\\.0\\.0\\.1:9701 \\[CLI_ERROR_NO_NODE\\]\\n$`,
      ),
    );
  }, 120_000);

  it("start refuses an operator with more licenses than maxLicensesPerNode, naming the field; above 1,000 the field itself is refused", async () => {
    const c = fx.deployment.contracts;
    const env = {
      CHECKER_RPC_URL: rpc.url,
      CHECKER_CHAIN_ID: String(fx.deployment.chainId),
      CHECKER_VERIFYING_CONTRACT: c.epochReports,
      CHECKER_CHECKER_REGISTRY: c.checkerRegistry,
      CHECKER_PROVIDER_REGISTRY: c.providerRegistry,
      CHECKER_OPERATOR_ADDRESS: operator,
      CHECKER_LISTEN: "/ip4/127.0.0.1/tcp/0",
      CHECKER_API_PORT: "0",
      CHECKER_DHT: "false",
      CHECKER_NAT: "false",
    };
    const dataDir = mkdtempSync(join(tmpdir(), "checker-license-limit-"));
    const tooMany = await run(["-d", dataDir, "start", "--no-operator-key"], {
      ...env,
      CHECKER_MAX_LICENSES_PER_NODE: "1",
    });
    expect(tooMany.code).toBe(1);
    expect(tooMany.stderr).toBe(
      `error: operator ${operator} has 2 licenses delegated; one node runs at most maxLicensesPerNode = 1 (CHECKER_MAX_LICENSES_PER_NODE; docs/operator.md "Sizing"): undelegate 1 to a second operator [CLI_ERROR_TOO_MANY_LICENSES]\n`,
    );
    expect(existsSync(join(dataDir, "node.json"))).toBe(false);
    const above = await run(["-d", dataDir, "start", "--no-operator-key"], {
      ...env,
      CHECKER_MAX_LICENSES_PER_NODE: "1001",
    });
    expect(above.code).toBe(1);
    expect(above.stderr).toBe(
      'error: invalid config value for "maxLicensesPerNode" (from env CHECKER_MAX_LICENSES_PER_NODE): 1001 is outside 1..1000 (the supported maximum per node)\n',
    );
  }, 60_000);
});

/** Node's own warnings (an experimental API the launcher uses) are not the CLI's output. */
function withoutNodeWarnings(stderr: string): string {
  return stderr.replace(/^\(node:\d+\) \w*Warning: .*\n(\(Use `node --trace-warnings .*\n)?/gm, "");
}
