import { buildResultsTree, resultProof } from "@checkernet/protocol/merkle/trees";
import { withParams } from "@checkernet/protocol/params";
import type { SignedAttestation } from "@checkernet/protocol/types";
import { createLogger } from "@checkernet/runtime";
import { type Address, createPublicClient, createWalletClient, custom, http, type PublicClient } from "viem";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { isolateTests, mined, type TestChain } from "../../../../contracts/test/helpers/chain.ts";
import {
  type Checker,
  type Fixture,
  goToEpoch,
  unlockLicenseRewards,
} from "../../../../contracts/test/helpers/fixture.ts";
import type { ChainDirectory } from "../../../src/chain/chainDirectory.ts";
import {
  type AggregatorDuty,
  MAX_LATE_EPOCHS_PER_EPOCH,
  type SubmitterWallet,
} from "../../../src/duties/aggregatorDuty.ts";
import type { CheckerHost } from "../../../src/network/host.ts";
import { ReportStatus, readReportRecord } from "../../../src/reports/aggregatorRecords.ts";
import { claimAll, licenseRewards, storedRewardsFromDb } from "../../../src/rewards/licenseRewards.ts";
import { type DutyNetwork, type DutyNode as Node, startDutyNetwork } from "../../utils/dutyNetwork.ts";
import { type RpcTestServer, startRpcServer } from "../../utils/rpcServer.ts";

// Issue 14, "Chain outages": the chain's RPC stops answering in epoch e, so e's report cannot land in e.
// The attestations stay in every node's db; when the RPC answers again in e + 1, the epoch's ranked
// aggregator rebuilds e's report from them, the committee co-signs it (a past epoch's report), and it
// lands late — the contract accepts it until e + reportLatenessEpochs — with e's rewards claimable.
// Four checkers over real libp2p on 127.0.0.1; every duty reaches Hardhat's EDR through an HTTP
// JSON-RPC server that the test makes hang, as the devnet drill's stopped chain process did.

const silent = createLogger({ level: "silent", pretty: false });
const params = withParams({ committeeSize: 8, aggregatorBackups: 3 });

let net: DutyNetwork;
let chain: TestChain;
let fx: Fixture;
let providers: Address[];
let directory: ChainDirectory;
let hosts: CheckerHost[];
let rpc: RpcTestServer;

beforeAll(async () => {
  net = await startDutyNetwork({
    deploy: { reportCommitteeSize: 16, genesisSeed: `0x${"cd".repeat(32)}` },
    logger: silent,
  });
  ({ chain, fx, providers, directory, hosts } = net);
  // Every call of the duties is answered by the in-process EDR network, as `hardhat node` would over HTTP.
  rpc = await startRpcServer((call) => chain.publicClient.request(call as never));
}, 60_000);

afterAll(async () => {
  await net?.stop();
  await rpc?.close();
});

isolateTests(() => chain);

afterEach(async () => {
  rpc.mode = "answer";
  await net.reset();
});

/** Four nodes over fresh databases, reaching the chain through the test's RPC server only. */
function nodes(
  options: { offline?: number[]; wallet?: (c: Checker) => SubmitterWallet } = {},
): Promise<Node[]> {
  const transport = () => http(rpc.url, { timeout: 500, retryCount: 0 });
  const publicClient = createPublicClient({ transport: transport(), pollingInterval: 50 }) as PublicClient;
  return net.nodes({
    ...(options.offline === undefined ? {} : { offline: options.offline }),
    duty: (parts) =>
      net.submittingDuty(parts, {
        params,
        logger: silent,
        publicClient,
        wallet:
          options.wallet?.(parts.checker) ??
          createWalletClient({
            account: parts.checker.wallet.account,
            chain: parts.checker.wallet.chain,
            transport: transport(),
          }),
      }),
  });
}

const serveCosign = (host: CheckerHost, duty: AggregatorDuty) => net.serveCosign(host, duty);

/** Every checker attests every provider; `failing` gets FAIL from all (a slashable verdict). */
const attestations = (epoch: bigint, failing?: Address): Promise<SignedAttestation[]> =>
  net.attestations(epoch, failing);

/** Runs the epoch with the RPC hanging: the leader's round fails, nothing lands. Returns the leader. */
async function outage(all: Node[], epoch: bigint, atts: SignedAttestation[]): Promise<Node> {
  for (const n of all) await n.db.putAttestations(atts);
  const leader = all.find((n) => n.duty.rank(epoch, atts).rank === 0)!;
  rpc.mode = "hang";
  await expect(leader.duty.runEpoch(epoch, { waitForTurn: false })).rejects.toThrow();
  rpc.mode = "answer";
  expect((await fx.c.reports.read.reportOf([epoch])).submittedAt).toBe(0n);
  const record = await readReportRecord(leader.db, epoch);
  expect(record?.status).toBe(ReportStatus.UNREPORTED);
  expect(record?.error).toBeTruthy();
  return leader;
}

