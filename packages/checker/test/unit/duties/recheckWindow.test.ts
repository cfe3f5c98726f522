import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SlashStatus } from "@checkernet/contracts";
import {
  type RecheckError,
  RecheckErrorCode,
  type RecheckResult,
  type RecheckRules,
  recheckResultSigningRoot,
  recheckTimeMessage,
  recheckVerdict,
  type SignedRecheckResult,
} from "@checkernet/protocol/recheck";
import { CheckResult, Verdict } from "@checkernet/protocol/types";
import { createLogger } from "@checkernet/runtime";
import { CHALLENGE_PROTOCOL } from "@checkernet/wire";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { bytesToHex, getAddress, keccak256 } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectChain, mined, type TestChain } from "../../../../contracts/test/helpers/chain.ts";
import {
  type Checker,
  contestSlash,
  deployFixture,
  type Fixture,
  failLeaf,
  fundContestBonds,
  goToEpoch,
  publishEpoch,
  setupCheckers,
  setupProvider,
  TOKEN,
} from "../../../../contracts/test/helpers/fixture.ts";
import type { RecheckState } from "../../../src/chain/actions/getRecheckState.ts";
import type { ChainDirectory } from "../../../src/chain/chainDirectory.ts";
import { CheckerDb } from "../../../src/db/checkerDb.ts";
import type { CheckerHost } from "../../../src/network/host.ts";
import { EquivocationBook } from "../../../src/validation/equivocations.ts";
import { type ProviderRecord, StaticProviderDirectory } from "../../../src/validation/providerDirectory.ts";
import { chainDirectory, deploymentClock } from "../../utils/chain.ts";
import { startChallengeServer } from "../../utils/challengeServer.ts";
import { bls, makeAttestation, signAttestation } from "../../utils/fixtures.ts";
import { introduceAll, loopbackHost, stopHosts } from "../../utils/hosts.ts";
import { type RecheckMember, recheckMember, runOwnRecheck } from "../../utils/recheckMembers.ts";
import { SMALL_CHALLENGE_PARAMS } from "../../utils/smallChallenges.ts";

/**
 * Issues 12 and 14: the re-check's per-window-epoch rule live on the network. Each member's signed result
 * carries its time signature (which draws its run epoch); the leader and every co-signer verify it and count
 * by run epoch; a result from before its run epoch is refused; a known equivocator leads no re-check.
 * Real: Hardhat EDR (a contested slash with a 3-epoch window), libp2p over loopback TCP between six
 * members and a provider, BLS keys, level dbs, challenge runs.
 */
const PARAMS = SMALL_CHALLENGE_PARAMS;
const silent = createLogger({ level: "silent", pretty: false });
const WINDOW = 3n;
const MEMBERS = 6;

let chain: TestChain;
let fx: Fixture;
let checkers: Checker[];
let directory: ChainDirectory;
let providerHost: CheckerHost;
let provider: ProviderRecord;
let slashId: bigint;
let book: EquivocationBook;
/** The wall clock every node reads: moved by the test through the window's epochs. */
let nowMs = 0;
const hosts: CheckerHost[] = [];
const dbs: CheckerDb[] = [];

type Member = RecheckMember;
let members: Member[];
/** Rules of a six-member network: the per-epoch threshold is set by the test once the run epochs are known. */
const rules: RecheckRules = { minResults: 3, failureQuorumBps: 6_666, minEpochFailures: 2, epochWindow: 3 };

