import { buildResultsTree, resultProof } from "@checkernet/protocol/merkle/trees";
import { DEFAULT_RECHECK_RULES } from "@checkernet/protocol/recheck";
import { CheckResult, type SignedAttestation, Verdict } from "@checkernet/protocol/types";
import { createLogger } from "@checkernet/runtime";
import { CHALLENGE_PROTOCOL } from "@checkernet/wire";
import { peerIdFromString } from "@libp2p/peer-id";
import { multiaddr } from "@multiformats/multiaddr";
import { type Address, bytesToHex, getAddress, type PublicClient } from "viem";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { isolateTests, mined, type TestChain } from "../../../../contracts/test/helpers/chain.ts";
import { type Fixture, fundContestBonds, goToEpoch } from "../../../../contracts/test/helpers/fixture.ts";
import { ChallengeClient } from "../../../src/challenges/client.ts";
import { CheckingDuty } from "../../../src/duties/checkingDuty.ts";
import { createMetrics } from "../../../src/metrics/index.ts";
import type { CheckerHost } from "../../../src/network/host.ts";
import { RECHECK_PROTOCOL } from "../../../src/network/reqresp/recheck.ts";
import { readReportRecord } from "../../../src/reports/aggregatorRecords.ts";
import { chainDirectory, chainEpochClock, deploymentClock } from "../../utils/chain.ts";
import { startChallengeServer } from "../../utils/challengeServer.ts";
import { type DutyNetwork, type DutyNode, startDutyNetwork } from "../../utils/dutyNetwork.ts";
import { bls } from "../../utils/fixtures.ts";
import { loopbackHost, stopHosts } from "../../utils/hosts.ts";
import { recheckMember, runOwnRecheck } from "../../utils/recheckMembers.ts";
import { SMALL_CHALLENGE_PARAMS } from "../../utils/smallChallenges.ts";

/**
 * Issue 14 (review4 leftover, M1): a re-check that overturns a slash jails only the checkers whose claim it can
 * refute. A provider unavailable in the accused epoch (its registered peer id served by no host) is attested
 * TIMEOUT by its honest committee and FAILed; it contests, serves at the re-check, the re-check PASSes and the
 * slash is overturned: no accuser is penalized. A provider that sent malformed answers is attested FAIL: the
 * overturn still jails those accusers. Real: Hardhat EDR with the contracts, four checkers over libp2p on
 * 127.0.0.1 running the CheckingDuty, the AggregatorDuty (report built, co-signed and submitted) and the
 * RecheckDuty (results, co-signatures, submitRecheck), BLS keys, level dbs.
 */
const silent = createLogger({ level: "silent", pretty: false });
const PARAMS = { ...SMALL_CHALLENGE_PARAMS, committeeSize: 8, aggregatorBackups: 3 };

let net: DutyNetwork;
let chain: TestChain;
let fx: Fixture;
const providerHosts: CheckerHost[] = [];

beforeAll(async () => {
  net = await startDutyNetwork({
    deploy: { reportCommitteeSize: 16, genesisSeed: `0x${"a5".repeat(32)}` },
    logger: silent,
  });
  ({ chain, fx } = net);
}, 60_000);

afterAll(async () => {
  await net?.stop();
});

isolateTests(() => chain);

afterEach(async () => {
  for (const h of net.hosts) await h.unhandle(RECHECK_PROTOCOL).catch(() => undefined);
  await stopHosts(providerHosts);
  await net.reset();
});

/** The accused provider: registered with a peer id of its own that no host serves (dutyNetwork.ts). */
const accused = () => ({ address: net.providers[0]!, wallet: chain.wallets[10]! });

/** The provider points its registry entry at `host` (`update()`: the peer id stays updatable while staked). */
async function servePeerId(host: CheckerHost): Promise<void> {
  const info = await fx.c.providers.read.providerInfo([accused().address]);
  const peerId = bytesToHex(host.peerId.toMultihash().bytes);
  await mined(
    chain,
    fx.as(accused().wallet).providers.write.update([peerId, info.gpuModel, info.vramMiB, info.region]),
  );
  for (const h of net.hosts) await h.peerStore.merge(host.peerId, { multiaddrs: host.getMultiaddrs() });
}

