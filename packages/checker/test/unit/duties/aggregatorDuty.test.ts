import { withParams } from "@checkernet/protocol/params";
import { CheckResult, type SignedAttestation } from "@checkernet/protocol/types";
import { createLogger } from "@checkernet/runtime";
import { type Address, createWalletClient, custom } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { isolateTests, type TestChain } from "../../../../contracts/test/helpers/chain.ts";
import { type Checker, type Fixture, goToEpoch } from "../../../../contracts/test/helpers/fixture.ts";
import { ChainActionError, ChainActionErrorCode } from "../../../src/chain/actions/errors.ts";
import type { SubmitterWallet } from "../../../src/duties/aggregatorDuty.ts";
import {
  CosignError,
  CosignErrorCode,
  handleCosign,
  requestCosign,
} from "../../../src/network/reqresp/cosign.ts";
import { CheckerNode } from "../../../src/node.ts";
import { ReportStatus, readReportRecord } from "../../../src/reports/aggregatorRecords.ts";
import {
  claimAll,
  licenseRewards,
  storedRewardsFromDb,
  summarizeRewards,
} from "../../../src/rewards/licenseRewards.ts";
import { aggregatorDuty } from "../../utils/duties.ts";
import { type DutyNetwork, type DutyNode as Node, startDutyNetwork } from "../../utils/dutyNetwork.ts";
import { fixtureNodeOptions } from "../../utils/fixtureNode.ts";
import { makeAttestation, signAttestation } from "../../utils/fixtures.ts";

const silent = createLogger({ level: "silent", pretty: false });
const params = withParams({ committeeSize: 8, aggregatorBackups: 3 });

let net: DutyNetwork;
let chain: TestChain;
let fx: Fixture;
let checkers: Checker[];
let providers: Address[];

beforeAll(async () => {
  net = await startDutyNetwork({
    deploy: {
      reportCommitteeSize: 16,
      // Half the seats: the backup test runs with the leader (and its seats) offline.
      reportQuorumBps: 5_000,
      genesisSeed: `0x${"ab".repeat(32)}`,
    },
    logger: silent,
  });
  ({ chain, fx, checkers, providers } = net);
}, 60_000);

afterAll(async () => {
  await net?.stop();
});

isolateTests(() => chain);

afterEach(() => net.reset());

/** Four nodes over fresh databases, each serving co-sign requests with its duty. */
const nodes = (options: { offline?: number[]; wallet?: (c: Checker) => SubmitterWallet } = {}) =>
  net.nodes({
    ...(options.offline === undefined ? {} : { offline: options.offline }),
    duty: ({ checker, index, host, db, bls, clock }) =>
      aggregatorDuty(
        {
          fx,
          checker,
          directory: net.directory,
          clock,
          db,
          bls,
          logger: silent.child({ node: index }),
          params,
          host,
          walletClient: options.wallet?.(checker),
        },
        { backupTimeoutMs: 300, retryBaseMs: 50 },
      ),
  });

/** Every checker attests every provider (k = 8 ≥ 4 licenses: everyone sits on every committee). */
const attestations = (epoch: bigint, failing?: Address) => net.attestations(epoch, failing);

/** As after gossip: every node stored every attestation. */
async function gossip(all: Node[], atts: SignedAttestation[]) {
  for (const n of all) await n.db.putAttestations(atts);
}

function ranked(all: Node[], epoch: bigint, atts: SignedAttestation[]): Node[] {
  return [...all].sort(
    (a, b) => (a.duty.rank(epoch, atts).rank ?? 99) - (b.duty.rank(epoch, atts).rank ?? 99),
  );
}