beforeAll(async () => {
  chain = await connectChain();
  fx = await deployFixture(chain, {
    recheckWindowEpochs: WINDOW,
    recheckDeadlineEpochs: 5n,
    genesisSeed: `0x${"3c".repeat(32)}`,
  });
  checkers = await setupCheckers(fx, MEMBERS, 1);
  const keys = [];
  for (const c of checkers) {
    const key = await generateKeyPair("Ed25519");
    const peer = peerIdFromPrivateKey(key);
    await mined(chain, fx.as(c.wallet).registry.write.updatePeerId([bytesToHex(peer.toMultihash().bytes)]));
    keys.push(key);
  }
  const onChainProvider = await setupProvider(fx, chain.wallets[10]!);
  await fundContestBonds(fx, onChainProvider, 100n * TOKEN);
  await goToEpoch(fx, 1n);
  // The accusers' FAIL leaf of epoch 1 lands; the provider contests it: a 3-epoch re-check window opens.
  const leaf = failLeaf(
    onChainProvider.address,
    checkers.slice(0, 3).map((c) => c.address),
  );
  const published = await publishEpoch(fx, 1n, { results: [leaf] });
  slashId = await contestSlash(fx, onChainProvider, leaf, published);
  directory = await chainDirectory(chain, fx, silent);

  providerHost = await loopbackHost();
  hosts.push(providerHost);
  provider = {
    address: onChainProvider.address,
    peerId: providerHost.peerId.toString(),
    multiaddrs: providerHost.getMultiaddrs().map(String),
    classId: 1,
    region: 0,
    vramBytes: 4096,
    vramSalt: keccak256("0x03"),
  };
  const clock = deploymentClock(fx, () => nowMs);
  const blsBackend = await bls();
  const bookDb = await CheckerDb.open({ dataDir: mkdtempSync(join(tmpdir(), "checker-recheck-book-")) });
  dbs.push(bookDb);
  book = new EquivocationBook({
    db: bookDb,
    keys: directory,
    bls: blsBackend,
    domain: fx.domain,
    clock,
    logger: silent,
  });
  members = [];
  for (const [i, checker] of checkers.entries()) {
    const host = await loopbackHost({ privateKey: keys[i]! });
    hosts.push(host);
    const db = await CheckerDb.open({ dataDir: mkdtempSync(join(tmpdir(), "checker-recheck-window-")) });
    dbs.push(db);
    members.push(
      await recheckMember(fx, {
        checker,
        host,
        db,
        bls: blsBackend,
        clock,
        keys: directory,
        providers: new StaticProviderDirectory([provider]),
        params: PARAMS,
        rules,
        logger: silent.child({ member: i }),
        // Every node holds the same evidence (it is gossiped): one book stands for theirs.
        equivocations: book,
      }),
    );
  }
  await introduceAll(hosts.slice(1));
}, 120_000);

afterAll(async () => {
  await stopHosts(hosts);
  await Promise.all(dbs.map((d) => d.close()));
});

/** Moves the chain and the nodes' clock into `epoch`, `beforePublishMs` before its publish phase. */
async function enterEpoch(epoch: bigint, beforePublishMs = 1_000): Promise<RecheckState> {
  if ((await fx.c.reports.read.currentEpoch()) < epoch) await goToEpoch(fx, epoch);
  nowMs = deploymentClock(fx).bounds(epoch).publishStartMs - beforePublishMs;
  await directory.refresh();
  await directory.ensureEpoch(epoch);
  return members[0]!.duty.state(slashId);
}

/** A result signed by `m` (its own key), with `over` applied before it signs. */
async function signedBy(
  m: Member,
  state: RecheckState,
  over: Partial<RecheckResult> = {},
): Promise<SignedRecheckResult> {
  const b = await bls();
  const timeSignature = bytesToHex(
    b.sign(
      m.checker.key.secretKey,
      recheckTimeMessage(state.domainSeparator, fx.deployment.contracts.slashing, slashId),
    ),
  );
  const result: RecheckResult = {
    slashId,
    provider: state.provider,
    recheckEpoch: state.recheckEpoch,
    checker: m.checker.address,
    kind: 0,
    result: CheckResult.FAIL,
    latencyP50Us: 1_000,
    transcriptHash: keccak256("0x01"),
    runEpoch: m.duty.runEpochOf(state),
    timeSignature,
    ...over,
  };
  return {
    result,
    signature: bytesToHex(b.sign(m.checker.key.secretKey, recheckResultSigningRoot(result, fx.domain))),
  };
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as RecheckError).code;
  }
  return undefined;
}

