import { domainSeparator } from "@checkernet/protocol/encoding/domain";
import { reportSigningRoot } from "@checkernet/protocol/encoding/report";
import { bytesToHex, zeroHash } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { slashingAbi, slashingBytecode } from "../../src/generated/index.ts";
import { type RecheckHeader, recheckSigningRoot } from "../../src/recheck.ts";
import { connectChain, expectRevert, type TestChain } from "../helpers/chain.ts";
import {
  contractsFor,
  deployFixture,
  type Fixture,
  goToEpoch,
  headerFor,
  reachReportTime,
  setupCheckers,
  signReport,
} from "../helpers/fixture.ts";

/**
 * Replay attacks. The reviewed contracts cached the chain id in their domain separators at deployment,
 * so after a chain split both chains accepted the same signatures; and the re-check signing root did
 * not name the Slashing contract, so a re-check signed for one Slashing verified on another.
 */
describe("replay attacks", () => {
  let chain: TestChain;
  let fx: Fixture;

  beforeAll(async () => {
    chain = await connectChain();
    fx = await deployFixture(chain);
    await setupCheckers(fx, 5, 2);
    await goToEpoch(fx, 1n);
  });

  it("after a fork to another chain id, a report signed for the original chain does not verify", async () => {
    const header = await headerFor(fx, 1n);
    const signed = await signReport(fx, header);
    // The fork: a chain with another id whose state is a copy of this one. Copying the runtime code
    // carries every immutable a constructor cached, exactly as a fork does.
    const fork = await connectChain(4_242);
    const forked = await deployFixture(fork);
    await setupCheckers(forked, 5, 2);
    await goToEpoch(forked, 1n);
    for (const [name, address] of Object.entries(fx.deployment.contracts)) {
      const code = await chain.publicClient.getCode({ address });
      const forkedAddress = forked.deployment.contracts[name as keyof typeof fx.deployment.contracts];
      expect(forkedAddress).toBe(address);
      await fork.testClient.setCode({ address, bytecode: code! });
    }
    const onFork = contractsFor(fork, forked.deployment, fork.wallets[0]!);
    const reports = fx.deployment.contracts.epochReports;
    expect(await onFork.reports.read.domainSeparator()).toBe(
      domainSeparator({ chainId: 4_242n, verifyingContract: reports }),
    );
    expect(await onFork.registry.read.domainSeparator()).toBe(await onFork.reports.read.domainSeparator());
    expect(await onFork.reports.read.reportSigningRoot([header])).toBe(
      bytesToHex(reportSigningRoot(header, { chainId: 4_242n, verifyingContract: reports })),
    );
    expect(await onFork.reports.read.reportSigningRoot([header])).not.toBe(
      await fx.c.reports.read.reportSigningRoot([header]),
    );
    // Same seed on both sides (same genesis seed and snapshot), so only the domain tells them apart.
    expect(await onFork.reports.read.seedOf([1n])).toBe(header.seed);
    await reachReportTime(forked, 1n);
    await expectRevert(
      onFork.reports.write.submitReport([header, signed.bitfield, signed.signature]),
      "EpochReportsInvalidSignature",
    );
  });

  it("a re-check signed for one Slashing contract does not verify on another of the same network", async () => {
    const deployer = chain.wallets[0]!;
    const c = fx.deployment.contracts;
    const hash = await deployer.deployContract({
      abi: slashingAbi,
      bytecode: slashingBytecode,
      args: [
        fx.deployment.genesisTime,
        fx.deployment.epochSeconds,
        {
          reports: c.epochReports,
          providers: c.providerRegistry,
          registry: c.checkerRegistry,
          token: c.rewardToken,
        },
        {
          contestWindowEpochs: 4n,
          contestBond: 0n,
          recheckDeadlineEpochs: 4n,
          recheckCommitteeSize: 32n,
          accuserJailEpochs: 16n,
          recheckWindowEpochs: 1n,
          equivocationJailEpochs: 96n,
          equivocationWindowEpochs: 8n,
        },
      ],
    });
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
    const other = receipt.contractAddress!;
    const header: RecheckHeader = {
      slashId: 1n,
      provider: deployer.account.address,
      accusedEpoch: 1n,
      recheckEpoch: 3n,
      verdict: 0,
      attestations: 32,
      failures: 0,
      evidenceRoot: zeroHash,
    };
    const separator = await fx.c.reports.read.domainSeparator();
    const mine = await fx.c.slashing.read.recheckSigningRoot([header]);
    const theirs = await chain.publicClient.readContract({
      address: other,
      abi: slashingAbi,
      functionName: "recheckSigningRoot",
      args: [header],
    });
    expect(mine).toBe(bytesToHex(recheckSigningRoot(header, separator, c.slashing)));
    expect(theirs).toBe(bytesToHex(recheckSigningRoot(header, separator, other)));
    expect(theirs).not.toBe(mine);
  });
});