/** A provider host answering challenges as `behaviour`. */
async function providerHost(behaviour: "honest" | "garbage"): Promise<CheckerHost> {
  const host = await loopbackHost();
  providerHosts.push(host);
  await startChallengeServer(host, behaviour);
  return host;
}

/** Every checker runs its checking duty over the epoch's providers (as the node does): the signed attestations. */
async function checkEpoch(nodes: DutyNode[], epoch: bigint): Promise<SignedAttestation[]> {
  const directory = await chainDirectory(chain, fx, silent);
  await directory.ensureEpoch(epoch);
  const clock = await chainEpochClock(fx);
  const backend = await bls();
  const signed: SignedAttestation[] = [];
  for (const n of nodes) {
    const duty = new CheckingDuty(
      {
        clock,
        epochs: directory,
        keys: directory,
        providers: directory,
        client: new ChallengeClient(
          { host: n.host, logger: silent, metrics: createMetrics() },
          { params: PARAMS, checkerRegion: 0 },
        ),
        db: n.db,
        bls: backend,
        logger: silent,
        publish: async () => undefined,
        addPeerAddresses: async (peerId, addrs) => {
          await n.host.peerStore.merge(peerIdFromString(peerId), {
            multiaddrs: addrs.map((a) => multiaddr(a)),
          });
        },
      },
      { checker: n.checker.address, secretKey: n.checker.key.secretKey, domain: fx.domain, params: PARAMS },
    );
    signed.push(...(await duty.runEpoch(epoch, { waitForPublishPhase: false })).attestations);
  }
  return signed;
}

const balanceOf = (a: Address) => fx.c.token.read.balanceOf([a]);

/**
 * The accused provider misbehaves in the current epoch as `fault` says, is reported FAIL by the checkers'
 * duties, contests with its bond, serves honestly from then on and is re-checked by the same checkers: the
 * slash id, the leaf it contested, and what each checker attested of it.
 */
async function contestAfter(fault: "unavailable" | "garbage") {
  const provider = accused();
  const epoch = await fx.c.reports.read.currentEpoch();
  const host = await providerHost(fault === "garbage" ? "garbage" : "honest");
  // Unavailable: its registered peer id, which no host serves, until it contests.
  if (fault === "garbage") await servePeerId(host);
  const nodes = await net.nodes({
    duty: (parts) =>
      net.submittingDuty(parts, {
        params: PARAMS,
        logger: silent,
        publicClient: chain.publicClient as PublicClient,
        wallet: parts.checker.wallet,
      }),
  });
  const signed = await checkEpoch(nodes, epoch);
  const attested = new Map(
    signed
      .filter((s) => s.attestation.provider === provider.address)
      .map((s) => [getAddress(s.attestation.checker), s.attestation.result]),
  );
  // The report: every node holds every attestation (gossip), the epoch's leader builds and submits it.
  for (const n of nodes) await n.db.putAttestations(signed);
  const leader = nodes.find((n) => n.duty.rank(epoch, signed).rank === 0);
  if (leader === undefined) throw new Error("no leader");
  await leader.duty.runEpoch(epoch, { waitForTurn: false });
  expect((await fx.c.reports.read.reportOf([epoch])).submittedAt).toBeGreaterThan(0n);
  const record = await readReportRecord(leader.db, epoch);
  const leaf = record?.results.find((l) => l.provider === provider.address);
  if (record === undefined || leaf === undefined) throw new Error("no stored leaf");
  expect(leaf.verdict).toBe(Verdict.FAIL);

  // The provider contests, and serves honestly from now on (the peer id it registers is the one it serves).
  await fundContestBonds(fx, provider, await fx.c.slashing.read.contestBond());
  const before = await balanceOf(provider.address);
  const proof = resultProof(buildResultsTree(record.results), provider.address);
  await mined(chain, fx.as(provider.wallet).slashing.write.contest([epoch, leaf, proof]));
  const slashId = await fx.c.slashing.read.slashIdOf([epoch, provider.address]);
  await host.unhandle(CHALLENGE_PROTOCOL);
  await startChallengeServer(host, "honest");
  if (fault === "unavailable") await servePeerId(host);

  // The re-check: every checker a member (RecheckDuty), testing in the re-check epoch (a 1-epoch window).
  const { recheckEpoch } = await fx.c.slashing.read.slashOf([slashId]);
  await goToEpoch(fx, recheckEpoch);
  const directory = await chainDirectory(chain, fx, silent);
  await directory.ensureEpoch(recheckEpoch);
  let nowMs = deploymentClock(fx).bounds(recheckEpoch).publishStartMs - 1_000;
  const clock = deploymentClock(fx, () => nowMs);
  const backend = await bls();
  const members = [];
  for (const n of nodes) {
    members.push(
      await recheckMember(fx, {
        checker: n.checker,
        host: n.host,
        db: n.db,
        bls: backend,
        clock,
        keys: directory,
        providers: directory,
        params: PARAMS,
        rules: DEFAULT_RECHECK_RULES,
        logger: silent,
      }),
    );
  }
  const state = await members[0]!.duty.state(slashId);
  const seated = members.filter((m) => state.committee.includes(m.checker.address));
  expect(seated.length).toBeGreaterThanOrEqual(DEFAULT_RECHECK_RULES.minResults);
  await Promise.all(seated.map((m) => runOwnRecheck(m, state)));
  // Past the members' runs, the first-ranked operator leads: collects, co-signs and submits.
  nowMs = deploymentClock(fx).bounds(recheckEpoch).publishStartMs + 200;
  const first = members[0]!.duty.leaders(state)[0];
  const lead = members.find((m) => m.checker.address === first);
  if (lead === undefined) throw new Error("no re-check leader");
  await lead.duty.poll();
  const submitted = await lead.duty.record(slashId);
  expect(submitted?.status, submitted?.error).toBe("submitted");
  expect(submitted?.verdict).toBe(Verdict.PASS);
  // Overturned: the bond comes back.
  expect(await fx.c.slashing.read.isOverturned([slashId])).toBe(true);
  expect(await balanceOf(provider.address)).toBe(before);
  const penalized = await chain.publicClient.getContractEvents({
    address: fx.deployment.contracts.slashing,
    abi: fx.c.slashing.abi,
    eventName: "AccusersPenalized",
    args: { slashId },
    fromBlock: 0n,
  });
  return { epoch, leaf, attested, penalized, checkers: nodes.map((n) => n.checker.address) };
}

