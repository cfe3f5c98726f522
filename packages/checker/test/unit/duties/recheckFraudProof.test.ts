import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SlashStatus } from "@checkernet/contracts";
import { decodeMatmulFraudProof } from "@checkernet/protocol/fraud/matmulFraud";
import { CheckResult, Verdict } from "@checkernet/protocol/types";
import { createLogger } from "@checkernet/runtime";
import { peerIdFromString } from "@libp2p/peer-id";
import { multiaddr } from "@multiformats/multiaddr";
import { type Address, zeroHash } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectChain, type TestChain } from "../../../../contracts/test/helpers/chain.ts";
import { deployFixture, type Fixture } from "../../../../contracts/test/helpers/fixture.ts";
import { EpochClock } from "../../../src/chain/clock.ts";
import { ChallengeClient } from "../../../src/challenges/client.ts";
import { CheckerDb } from "../../../src/db/checkerDb.ts";
import { NO_TRANSCRIPT } from "../../../src/duties/memberCheck.ts";
import { RecheckDuty } from "../../../src/duties/recheckDuty.ts";
import { parseCheckerFaults } from "../../../src/faults/faults.ts";
import { createMetrics } from "../../../src/metrics/index.ts";
import type { CheckerHost } from "../../../src/network/host.ts";
import { StaticKeyDirectory } from "../../../src/validation/keyDirectory.ts";
import {
  type ProviderDirectory,
  type ProviderRecord,
  StaticProviderDirectory,
} from "../../../src/validation/providerDirectory.ts";
import { chainDirectory, registerProvider } from "../../utils/chain.ts";
import { bls, DOMAIN, makeChecker } from "../../utils/fixtures.ts";
import { loopbackHost } from "../../utils/hosts.ts";
import { SMALL_CHALLENGE_PARAMS, wrongProductProvider } from "../../utils/smallChallenges.ts";

/**
 * Issue 11: a re-check run that catches a wrong signed answer builds and stores its fraud proof, as a regular
 * check does, so the fraud-proof duty submits it (docs/protocol/fraud-proofs.md "What is live").
 */
const PARAMS = SMALL_CHALLENGE_PARAMS;
const silent = createLogger({ level: "silent", pretty: false });
const ACCUSED = 3n;
const RECHECK = 6n;
const EPOCH_SECONDS = 60;

let chain: TestChain;
let fx: Fixture;
const hosts: CheckerHost[] = [];
const dbs: CheckerDb[] = [];

beforeAll(async () => {
  chain = await connectChain();
  fx = await deployFixture(chain);
});
afterAll(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  await Promise.all(dbs.map((d) => d.close()));
});

async function newHost(): Promise<CheckerHost> {
  const h = await loopbackHost({ heartbeatIntervalMs: 100 });
  hosts.push(h);
  return h;
}

/** A member of a re-check committee for `cheat` (a MATMUL provider that signs a wrong product). */
async function member(
  cheat: ProviderRecord | undefined,
  faults: string[] = [],
  providers: ProviderDirectory = new StaticProviderDirectory(cheat === undefined ? [] : [cheat]),
) {
  const host = await newHost();
  const who = await makeChecker(1);
  const db = await CheckerDb.open({ dataDir: mkdtempSync(join(tmpdir(), "checker-recheck-fraud-")) });
  dbs.push(db);
  // The wall clock sits a second before the re-check epoch's publish phase: the run's random start is short.
  const probe = new EpochClock({ genesisMs: 0, epochSeconds: EPOCH_SECONDS });
  const bounds = probe.bounds(RECHECK);
  const genesisMs = Date.now() - (bounds.publishStartMs - 1_000);
  const clock = new EpochClock({ genesisMs, epochSeconds: EPOCH_SECONDS });
  const metrics = createMetrics();
  const duty = new RecheckDuty(
    {
      clock,
      keys: new StaticKeyDirectory(),
      providers,
      client: new ChallengeClient({ host, logger: silent, metrics }, { params: PARAMS, checkerRegion: 0 }),
      db,
      bls: await bls(),
      logger: silent,
      publicClient: chain.publicClient,
      requestResult: () => Promise.reject(new Error("no peers here")),
      requestCosign: () => Promise.reject(new Error("no peers here")),
      addPeerAddresses: async (peerId, addrs) => {
        await host.peerStore.merge(peerIdFromString(peerId), { multiaddrs: addrs.map((a) => multiaddr(a)) });
      },
    },
    {
      operator: who.address,
      secretKey: who.secretKey,
      domain: DOMAIN,
      params: PARAMS,
      addresses: {
        slashing: fx.deployment.contracts.slashing,
        epochReports: fx.deployment.contracts.epochReports,
        checkerRegistry: fx.deployment.contracts.checkerRegistry,
      },
      faults: parseCheckerFaults(faults),
    },
  );
  return { who, db, duty };
}