describe("AggregatorDuty (4 checkers over libp2p on 127.0.0.1, contracts on Hardhat's EDR)", () => {
  it("the leader builds, gathers co-signatures, and the report lands on-chain; rewards are claimable", async () => {
    const all = await nodes();
    const epoch = await fx.c.reports.read.currentEpoch();
    const atts = await attestations(epoch, providers[1]);
    await gossip(all, atts);
    const roles = all.map((n) => n.duty.rank(epoch, atts));
    expect(roles.map((r) => r.rank).sort()).toEqual([0, 1, 2, 3]);
    expect(new Set(roles.map((r) => r.leader)).size).toBe(1);
    const [leader] = ranked(all, epoch, atts);

    const outcome = await leader!.duty.runEpoch(epoch, { waitForTurn: false });
    expect(outcome.record?.status).toBe(ReportStatus.SUBMITTED);
    expect(outcome.record?.gasUsed).toBeGreaterThan(0n);
    const onChain = await fx.c.reports.read.reportOf([epoch]);
    expect(onChain.submittedAt).toBeGreaterThan(0n);
    expect(onChain.rewardsRoot).toBe(outcome.record!.header.rewardsRoot);
    expect(onChain.resultsRoot).toBe(outcome.record!.header.resultsRoot);
    expect(outcome.record!.header.providerCount).toBe(2);
    expect(outcome.record!.header.attestationCount).toBe(8);
    expect(outcome.record!.results.find((r) => r.provider === providers[1])?.verdict).toBe(1);
    // Co-signers kept the leaves they rebuilt.
    const others = all.filter((n) => n !== leader);
    const cosigned = await Promise.all(others.map((n) => readReportRecord(n.db, epoch)));
    expect(cosigned.filter((r) => r?.status === ReportStatus.COSIGNED).length).toBeGreaterThan(0);

    // License rewards, proven from the stored leaves, are listed and claimed by their owner.
    const contracts = {
      epochReports: fx.deployment.contracts.epochReports,
      rewards: fx.deployment.contracts.rewards,
      checkerLicense: fx.deployment.contracts.checkerLicense,
    };
    const owner = checkers[0]!;
    const stored = await storedRewardsFromDb(leader!.db, epoch);
    const locked = await licenseRewards(chain.publicClient, contracts, stored, { owner: owner.address });
    expect(locked.map((r) => r.licenseId)).toEqual(owner.licenses);
    expect(locked[0]!.amount).toBeGreaterThan(0n);
    expect(locked[0]!.claimed).toBe(false);
    // License rewards stay locked until no contest of the epoch's failures can penalize their operator.
    const unlock = (await fx.c.slashing.read.penaltiesFinalEpoch([epoch])) + 1n;
    expect(locked[0]!.unlockEpoch).toBe(unlock);
    const early = await claimAll(chain.publicClient, owner.wallet, contracts, stored).catch(
      (e: unknown) => e as ChainActionError,
    );
    expect((early as ChainActionError).code).toBe(ChainActionErrorCode.NOTHING_TO_DO);
    expect((early as Error).message).toMatch(new RegExp(`locked .* unlocks in epoch ${unlock}`));
    await goToEpoch(fx, unlock);
    const mine = await licenseRewards(chain.publicClient, contracts, stored, { owner: owner.address });
    expect(mine[0]!.unlockEpoch).toBeNull();
    const byOperator = await licenseRewards(chain.publicClient, contracts, stored, {
      operator: owner.address,
    });
    expect(byOperator.map((r) => r.licenseId)).toEqual(owner.licenses);

    // Not the owner of that license.
    const notOwner = await claimAll(chain.publicClient, checkers[1]!.wallet, contracts, stored, {
      licenseId: owner.licenses[0]!,
    }).catch((e: unknown) => e as ChainActionError);
    expect(notOwner).toBeInstanceOf(ChainActionError);
    expect((notOwner as ChainActionError).code).toBe(ChainActionErrorCode.NOT_OWNER);

    const before = await fx.c.token.read.balanceOf([owner.address]);
    const claimed = await claimAll(chain.publicClient, owner.wallet, contracts, stored);
    expect(claimed.amount).toBe(mine[0]!.amount);
    expect((await fx.c.token.read.balanceOf([owner.address])) - before).toBe(mine[0]!.amount);
    expect(
      summarizeRewards(await licenseRewards(chain.publicClient, contracts, stored, { owner: owner.address })),
    ).toEqual([
      {
        licenseId: String(owner.licenses[0]),
        owner: owner.address,
        claimable: 0n,
        locked: 0n,
        claimed: mine[0]!.amount,
        epochs: [],
        lockedEpochs: [],
      },
    ]);
    // A second claim has nothing left.
    const again = await claimAll(chain.publicClient, owner.wallet, contracts, stored).catch(
      (e: unknown) => e,
    );
    expect((again as ChainActionError).code).toBe(ChainActionErrorCode.NOTHING_TO_DO);
  }, 60_000);

  it("never submits twice: a repeat run and a late backup send nothing", async () => {
    const all = await nodes();
    const epoch = await fx.c.reports.read.currentEpoch();
    const atts = await attestations(epoch);
    await gossip(all, atts);
    const [leader, backup] = ranked(all, epoch, atts);
    expect((await leader!.duty.runEpoch(epoch, { waitForTurn: false })).record?.status).toBe(
      ReportStatus.SUBMITTED,
    );
    const nonce = (n: Node) => chain.publicClient.getTransactionCount({ address: n.checker.address });
    const [leaderNonce, backupNonce] = [await nonce(leader!), await nonce(backup!)];
    expect((await leader!.duty.runEpoch(epoch, { waitForTurn: false })).record?.status).toBe(
      ReportStatus.SUBMITTED,
    );
    const late = await backup!.duty.runEpoch(epoch, { waitForTurn: false });
    expect(late.record?.status).toBe(ReportStatus.REPORTED_BY_OTHER);
    expect(await nonce(leader!)).toBe(leaderNonce);
    expect(await nonce(backup!)).toBe(backupNonce);
  }, 60_000);

  it("retries RPC failures with backoff and the same nonce: one transaction lands", async () => {
    let failures = 2;
    let sends = 0;
    // The RPC is down for the first two sends (as when the node restarts), then back.
    const flaky = (c: Checker): SubmitterWallet =>
      createWalletClient({
        account: c.wallet.account,
        chain: c.wallet.chain,
        transport: custom({
          request: async (args: { method: string; params?: unknown }) => {
            if (args.method === "eth_sendTransaction") {
              sends++;
              if (failures-- > 0) throw new Error("connect ECONNREFUSED 127.0.0.1:8545");
            }
            return c.wallet.request(args as never);
          },
        }),
      });
    const all = await nodes({ wallet: flaky });
    const epoch = await fx.c.reports.read.currentEpoch();
    const atts = await attestations(epoch);
    await gossip(all, atts);
    const [leader] = ranked(all, epoch, atts);
    const nonceBefore = await chain.publicClient.getTransactionCount({ address: leader!.checker.address });
    const outcome = await leader!.duty.runEpoch(epoch, { waitForTurn: false });
    expect(outcome.record?.status).toBe(ReportStatus.SUBMITTED);
    expect(sends).toBe(3);
    expect(outcome.record?.nonce).toBe(nonceBefore);
    expect(await chain.publicClient.getTransactionCount({ address: leader!.checker.address })).toBe(
      nonceBefore + 1,
    );
    expect((await readReportRecord(leader!.db, epoch))?.txHash).toBe(outcome.record?.txHash);
  }, 60_000);

  it("a backup takes over when the leader is offline", async () => {
    const probe = await nodes();
    const epoch = await fx.c.reports.read.currentEpoch();
    const atts = await attestations(epoch);
    const leaderIndex = probe.findIndex((n) => n.duty.rank(epoch, atts).rank === 0);
    const backupIndex = probe.findIndex((n) => n.duty.rank(epoch, atts).rank === 1);
    await net.reset();

    // The leader published its attestations, then went away: it neither submits nor co-signs.
    const all = await nodes({ offline: [leaderIndex] });
    await gossip(all, atts);
    const backup = all[backupIndex]!;
    const started = Date.now();
    const outcome = await backup.duty.runEpoch(epoch, { waitForTurn: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(outcome.role.rank).toBe(1);
    expect(outcome.record?.status).toBe(ReportStatus.SUBMITTED);
    expect(outcome.record?.role).toBe("backup");
    expect((await fx.c.reports.read.reportOf([epoch])).submittedAt).toBeGreaterThan(0n);
  }, 60_000);

  it("a co-signer refuses a report that differs from what it saw", async () => {
    const all = await nodes();
    const epoch = await fx.c.reports.read.currentEpoch();
    const atts = await attestations(epoch);
    const [leader] = ranked(all, epoch, atts);
    const committee = await fx.c.reports.read.reportCommittee([epoch]);
    const member = all.find((n) => n !== leader && committee.includes(n.checker.address))!;
    // The member missed the last checker's gossip: the request's copies are verified and accepted.
    const late = checkers.find(
      (c) => c.address !== member.checker.address && c.address !== leader!.checker.address,
    )!;
    for (const n of all) {
      await n.db.putAttestations(
        n === member ? atts.filter((a) => a.attestation.checker !== late.address) : atts,
      );
    }
    const report = await leader!.duty.buildFromView(epoch, atts);
    const ask = (header: typeof report.header, attestations: SignedAttestation[]) =>
      requestCosign(leader!.host, member.host.peerId, { header, attestations }).catch(
        (e: unknown) => e as Error,
      );

    const seed = await fx.c.reports.read.seedOf([epoch]);
    const signer = (c: Checker) => ({ ...c.key, address: c.address, licenses: 1 });
    const first = checkers.find((c) => c !== late)!;
    // An attestation the member has not seen, signed by the wrong key, is refused (and not stored).
    const wrongKey = await signAttestation(
      { ...signer(first), address: late.address },
      makeAttestation(late.address, providers[1]!, epoch, { latencyP50Us: 1_234 }),
      seed,
      fx.domain,
    );
    const withBad = atts.map((a) =>
      a.attestation.checker === late.address && a.attestation.provider === providers[1] ? wrongKey : a,
    );
    const invalid = await ask((await leader!.duty.buildFromView(epoch, withBad)).header, withBad);
    expect((invalid as Error).message).toMatch(/invalid attestation/);

    const sig = await ask(report.header, atts);
    expect(sig).toBeInstanceOf(Uint8Array);
    expect((sig as Uint8Array).length).toBe(96);

    // A header that does not match the member's rebuild is refused, naming the field.
    const tampered = await ask(
      { ...report.header, attestationCount: report.header.attestationCount + 1 },
      atts,
    );
    expect(tampered).toBeInstanceOf(CosignError);
    expect((tampered as CosignError).code).toBe(CosignErrorCode.REFUSED);
    expect((tampered as Error).message).toMatch(/differs in attestationCount/);

    // An attestation that conflicts with the one the member holds is refused.
    const forged = await signAttestation(
      signer(first),
      makeAttestation(first.address, providers[0]!, epoch, { result: CheckResult.FAIL }),
      seed,
      fx.domain,
    );
    const swapped = atts.map((a) =>
      a.attestation.checker === first.address && a.attestation.provider === providers[0] ? forged : a,
    );
    const conflict = await ask((await leader!.duty.buildFromView(epoch, swapped)).header, swapped);
    expect((conflict as Error).message).toMatch(/differs from the one this node holds/);
  }, 60_000);

  it("a co-signer tolerates a bounded difference of views: it lacks k, or the report omits one it holds", async () => {
    const all = await nodes();
    const epoch = await fx.c.reports.read.currentEpoch();
    const atts = await attestations(epoch);
    const [leader] = ranked(all, epoch, atts);
    const committee = await fx.c.reports.read.reportCommittee([epoch]);
    const member = all.find((n) => n !== leader && committee.includes(n.checker.address))!;
    const others = checkers.filter(
      (c) => c.address !== member.checker.address && c.address !== leader!.checker.address,
    );
    const ask = async (view: SignedAttestation[]) =>
      requestCosign(leader!.host, member.host.peerId, {
        header: (await leader!.duty.buildFromView(epoch, view)).header,
        attestations: view,
      }).catch((e: unknown) => e as Error);

    // The member lacks k = 4 attestations (two checkers' on both providers): it verifies and co-signs.
    const lacking = atts.filter((a) => !others.some((c) => c.address === a.attestation.checker));
    await member.db.putAttestations(lacking);
    expect(atts.length - lacking.length).toBe(4);
    expect(await ask(atts)).toBeInstanceOf(Uint8Array);
    expect(await member.db.attestationsOfEpoch(epoch)).toHaveLength(atts.length);

    // The leader built before one attestation reached it: the member holds it, and still co-signs
    // (the strict rule refused: "differs in resultsRoot").
    const late = atts.find((a) => a.attestation.checker === others[0]!.address)!;
    const missingOne = atts.filter((a) => a !== late);
    const tolerated = await ask(missingOne);
    expect(tolerated).toBeInstanceOf(Uint8Array);
    expect((tolerated as Uint8Array).length).toBe(96);

    // More than maxOmitted(8) = 1 left out is an aggregator dropping valid attestations: refused.
    const missingThree = missingOne.filter((a) => a.attestation.checker !== others[1]!.address);
    expect(missingThree).toHaveLength(atts.length - 3);
    const dropped = await ask(missingThree);
    expect((dropped as CosignError).code).toBe(CosignErrorCode.REFUSED);
    expect((dropped as Error).message).toMatch(/AGGREGATOR_ERROR_TOO_MANY_OMITTED/);

    // An attestation the member lacks that does not verify is refused by the rule's code.
    const seed = await fx.c.reports.read.seedOf([epoch]);
    const genuine = atts.find(
      (a) => a.attestation.checker === others[1]!.address && a.attestation.provider === providers[0],
    )!;
    const wrongKey = {
      ...(await signAttestation(
        { ...leader!.checker.key, address: others[1]!.address, licenses: 1 },
        makeAttestation(others[1]!.address, providers[0]!, epoch, { latencyP50Us: 1_234 }),
        seed,
        fx.domain,
      )),
      vrfProof: genuine.vrfProof,
    };
    const memberLacksIt = atts.map((a) => (a === genuine ? wrongKey : a));
    // The member holds the genuine one: clear it so the bad copy is unseen.
    await member.db.prune(epoch + 1n);
    await member.db.putAttestations(memberLacksIt.filter((a) => a !== wrongKey));
    const invalid = await ask(memberLacksIt);
    expect((invalid as CosignError).code).toBe(CosignErrorCode.REFUSED);
    expect((invalid as Error).message).toMatch(
      /ATTESTATION_ERROR_INVALID_SIGNATURE.*AGGREGATOR_ERROR_INVALID_ATTESTATION/,
    );
    expect(
      await member.db.getAttestation(epoch, providers[0]!, others[1]!.address).then((a) => a === undefined),
    ).toBe(true);
  }, 60_000);

  it("a co-signer refuses an omission that changes a verdict, even within the tolerance", async () => {
    const all = await nodes();
    const epoch = await fx.c.reports.read.currentEpoch();
    const target = providers[1]!;
    const passing = await attestations(epoch);
    const failing = await attestations(epoch, target);
    const verdictOf = async (view: SignedAttestation[]) =>
      (await all[0]!.duty.buildFromView(epoch, view)).results.find(
        (r) => r.provider.toLowerCase() === target.toLowerCase(),
      )?.verdict;
    // The first k checkers fail the target: find a view and one attestation on the target whose
    // omission (one is within maxOmitted(8)) flips the verdict: a decisive FAIL left out shields a
    // cheat, a PASS left out slashes an honest provider.
    let found: { view: SignedAttestation[]; omit: SignedAttestation } | undefined;
    for (let k = 1; k < checkers.length && found === undefined; k++) {
      const failers = new Set(checkers.slice(0, k).map((c) => c.address));
      const view = passing.map(
        (a) =>
          (failers.has(a.attestation.checker) &&
            a.attestation.provider === target &&
            failing.find(
              (f) => f.attestation.checker === a.attestation.checker && f.attestation.provider === target,
            )) ||
          a,
      );
      const full = await verdictOf(view);
      for (const omit of view.filter((a) => a.attestation.provider === target)) {
        if ((await verdictOf(view.filter((a) => a !== omit))) !== full) {
          found = { view, omit };
          break;
        }
      }
    }
    expect(found, "an attestation whose omission changes the verdict").toBeDefined();
    const { view, omit } = found!;
    const [leader] = ranked(all, epoch, view);
    const committee = await fx.c.reports.read.reportCommittee([epoch]);
    const member = all.find((n) => n !== leader && committee.includes(n.checker.address))!;
    await member.db.putAttestations(view);
    const shielded = view.filter((a) => a !== omit);
    const refused = await requestCosign(leader!.host, member.host.peerId, {
      header: (await leader!.duty.buildFromView(epoch, shielded)).header,
      attestations: shielded,
    }).catch((e: unknown) => e as Error);
    expect((refused as CosignError).code).toBe(CosignErrorCode.REFUSED);
    expect((refused as Error).message).toMatch(/AGGREGATOR_ERROR_OMISSION_CHANGES_VERDICT/);
  }, 60_000);

  it("a leader that proposed from a view gossip had not filled ranks and proposes again once it has (one retry)", async () => {
    // As in a busy devnet's first epoch: the leader's BLS checks lag, so it holds only its own
    // attestations when it builds; members, holding everyone's, refuse the report (too many omitted).
    const all = await nodes({ offline: [0, 1, 2, 3] });
    const epoch = await fx.c.reports.read.currentEpoch();
    const atts = await attestations(epoch);
    const [leader] = ranked(all, epoch, atts);
    const own = atts.filter((a) => a.attestation.checker === leader!.checker.address);
    await leader!.db.putAttestations(own);
    for (const n of all) {
      if (n === leader) continue;
      await n.db.putAttestations(atts);
      // The rest of the gossip reaches the leader while its first round is being refused.
      await handleCosign(n.host, {
        logger: silent,
        onRequest: async (req) => {
          try {
            return await n.duty.cosign(req);
          } finally {
            await leader!.db.putAttestations(atts);
          }
        },
      });
    }
    await handleCosign(leader!.host, { logger: silent, onRequest: (req) => leader!.duty.cosign(req) });
    const outcome = await leader!.duty.runEpoch(epoch, { waitForTurn: false });
    expect(outcome.record?.status).toBe(ReportStatus.SUBMITTED);
    expect(outcome.record?.header.attestationCount).toBe(atts.length);
    expect((await fx.c.reports.read.reportOf([epoch])).submittedAt).toBeGreaterThan(0n);
  }, 60_000);

  it("CheckerNode runs the aggregator and co-sign protocol when chain addresses, operator key and tx key are configured", async () => {
    const txKey = generatePrivateKey();
    const node = await CheckerNode.create(
      fixtureNodeOptions(fx, checkers[0]!, {
        dataDirPrefix: "checker-agg-node-",
        logger: silent,
        txPrivateKey: txKey,
      }),
    );
    await node.start();
    try {
      expect(node.aggregator).toBeDefined();
      expect(node.host.getProtocols()).toContain("/checkernet/cosign/1.0.0");
      const status = await node.status();
      expect(status.reports).toMatchObject({
        aggregator: true,
        submitter: privateKeyToAccount(txKey).address,
        recent: [],
      });
      expect(status.pendingReports).toBe(0);
    } finally {
      await node.stop();
    }
  }, 60_000);
});
