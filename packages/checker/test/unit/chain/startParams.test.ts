import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_PARAMS, type ProtocolParams } from "@checkernet/protocol/params";
import type { Logger } from "@checkernet/runtime";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { connectChain, type TestChain } from "../../../../contracts/test/helpers/chain.ts";
import { deployFixture, type Fixture } from "../../../../contracts/test/helpers/fixture.ts";
import {
  firstParamMismatch,
  protocolParamsOnChain,
  readChainParams,
} from "../../../src/chain/protocolParams.ts";
import { startParams } from "../../../src/cli/startParams.ts";
import { loadConfig } from "../../../src/config.ts";
import { networkDefinition } from "../../../src/networkDefinition.ts";
import { CHECKER_BIN } from "../../utils/cli.ts";
import { type RpcTestServer, startRpcServer } from "../../utils/rpcServer.ts";

// `checker start --network <file>` runs with the file's protocol parameters, after one read of the values the
// contracts hold on a real EDR chain (the test fixture deploys a 16-seat committee, an activation delay of 2,
// reports accepted from an epoch's first second): a file that disagrees is refused on one line.

let chain: TestChain;
let fx: Fixture;
let rpc: RpcTestServer;
let dir: string;

beforeAll(async () => {
  chain = await connectChain();
  fx = await deployFixture(chain);
  rpc = await startRpcServer((call) => chain.publicClient.request(call as never));
  dir = mkdtempSync(join(tmpdir(), "checker-start-params-"));
}, 60_000);

afterAll(async () => {
  await rpc?.close();
});

const contracts = () => ({
  epochReports: fx.deployment.contracts.epochReports,
  checkerRegistry: fx.deployment.contracts.checkerRegistry,
  slashing: fx.deployment.contracts.slashing,
});

/** A network file of the fixture's deployment, served over HTTP, with `params` (none when undefined). */
function networkFile(
  name: string,
  params: ProtocolParams | undefined,
  clock: { genesisTime?: number; epochSeconds?: number } = {},
  rpcUrl = rpc.url,
): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      networkDefinition({
        name,
        chainId: String(fx.deployment.chainId),
        rpcUrls: [rpcUrl],
        genesisTime: clock.genesisTime ?? Number(fx.deployment.genesisTime),
        epochSeconds: clock.epochSeconds ?? Number(fx.deployment.epochSeconds),
        contracts: fx.deployment.contracts,
        bootstrap: [],
        ...(params === undefined ? {} : { params }),
      }),
    ),
  );
  return file;
}

/** Records the lines a start logs (the node's pino logger writes to stdout, which a test cannot read back). */
function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = (_fields: unknown, msg?: string) => lines.push(String(msg ?? _fields));
  return { logger: { info: log, warn: log, debug: () => {} } as unknown as Logger, lines };
}

const check = (file: string, logger = recordingLogger().logger) =>
  startParams(
    loadConfig({ network: file, env: {}, flags: { dataDir: dir } }),
    file,
    logger,
    chain.publicClient,
  );

