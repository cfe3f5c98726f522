import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { DEFAULT_PARAMS } from "@checkernet/protocol/params";
import { network } from "hardhat";
import { createWalletClient, custom, getAddress } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployToNode } from "../src/cli/deploy.ts";
import { CONTRACT_DEFAULTS, DEPLOY_ORDER, DeployError, deployAll } from "../src/deploy.ts";
import { DeploymentFileError, parseDeploymentFile, readDeploymentFile } from "../src/deploymentFile.ts";
import { connectChain, isolateTests, type TestChain } from "./helpers/chain.ts";
import { contractsFor } from "./helpers/fixture.ts";

describe("deployAll", () => {
  let chain: TestChain;
  let dir: string;

  beforeAll(async () => {
    chain = await connectChain();
    dir = await mkdtemp(path.join(tmpdir(), "checkernet-deploy-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  isolateTests(() => chain);

  it("deploys every contract, wired to each other, with the protocol's defaults", async () => {
    const deployment = await deployAll(chain.wallets[0]!, chain.publicClient, { epochSeconds: 10n });
    const c = contractsFor(chain, deployment, chain.wallets[0]!);
    expect(deployment.chainId).toBe(31337);
    expect(deployment.deployer).toBe(getAddress(chain.wallets[0]!.account.address));
    for (const address of Object.values(deployment.contracts)) {
      expect(await chain.publicClient.getCode({ address })).not.toBe(undefined);
    }
    expect(await c.license.read.registry()).toBe(deployment.contracts.checkerRegistry);
    expect(await c.token.read.minter()).toBe(deployment.contracts.rewards);
    expect(await c.registry.read.domainSeparator()).toBe(await c.reports.read.domainSeparator());
    for (const clock of [c.reports, c.registry, c.license, c.providers, c.slashing]) {
      expect(await clock.read.genesisTime()).toBe(deployment.genesisTime);
      expect(await clock.read.epochSeconds()).toBe(10n);
    }
    expect(await c.reports.read.reportCommitteeSize()).toBe(BigInt(DEFAULT_PARAMS.reportCommitteeSize));
    expect(await c.reports.read.reportQuorumBps()).toBe(BigInt(DEFAULT_PARAMS.reportQuorumBps));
    expect(await c.reports.read.quorumFor([135n])).toBe(81n);
    expect(await c.reports.read.committeePeriodEpochs()).toBe(BigInt(DEFAULT_PARAMS.committeePeriodEpochs));
    expect(await c.reports.read.reportLatenessEpochs()).toBe(BigInt(DEFAULT_PARAMS.reportLatenessEpochs));
    // The report of an epoch is accepted from the end of its checking phase (60% of 10 s).
    expect(await c.reports.read.reportDelaySeconds()).toBe(6n);
    expect(await c.registry.read.activationDelayEpochs()).toBe(BigInt(DEFAULT_PARAMS.activationDelayEpochs));
    expect(await c.slashing.read.recheckCommitteeSize()).toBe(BigInt(DEFAULT_PARAMS.reportCommitteeSize));
    expect(await c.providers.read.unbondingEpochs()).toBe(CONTRACT_DEFAULTS.unbondingEpochs);
    expect(await c.token.read.balanceOf([deployment.deployer])).toBe(CONTRACT_DEFAULTS.initialSupply);
    // Unbonding outlasts the time in which a reported failure can still be opened and decided.
    expect(CONTRACT_DEFAULTS.unbondingEpochs).toBeGreaterThan(
      (await c.reports.read.reportLatenessEpochs()) +
        (await c.slashing.read.contestWindowEpochs()) +
        (await c.slashing.read.recheckDeadlineEpochs()),
    );
  });

  it("deploys a second set from the same account", async () => {
    const first = await deployAll(chain.wallets[0]!, chain.publicClient);
    const second = await deployAll(chain.wallets[0]!, chain.publicClient);
    expect(second.contracts.epochReports).not.toBe(first.contracts.epochReports);
  });

  it("refuses a wallet without an account", async () => {
    const connection = await network.connect();
    const bare = createWalletClient({ transport: custom(connection.provider) });
    await expect(deployAll(bare, chain.publicClient)).rejects.toBeInstanceOf(DeployError);
  });

  it("deploys to a node through a transport and writes the file the nodes read", async () => {
    const connection = await network.connect();
    const file = path.join(dir, "nested", "deployment.json");
    const deployment = await deployToNode(custom(connection.provider), file, {
      epochSeconds: 5n,
      genesisDelaySeconds: 30n,
    });
    const read = await readDeploymentFile(file);
    expect(read).toEqual(deployment);
    expect(JSON.parse(await readFile(file, "utf8")).epochSeconds).toBe("5");
    // Epoch 1 starts 30 s after the node's clock.
    expect(deployment.genesisTime).toBeGreaterThan(0n);
  });

  it("refuses out-of-range parameters at construction", async () => {
    const deployer = chain.wallets[0]!;
    for (const options of [
      { epochSeconds: 0n },
      { contestWindowEpochs: 0n },
      { recheckDeadlineEpochs: 1n },
      { recheckCommitteeSize: 0 },
      { recheckCommitteeSize: 191 },
      { reportCommitteeSize: 191 },
      { reportQuorumBps: 10_001 },
      { committeePeriodEpochs: 0n },
      { activationDelayEpochs: 1n },
      { exitDelayEpochs: 1n, activationDelayEpochs: 2n },
      { reportDelaySeconds: 901n },
      // Unbonding must outlast report lateness + contest window + re-check deadline (2 + 4 + 4).
      { unbondingEpochs: 10n },
      { epochRewardBudget: 1n << 128n },
    ]) {
      await expect(
        deployAll(deployer, chain.publicClient, options),
        JSON.stringify(options, (_, v) => (typeof v === "bigint" ? `${v}` : v)),
      ).rejects.toThrow();
    }
  });

  it("requires a fraud proof window at least 2 epochs under unbonding (a leave in c is still checked in c + 1)", async () => {
    const deployer = chain.wallets[0]!;
    const unbonding = CONTRACT_DEFAULTS.unbondingEpochs;
    // W = U − 1: a fraud of c + 1 provable until c + U, the epoch withdrawal opens: refused.
    await expect(
      deployAll(deployer, chain.publicClient, { fraudProofWindowEpochs: unbonding - 1n }),
    ).rejects.toThrow(/fraudProofWindowEpochs/);
    const deployment = await deployAll(deployer, chain.publicClient, {
      fraudProofWindowEpochs: unbonding - 2n,
    });
    expect(deployment.contracts.fraudProofs).toMatch(/^0x/);
  });

  it("numbers epochs from 1 at genesis, 0 before", async () => {
    const deployment = await deployAll(chain.wallets[0]!, chain.publicClient, {
      genesisTime: 1_000n,
      epochSeconds: 10n,
    });
    const reports = contractsFor(chain, deployment, chain.wallets[0]!).reports;
    expect(await reports.read.epochAt([999n])).toBe(0n);
    expect(await reports.read.epochAt([1_000n])).toBe(1n);
    expect(await reports.read.epochAt([1_009n])).toBe(1n);
    expect(await reports.read.epochAt([1_010n])).toBe(2n);
    expect(await reports.read.epochStartTime([0n])).toBe(0n);
    expect(await reports.read.epochStartTime([3n])).toBe(1_020n);
  });

  it("names the field of a malformed deployment file", () => {
    const good = {
      chainId: 1,
      deployer: "0x0000000000000000000000000000000000000001",
      startBlock: "1",
      genesisTime: "2",
      epochSeconds: "3",
      contracts: Object.fromEntries(
        DEPLOY_ORDER.map((k) => [k, "0x0000000000000000000000000000000000000002"]),
      ),
    };
    expect(parseDeploymentFile(JSON.stringify(good)).epochSeconds).toBe(3n);
    const bad = (patch: object, field: string) => {
      expect(() => parseDeploymentFile(JSON.stringify({ ...good, ...patch }))).toThrow(DeploymentFileError);
      try {
        parseDeploymentFile(JSON.stringify({ ...good, ...patch }));
      } catch (error) {
        expect((error as DeploymentFileError).field).toBe(field);
      }
    };
    bad({ chainId: "1" }, "chainId");
    bad({ epochSeconds: 3 }, "epochSeconds");
    bad({ contracts: { ...good.contracts, slashing: "0x12" } }, "contracts.slashing");
    expect(() => parseDeploymentFile("{")).toThrow(/not JSON/);
  });
});