/** The contested slash of `cheat`'s accused epoch, as the chain would show it in the re-check epoch. */
function contested(cheat: { address: Address }) {
  return {
    slashId: 1n,
    provider: cheat.address,
    accusedEpoch: ACCUSED,
    recheckEpoch: RECHECK,
    windowEpochs: 1n,
    resolveDeadline: RECHECK + 4n,
    status: SlashStatus.Contested,
    committee: [],
    quorum: 1,
    currentEpoch: RECHECK,
    domainSeparator: zeroHash,
  };
}

/** A MATMUL provider (host) that signs a wrong product of the accused epoch's workload. */
async function cheatingProvider(): Promise<ProviderRecord> {
  const accusedSeed = await fx.c.reports.read.seedOf([ACCUSED]);
  return wrongProductProvider(await newHost(), { seed: accusedSeed, epoch: ACCUSED }, `0x${"5d".repeat(32)}`);
}

/**
 * A registry view after the accused provider unstaked under the minimum: still registered, in no checking
 * set any more (what ChainDirectory answers then: chainDirectory.test.ts).
 */
class LeftCheckingSet extends StaticProviderDirectory {
  override providers(): readonly ProviderRecord[] {
    return [];
  }
}

describe("RecheckDuty fraud proofs", () => {
  it("a re-check run that catches a wrong signed product stores its fraud proof; a lie-fail run stores none", async () => {
    const cheat = await cheatingProvider();
    const { address } = cheat;
    const state = contested(cheat);

    const honest = await member(cheat);
    const signed = await honest.duty.ownResult(state);
    expect(signed.result.result).toBe(CheckResult.FAIL);
    const stored = await honest.db.listFraudProofs();
    expect(stored).toHaveLength(1);
    expect(stored[0]?.status).toBe("pending");
    // Bound to the run's epoch (the re-check epoch), the provider and this member as the signed checker.
    expect(decodeMatmulFraudProof(stored[0]!.proof)).toMatchObject({
      epoch: RECHECK,
      provider: address,
      checker: honest.who.address,
    });

    // A lying member reports FAIL whatever it measured: nothing it signs is a proof.
    const liar = await member(cheat, [`lie-fail:${address}`]);
    await liar.duty.ownResult(state);
    expect(await liar.db.listFraudProofs()).toEqual([]);
  });

  it("re-checks an accused provider that left the checking set after contesting (issue 14)", async () => {
    const cheat = await cheatingProvider();
    const m = await member(cheat, [], new LeftCheckingSet([cheat]));
    // Looked up in the checking set, every member's run threw and the contest won by default.
    const signed = await m.duty.ownResult(contested(cheat));
    expect(signed.result.result).toBe(CheckResult.FAIL);
  });

  it("fails a provider whose registry entry is unusable (TIMEOUT, no run): the contest is upheld (review3 P1-1)", async () => {
    // A GPU model no checker knows, named at registration: staked, the provider can't change it (review4 H2),
    // so it was as unusable in the accused epoch as it is at the re-check.
    const address = await registerProvider(chain, fx, 0, 0n, { gpuModel: "none", vramMiB: 16 });
    const directory = await chainDirectory(chain, fx, silent);
    const members = [await member(undefined, [], directory), await member(undefined, [], directory)];
    members.push(await member(undefined, [], directory));
    const state = { ...contested({ address }), committee: members.map((m) => m.who.address) };
    // Every member's run threw 'not in the registry view': no result, no re-check report, and the contest
    // won by default (slash dropped, for one bond).
    const results = await Promise.all(members.map((m) => m.duty.ownResult(state)));
    for (const r of results) {
      // TIMEOUT (issue 14): it fails the re-check verdict as FAIL does.
      expect(r.result).toMatchObject({ result: CheckResult.TIMEOUT, transcriptHash: NO_TRANSCRIPT });
    }
    expect(members[0]!.duty.headerOf(state, results)).toMatchObject({
      verdict: Verdict.FAIL,
      failures: 3,
      attestations: 3,
    });
  });
});