/** `checker start` in a child process, without blocking this process (its RPC server answers the child). */
function runStart(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHECKER_BIN, ...args], {
      env: { ...process.env, CHECKER_PASSWORD: "" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe("protocol parameters at start (network file vs chain)", () => {
  it("reads the chain's values in one batch: the fixture's committee, delays and Slashing's windows", async () => {
    const c = await readChainParams(chain.publicClient, contracts());
    expect(c.epochSeconds).toBe(Number(fx.deployment.epochSeconds));
    expect(c.reportDelaySeconds).toBe(0);
    expect(c.held).toMatchObject({
      reportCommitteeSize: 16,
      reportQuorumBps: 6_667,
      committeePeriodEpochs: 1,
      activationDelayEpochs: 2,
      recheckWindowEpochs: 1,
      epochRewardPool: DEFAULT_PARAMS.epochRewardPool,
      contestBond: DEFAULT_PARAMS.contestBond,
    });
  });

  it("refuses a file whose parameter differs from the chain's, on one line naming it, the file's value and the chain's", async () => {
    const onChain = await protocolParamsOnChain(chain.publicClient, contracts());
    const file = networkFile("wrong-committee", { ...onChain, reportCommitteeSize: 135 });
    await expect(check(file)).rejects.toThrow(
      `params.reportCommitteeSize is 135 in network file ${file} but the chain's EpochReports.reportCommitteeSize() = 16: the node would run under other rules than the contracts enforce; use the network's published file [CLI_ERROR_PARAMS_MISMATCH]`,
    );
    const bond = networkFile("wrong-bond", { ...onChain, contestBond: onChain.contestBond + 1n });
    await expect(check(bond)).rejects.toThrow(
      `params.contestBond is ${onChain.contestBond + 1n} in network file ${bond} but the chain's Slashing.contestBond() = ${onChain.contestBond}`,
    );
    // The CLI: one line on stderr, exit 1, before any key is unlocked.
    const cli = await runStart(["-d", dir, "--network", file, "start", "--no-operator-key"]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toBe(
      `error: params.reportCommitteeSize is 135 in network file ${file} but the chain's EpochReports.reportCommitteeSize() = 16: the node would run under other rules than the contracts enforce; use the network's published file [CLI_ERROR_PARAMS_MISMATCH]\n`,
    );
  }, 60_000);

  it("refuses a file whose clock (genesisTime, epochSeconds) is not the chain's", async () => {
    const onChain = await protocolParamsOnChain(chain.publicClient, contracts());
    const genesis = Number(fx.deployment.genesisTime);
    const late = networkFile("late-genesis", onChain, { genesisTime: genesis + 60 });
    await expect(check(late)).rejects.toThrow(
      `genesisTime is ${genesis + 60} in network file ${late} but the chain's EpochReports.genesisTime() = ${genesis}: the node's epochs would not be the chain's; use the network's published file [CLI_ERROR_PARAMS_MISMATCH]`,
    );
    const seconds = Number(fx.deployment.epochSeconds);
    // An older file without params is checked too: the clock is not part of params.
    const longer = networkFile("longer-epochs", undefined, { epochSeconds: seconds * 2 });
    await expect(check(longer)).rejects.toThrow(
      `epochSeconds is ${seconds * 2} in network file ${longer} but the chain's EpochReports.epochSeconds() = ${seconds}`,
    );
    // A right file overridden by the environment: the error names the override, not the file.
    const right = networkFile("right-clock", onChain);
    const overridden = loadConfig({
      network: right,
      env: { CHECKER_EPOCH_SECONDS: String(seconds + 1) },
      flags: { dataDir: dir },
    });
    await expect(
      startParams(overridden, right, recordingLogger().logger, chain.publicClient),
    ).rejects.toThrow(
      `epochSeconds is ${seconds + 1} in the node's config (a config file, CHECKER_GENESIS_MS / CHECKER_EPOCH_SECONDS or a flag overrides network file ${right}) but the chain's EpochReports.epochSeconds() = ${seconds}: the node's epochs would not be the chain's; drop the override [CLI_ERROR_PARAMS_MISMATCH]`,
    );
  });

  it("runs with a matching file's parameters, not the built-in defaults, including those the chain does not hold", async () => {
    const onChain = await protocolParamsOnChain(chain.publicClient, contracts());
    const file = networkFile("matching", { ...onChain, committeeSize: 5, aggregatorBackups: 1 });
    const params = await check(file);
    expect(params.committeeSize).toBe(5);
    expect(params.aggregatorBackups).toBe(1);
    expect(params.reportCommitteeSize).toBe(16);
    expect(params.activationDelayEpochs).toBe(2);
    expect(params.epochSeconds).toBe(Number(fx.deployment.epochSeconds));
  });

  it("takes the chain's values where an older file has no params, and says so in one info line", async () => {
    const file = networkFile("old", undefined);
    const { logger, lines } = recordingLogger();
    const params = await check(file, logger);
    expect(params.reportCommitteeSize).toBe(16);
    expect(params.activationDelayEpochs).toBe(2);
    expect(params.recheckWindowEpochs).toBe(1);
    expect(params.committeeSize).toBe(DEFAULT_PARAMS.committeeSize);
    expect(lines).toEqual([
      `the network file ${file} has no params: protocol parameters from the chain where the contracts hold them, built-in defaults for the rest`,
    ]);
  });

  it("waits for an RPC that does not answer at start and runs with the chain's values once it does, never the unchecked defaults", async () => {
    // A port nothing listens on (connection refused), named by an older file without params.
    const probe = await startRpcServer(() => Promise.resolve(null));
    const port = Number(new URL(probe.url).port);
    await probe.close();
    const deadUrl = `http://127.0.0.1:${port}`;
    const file = networkFile("dead-rpc", undefined, {}, deadUrl);
    const { logger, lines } = recordingLogger();
    let done = false;
    const started = startParams(
      loadConfig({ network: file, env: {}, flags: { dataDir: dir } }),
      file,
      logger,
      undefined,
      { firstDelayMs: 50, maxDelayMs: 200 },
    ).finally(() => {
      done = true;
    });
    await vi.waitFor(() => expect(lines.length).toBeGreaterThanOrEqual(2), { timeout: 30_000, interval: 50 });
    expect(done).toBe(false);
    expect(lines[0]).toBe(
      `cannot read the protocol parameters from the chain at ${deadUrl}; the node starts once it has checked them (trying again in 0.05 s)`,
    );
    // The RPC comes up on that port: the start goes on with the chain's values (16 seats, not the default).
    const late = await startRpcServer((call) => chain.publicClient.request(call as never), "answer", port);
    try {
      const params = await started;
      expect(DEFAULT_PARAMS.reportCommitteeSize).not.toBe(16);
      expect(params.reportCommitteeSize).toBe(16);
      expect(params.activationDelayEpochs).toBe(2);
      expect(lines.at(-1)).toBe(
        `the network file ${file} has no params: protocol parameters from the chain where the contracts hold them, built-in defaults for the rest`,
      );
    } finally {
      await late.close();
    }
  }, 60_000);

  it("refuses at once, without waiting, a network file whose contract address holds no contract", async () => {
    const good = JSON.parse(readFileSync(networkFile("good-for-wrong", undefined), "utf8"));
    const file = join(dir, "wrong-contract.json");
    const nowhere = "0x00000000000000000000000000000000000c0de0";
    writeFileSync(file, JSON.stringify({ ...good, contracts: { ...good.contracts, epochReports: nowhere } }));
    const { logger, lines } = recordingLogger();
    const started = Date.now();
    await expect(
      startParams(
        loadConfig({ network: file, env: {}, flags: { dataDir: dir } }),
        file,
        logger,
        chain.publicClient,
        {
          firstDelayMs: 5_000,
          maxDelayMs: 5_000,
        },
      ),
    ).rejects.toThrow(
      new RegExp(
        `genesisTime\\(\\) at ${nowhere} returned no data: no contract there.*\\[CLI_ERROR_WRONG_CONTRACT\\]$`,
        "i",
      ),
    );
    // No retry: a wrong address is not an RPC that will come back.
    expect(lines).toEqual([]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("refuses a checking phase that ends before the contract accepts reports", async () => {
    const c = await readChainParams(chain.publicClient, contracts());
    const onChain = await protocolParamsOnChain(chain.publicClient, contracts());
    const later = { ...c, epochSeconds: 20, reportDelaySeconds: 12 };
    expect(firstParamMismatch({ ...onChain, checkingPhaseBps: 6_000 }, later)).toBeUndefined();
    expect(firstParamMismatch({ ...onChain, checkingPhaseBps: 5_000 }, later)).toEqual({
      name: "checkingPhaseBps",
      value: "5000 (the checking phase ends 10 s into a 20 s epoch)",
      chain: "EpochReports.reportDelaySeconds() = 12, so reports would be sent before the chain accepts them",
    });
  });
});