describe("who an overturned slash penalizes (issue 14)", () => {
  it("a provider unavailable in the accused epoch, available at the re-check: overturned, no accuser jailed", async () => {
    const { epoch, leaf, attested, penalized, checkers } = await contestAfter("unavailable");
    // Its honest committee timed out (nothing to dial) and failed it; none of them accused it.
    expect(attested.size).toBeGreaterThanOrEqual(3);
    for (const result of attested.values()) expect(result).toBe(CheckResult.TIMEOUT);
    expect(leaf).toMatchObject({ verdict: Verdict.FAIL, failures: attested.size, accusers: [] });
    // Nobody penalized: no AccusersPenalized, nobody jailed, no license's reward of the epoch forfeited.
    expect(penalized).toEqual([]);
    for (const c of checkers) {
      expect(await fx.c.registry.read.jailOf([c])).toEqual([0n, 0n]);
      expect(await fx.c.slashing.read.isPenalized([c, epoch])).toBe(false);
    }
  }, 180_000);

  it("a provider that sent malformed answers in the accused epoch: overturned, its accusers jailed", async () => {
    const { epoch, leaf, attested, penalized, checkers } = await contestAfter("garbage");
    const accusers = [...attested].filter(([, r]) => r === CheckResult.FAIL).map(([c]) => c);
    expect(accusers.length).toBeGreaterThanOrEqual(3);
    expect([...leaf.accusers].map((a) => getAddress(a)).sort()).toEqual([...accusers].sort());
    expect(penalized).toHaveLength(1);
    expect([...(penalized[0]?.args.accusers ?? [])].map((a) => getAddress(a)).sort()).toEqual(
      [...accusers].sort(),
    );
    for (const c of checkers) {
      const accuser = accusers.includes(c);
      expect((await fx.c.registry.read.jailOf([c]))[1] > 0n, c).toBe(accuser);
      expect(await fx.c.slashing.read.isPenalized([c, epoch]), c).toBe(accuser);
    }
  }, 180_000);
});