describe("re-check run epochs on the network (EDR, libp2p, BLS)", () => {
  let first: RecheckState;
  let byEpoch: Map<bigint, Member[]>;
  let cheated: bigint;
  /** The operator ranked first, barred as an equivocator by the third test. */
  let thief: Member;

  it("a member refuses to test before its run epoch, and a result from before its run epoch is refused", async () => {
    first = await enterEpoch((await fx.c.slashing.read.slashOf([slashId])).recheckEpoch);
    expect(first.status).toBe(SlashStatus.Contested);
    expect(first.windowEpochs).toBe(WINDOW);
    const onCommittee = members.filter((m) => first.committee.includes(m.checker.address));
    expect(onCommittee.length).toBe(MEMBERS);
    byEpoch = new Map();
    for (const m of members) {
      const e = m.duty.runEpochOf(first);
      byEpoch.set(e, [...(byEpoch.get(e) ?? []), m]);
    }
    const later = members.find((m) => m.duty.runEpochOf(first) > first.recheckEpoch);
    expect(later, "a member whose run epoch is after the window's first").toBeDefined();
    const witness = members.find((m) => m !== later)!;

    // The member itself: no run, nothing signed, before its epoch.
    await expect(later!.duty.ownResult(first)).rejects.toThrow(/RECHECK_DUTY_ERROR_EARLY_RESULT/);
    // A result it signed early anyway (a member that tests ahead of its epoch): refused by the others.
    const early = await signedBy(later!, first);
    expect(codeOf(() => witness.duty.verifyResults(first, [early]))).toBe("RECHECK_DUTY_ERROR_EARLY_RESULT");
  }, 60_000);

  it("a forged or mismatched time signature is refused by the leader's and the co-signers' check", async () => {
    const last = members.find((m) => m.duty.runEpochOf(first) === first.recheckEpoch) ?? members[0]!;
    const other = members.find((m) => m !== last)!;
    const state = { ...first, currentEpoch: first.recheckEpoch + WINDOW - 1n };
    const verify = (s: SignedRecheckResult) => codeOf(() => other.duty.verifyResults(state, [s]));
    const honest = await signedBy(last, state);
    expect(verify(honest)).toBeUndefined();
    // Another member's time signature (valid BLS, wrong key), the result signed by its member over it.
    const theirs = await signedBy(other, state);
    const forged = await signedBy(last, state, {
      timeSignature: theirs.result.timeSignature,
      runEpoch: theirs.result.runEpoch,
    });
    expect(verify(forged)).toBe(RecheckErrorCode.INVALID_TIME_SIGNATURE);
    // Its own time signature, another run epoch claimed (to be counted in the cheated epoch).
    const shifted = first.recheckEpoch + ((honest.result.runEpoch - first.recheckEpoch + 1n) % WINDOW);
    const mismatched = await signedBy(last, state, { runEpoch: shifted });
    expect(verify(mismatched)).toBe(RecheckErrorCode.RUN_EPOCH_MISMATCH);
    // The result's own signature over another time signature: bound under it.
    const swapped = { ...honest, result: { ...honest.result, timeSignature: theirs.result.timeSignature } };
    expect([RecheckErrorCode.RUN_EPOCH_MISMATCH, RecheckErrorCode.INVALID_SIGNATURE]).toContain(
      verify(swapped),
    );
    const resigned = { ...honest, signature: theirs.signature };
    expect(verify(resigned)).toBe(RecheckErrorCode.INVALID_SIGNATURE);
    // In a batch with valid ones, the forged result is still named.
    expect(codeOf(() => other.duty.verifyResults(state, [theirs, forged]))).toBe(
      RecheckErrorCode.INVALID_TIME_SIGNATURE,
    );
  }, 60_000);

  it("a known equivocator is not ranked as re-check leader; the next operator leads", async () => {
    const before = members[0]!.duty.leaders(first);
    thief = members.find((m) => m.checker.address === before[0])!;
    expect(thief).toBeDefined();
    // The thief's key signs two conflicting attestations in the re-check epoch: evidence.
    const epoch = first.currentEpoch;
    const seed = await fx.c.reports.read.seedOf([epoch]);
    const signer = { ...thief.checker.key, address: thief.checker.address, licenses: 1 };
    const a = makeAttestation(thief.checker.address, provider.address, epoch, { result: CheckResult.PASS });
    const b = makeAttestation(thief.checker.address, provider.address, epoch, { result: CheckResult.FAIL });
    await book.onConflict(
      await signAttestation(signer, a, seed, fx.domain),
      await signAttestation(signer, b, seed, fx.domain),
    );
    expect(book.barredFromLeading(epoch).has(thief.checker.address.toLowerCase())).toBe(true);
    const after = members[0]!.duty.leaders(first);
    expect(after).not.toContain(thief.checker.address);
    expect(after).toEqual(before.filter((o) => o !== thief.checker.address));
    // Still barred in the window's last epoch, when the leader collects.
    const lastEpoch = { ...first, currentEpoch: first.recheckEpoch + WINDOW - 1n };
    expect(thief.duty.leaders(lastEpoch)[0]).toBe(before[1]);
  }, 60_000);

  it("a provider that cheats in one epoch of the window only is upheld through the leader's and co-signers' path", async () => {
    // The cheated epoch: the one with the most members testing, as long as they hold no more than two thirds
    // of the seats (the two-thirds rule alone would catch it otherwise).
    const seats = (ms: Member[]) =>
      first.committee.filter((o) => ms.some((m) => m.checker.address === o)).length;
    const candidates = [...byEpoch].filter(
      ([, ms]) => ms.length >= 2 && seats(ms) * 10_000 <= rules.failureQuorumBps * first.committee.length,
    );
    candidates.sort((x, y) => y[1].length - x[1].length);
    expect(candidates.length, "an epoch with ≥ 2 members and ≤ 2/3 of the seats").toBeGreaterThan(0);
    cheated = candidates[0]![0];
    rules.minEpochFailures = candidates[0]![1].length;

    // The provider serves honestly, except in the cheated epoch; each member tests in its own epoch.
    const results: SignedRecheckResult[] = [];
    for (let e = first.recheckEpoch; e < first.recheckEpoch + WINDOW; e++) {
      const state = await enterEpoch(e);
      await providerHost.unhandle(CHALLENGE_PROTOCOL).catch(() => undefined);
      await startChallengeServer(providerHost, e === cheated ? "garbage" : "honest");
      results.push(...(await Promise.all((byEpoch.get(e) ?? []).map((m) => runOwnRecheck(m, state)))));
    }
    // Every run of the cheated epoch fails (an honest run elsewhere may fail on a busy machine: no matter).
    for (const s of results.filter((r) => r.result.runEpoch === cheated))
      expect(s.result.result).not.toBe(CheckResult.PASS);
    // The two-thirds rule alone clears the provider: only the run epochs catch it.
    expect(recheckVerdict(results, first.committee, rules).verdict).toBe(Verdict.PASS);

    // The window's last epoch, past the collection delay: the first unbarred operator leads.
    const last = first.recheckEpoch + WINDOW - 1n;
    expect(await fx.c.reports.read.currentEpoch()).toBe(last);
    nowMs = deploymentClock(fx).bounds(last).publishStartMs + 200;
    const leaderAddress = members[0]!.duty.leaders({ ...first, currentEpoch: last })[0]!;
    const leader = members.find((m) => m.checker.address === getAddress(leaderAddress))!;
    expect(leader).not.toBe(thief);
    // The barred operator, first by seat, does not lead when its turn would come: nothing is submitted.
    await thief.duty.poll();
    expect((await thief.duty.record(slashId))?.status).toBe("member");
    expect((await fx.c.slashing.read.slashOf([slashId])).status).toBe(SlashStatus.Contested);
    await leader.duty.poll();
    const record = await leader.duty.record(slashId);
    expect(record?.status, record?.error).toBe("submitted");
    expect(record?.verdict).toBe(Verdict.FAIL);
    const slash = await fx.c.slashing.read.slashOf([slashId]);
    expect(slash.status).toBe(SlashStatus.Executed);
    expect(await fx.c.slashing.read.isOverturned([slashId])).toBe(false);
  }, 120_000);
});