describe("late reports after a chain outage (4 checkers over libp2p, EDR behind a hanging JSON-RPC server)", () => {
  it("epoch e's submit fails with the RPC down; in e + 1 its report lands late and e's rewards are claimable", async () => {
    const all = await nodes();
    const epoch = await fx.c.reports.read.currentEpoch();
    const atts = await attestations(epoch, providers[1]);
    const leader = await outage(all, epoch, atts);

    // The RPC answers again, one epoch later: the epoch's leader reports it late.
    await goToEpoch(fx, epoch + 1n);
    const [late, ...none] = await leader.duty.reportLate(epoch + 1n, { waitForTurn: false });
    expect(none).toEqual([]);
    expect(late?.epoch).toBe(epoch);
    expect(late?.record?.status).toBe(ReportStatus.SUBMITTED);
    expect(late?.record?.late).toBe(true);
    const onChain = await fx.c.reports.read.reportOf([epoch]);
    expect(onChain.submittedAt).toBeGreaterThan(0n);
    expect(onChain.rewardsRoot).toBe(late!.record!.header.rewardsRoot);
    expect(late!.record!.header.attestationCount).toBe(8);
    // The faulty provider's FAIL is on chain: its slash is not escaped.
    expect(late!.record!.results.find((r) => r.provider === providers[1])?.verdict).toBe(1);
    // Members co-signed the past epoch's report and kept its leaves.
    const others = all.filter((n) => n !== leader);
    const cosigned = await Promise.all(others.map((n) => readReportRecord(n.db, epoch)));
    expect(cosigned.filter((r) => r?.status === ReportStatus.COSIGNED).length).toBeGreaterThan(0);
    // Nobody retries a landed epoch: "already reported" ends every other node's pass.
    for (const n of others) expect(await n.duty.reportLate(epoch + 1n, { waitForTurn: false })).toEqual([]);

    // The epoch's license rewards are earned and claimed in full.
    const contracts = {
      epochReports: fx.deployment.contracts.epochReports,
      rewards: fx.deployment.contracts.rewards,
      checkerLicense: fx.deployment.contracts.checkerLicense,
    };
    await unlockLicenseRewards(fx, epoch);
    const owner = leader.checker;
    const stored = await storedRewardsFromDb(leader.db, epoch);
    const mine = await licenseRewards(chain.publicClient, contracts, stored, { owner: owner.address });
    expect(mine.map((r) => r.licenseId)).toEqual(owner.licenses);
    expect(mine[0]!.amount).toBeGreaterThan(0n);
    const before = await fx.c.token.read.balanceOf([owner.address]);
    const claimed = await claimAll(chain.publicClient, owner.wallet, contracts, stored);
    expect(claimed.amount).toBe(mine[0]!.amount);
    expect((await fx.c.token.read.balanceOf([owner.address])) - before).toBe(mine[0]!.amount);
  }, 90_000);

  it("co-signing fell short in e (members unreachable): in e + 1 the members answer and e's report lands late", async () => {
    const probe = await nodes();
    const epoch = await fx.c.reports.read.currentEpoch();
    const atts = await attestations(epoch);
    const leaderIndex = probe.findIndex((n) => n.duty.rank(epoch, atts).rank === 0);
    await net.reset();

    const others = [0, 1, 2, 3].filter((i) => i !== leaderIndex);
    const all = await nodes({ offline: others });
    for (const n of all) await n.db.putAttestations(atts);
    const leader = all[leaderIndex]!;
    expect((await leader.duty.runEpoch(epoch, { waitForTurn: false })).record?.status).toBe(
      ReportStatus.FAILED,
    );
    expect((await fx.c.reports.read.reportOf([epoch])).submittedAt).toBe(0n);

    for (const i of others) await serveCosign(hosts[i]!, all[i]!.duty);
    await goToEpoch(fx, epoch + 1n);
    const [late] = await leader.duty.reportLate(epoch + 1n, { waitForTurn: false });
    expect(late?.record?.status).toBe(ReportStatus.SUBMITTED);
    expect((await fx.c.reports.read.reportOf([epoch])).rewardsRoot).toBe(late!.record!.header.rewardsRoot);
  }, 60_000);

  it("signed before the outage, every send failed: the same aggregate is sent late, on a fresh nonce if the old one was spent", async () => {
    let sendsDown = true;
    const flaky = (c: Checker): SubmitterWallet =>
      createWalletClient({
        account: c.wallet.account,
        chain: c.wallet.chain,
        transport: custom({
          request: async (args: { method: string; params?: unknown }) => {
            if (args.method === "eth_sendTransaction" && sendsDown)
              throw new Error("connect ECONNREFUSED 127.0.0.1:8545");
            return c.wallet.request(args as never);
          },
        }),
      });
    const all = await nodes({ wallet: flaky });
    const epoch = await fx.c.reports.read.currentEpoch();
    const atts = await attestations(epoch);
    for (const n of all) await n.db.putAttestations(atts);
    const leader = all.find((n) => n.duty.rank(epoch, atts).rank === 0)!;
    const failed = await leader.duty.runEpoch(epoch, { waitForTurn: false });
    expect(failed.record?.status).toBe(ReportStatus.UNREPORTED);
    expect(failed.record?.aggregateSignature).toBeDefined();
    const spent = failed.record!.nonce!;
    // The operator's wallet sends something else meanwhile: the fixed nonce is taken.
    await mined(chain, leader.checker.wallet.sendTransaction({ to: leader.checker.address, value: 0n }));
    expect(await chain.publicClient.getTransactionCount({ address: leader.checker.address })).toBe(spent + 1);

    // Back in e + 1, with no member answering: only the aggregate signed in e can land.
    sendsDown = false;
    for (const h of hosts) await h.unhandle("/checkernet/cosign/1.0.0");
    await goToEpoch(fx, epoch + 1n);
    const [late] = await leader.duty.reportLate(epoch + 1n, { waitForTurn: false });
    expect(late?.record?.status).toBe(ReportStatus.SUBMITTED);
    expect(late?.record?.aggregateSignature).toBe(failed.record!.aggregateSignature);
    expect(late?.record?.nonce).toBe(spent + 1);
    expect((await fx.c.reports.read.reportOf([epoch])).submittedAt).toBeGreaterThan(0n);
  }, 60_000);

  it("e + 1's report lands first: e's late report still lands after it, and e's failure can be slashed", async () => {
    // The devnet drill's order: epoch e did not land, e + 1's leader reported on time in e + 1, then e's late
    // round ran. EpochReports used to refuse it (EpochReportsEpochOutOfOrder, then EpochReportsTooLate).
    const all = await nodes();
    const epoch = await fx.c.reports.read.currentEpoch();
    const leader = await outage(all, epoch, await attestations(epoch, providers[1]));

    await goToEpoch(fx, epoch + 1n);
    await directory.refresh();
    await directory.ensureEpoch(epoch + 1n);
    const next = await attestations(epoch + 1n);
    for (const n of all) await n.db.putAttestations(next);
    const nextLeader = all.find((n) => n.duty.rank(epoch + 1n, next).rank === 0)!;
    const onTime = await nextLeader.duty.runEpoch(epoch + 1n, { waitForTurn: false });
    expect(onTime.record?.status).toBe(ReportStatus.SUBMITTED);
    expect(await fx.c.reports.read.lastReportedEpoch()).toBe(epoch + 1n);

    const [late, ...none] = await leader.duty.reportLate(epoch + 1n, { waitForTurn: false });
    expect(none).toEqual([]);
    expect(late?.epoch).toBe(epoch);
    expect(late?.record?.status).toBe(ReportStatus.SUBMITTED);
    expect((await fx.c.reports.read.reportOf([epoch])).rewardsRoot).toBe(late!.record!.header.rewardsRoot);
    expect(await fx.c.reports.read.landedEpochOf([epoch])).toBe(epoch + 1n);
    // Still the highest reported epoch: the late one landed below it.
    expect(await fx.c.reports.read.lastReportedEpoch()).toBe(epoch + 1n);

    // The faulty provider's FAIL of epoch e is on chain and opens a slash.
    const results = late!.record!.results;
    const fail = results.find((r) => r.provider === providers[1])!;
    expect(fail.verdict).toBe(1);
    await mined(
      chain,
      fx.c.slashing.write.openSlash([epoch, fail, resultProof(buildResultsTree(results), providers[1]!)]),
    );
    expect(await fx.c.slashing.read.pendingSlashCount([providers[1]!])).toBe(1n);
  }, 90_000);

  it("stays within the contract's window: past e + reportLatenessEpochs the epoch is not retried", async () => {
    const all = await nodes();
    const epoch = await fx.c.reports.read.currentEpoch();
    const leader = await outage(all, epoch, await attestations(epoch));
    const lateness = await fx.c.reports.read.reportLatenessEpochs();
    expect(lateness).toBeLessThanOrEqual(BigInt(MAX_LATE_EPOCHS_PER_EPOCH));
    await goToEpoch(fx, epoch + lateness + 1n);
    expect(await leader.duty.reportLate(epoch + lateness + 1n, { waitForTurn: false })).toEqual([]);
    expect((await fx.c.reports.read.reportOf([epoch])).submittedAt).toBe(0n);
    expect((await readReportRecord(leader.db, epoch))?.status).toBe(ReportStatus.UNREPORTED);
  }, 60_000);
});
