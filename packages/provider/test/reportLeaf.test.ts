import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CheckerDb,
  type CheckerHost,
  handleReports,
  type ReportRecord,
  writeReportRecord,
} from "@checkernet/checker";
import type { ResultLeaf, RewardLeaf } from "@checkernet/protocol/merkle/leaves";
import { verifyResultProof } from "@checkernet/protocol/merkle/trees";
import { Verdict } from "@checkernet/protocol/types";
import { createLogger } from "@checkernet/runtime";
import type { Multiaddr } from "@multiformats/multiaddr";
import { type Address, getAddress, keccak256, toHex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { afterEach, describe, expect, it } from "vitest";
import { loopbackHost } from "../../checker/test/utils/hosts.ts";
import { submittedReport } from "../../checker/test/utils/reports.ts";
import { ChainError, ChainErrorCode } from "../src/chain/errors.ts";
import { fetchResultLeaf, parseCheckerAddress } from "../src/evidence/reportLeaf.ts";

const silent = createLogger({ level: "silent", pretty: false });
const hosts: CheckerHost[] = [];
const dbs: CheckerDb[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
  await Promise.all(dbs.splice(0).map((d) => d.close()));
});

const address = (i: number): Address => privateKeyToAddress(keccak256(toHex(`account-${i}`)));
const ME = address(1);
const EPOCH = 9n;

/** A report of EPOCH failing ME (accused by two checkers) and passing another provider. */
function report(scoreOfOther = 9_000): ReportRecord {
  const results: ResultLeaf[] = [
    {
      provider: ME,
      verdict: Verdict.FAIL,
      scoreBps: 0,
      medianLatencyUs: 0,
      attestations: 3,
      failures: 3,
      slashAmount: 10n ** 20n,
      accusers: [address(7), address(8)],
    },
    {
      provider: address(2),
      verdict: Verdict.PASS,
      scoreBps: scoreOfOther,
      medianLatencyUs: 1_500,
      attestations: 3,
      failures: 0,
      slashAmount: 0n,
      accusers: [],
    },
  ] as ResultLeaf[];
  const rewards = [{ beneficiary: 0, id: 1n, amount: 10n }] as RewardLeaf[];
  return submittedReport({
    epoch: EPOCH,
    seed: keccak256(toHex("seed")),
    results,
    rewards,
    totalRewards: 10n,
    attestationCount: 6,
  });
}

/** A checker host serving its level database's reports over /checkernet/reports/1.0.0, as a node does. */
async function checker(held?: ReportRecord): Promise<Multiaddr> {
  const h = await loopbackHost({ start: true });
  hosts.push(h);
  const db = await CheckerDb.open({ dataDir: mkdtempSync(join(tmpdir(), "provider-leaf-")) });
  dbs.push(db);
  if (held !== undefined) await writeReportRecord(db, held);
  await handleReports(h, { db, logger: silent });
  return h.getMultiaddrs()[0] as Multiaddr;
}

async function asker(): Promise<CheckerHost> {
  const h = await loopbackHost({ listen: [], start: true });
  hosts.push(h);
  return h;
}

const landed = report();
const onChain = async (e: bigint) =>
  e === EPOCH ? { resultsRoot: landed.header.resultsRoot, rewardsRoot: landed.header.rewardsRoot } : null;

describe("fetchResultLeaf (provider contest --from-checker)", () => {
  it("skips checkers without the report or with one the chain does not anchor, and proves the leaf", async () => {
    const none = await checker();
    const forged = await checker(report(1)); // another report of the epoch: its roots are not the chain's
    const honest = await checker(landed);
    const got = await fetchResultLeaf(
      { host: await asker(), checkers: [none, forged, honest], roots: onChain },
      EPOCH,
      ME,
    );
    expect(got.from).toBe(honest.toString());
    expect(getAddress(got.leaf.provider)).toBe(ME);
    expect(got.leaf.verdict).toBe(Verdict.FAIL);
    expect(got.leaf.accusers).toEqual([address(7), address(8)]);
    expect(verifyResultProof(landed.header.resultsRoot, got.leaf, got.proof)).toBe(true);
  });

  it("names every checker's reason when none serves the landed report", async () => {
    const none = await checker();
    const forged = await checker(report(1));
    const err = (await fetchResultLeaf(
      { host: await asker(), checkers: [none, forged], roots: onChain },
      EPOCH,
      ME,
    ).catch((e: unknown) => e)) as ChainError;
    expect(err).toBeInstanceOf(ChainError);
    expect(err.code).toBe(ChainErrorCode.NO_LEAF_SOURCE);
    // One line, naming the flag and what else to try.
    expect(err.message).not.toContain("\n");
    expect(err.message).toMatch(/^--from-checker: .*--leaf-file/);
    expect(err.message).toContain(none.toString());
    expect(err.message).toContain("REPORTS_ERROR_NOT_FOUND");
    expect(err.message).toContain(forged.toString());
    expect(err.message).toContain("differs from the chain's");
  });

  it("says when there is nothing to contest: no report landed, or no leaf for this provider", async () => {
    const honest = await checker(landed);
    const host = await asker();
    const noReport = (await fetchResultLeaf({ host, checkers: [honest], roots: onChain }, 10n, ME).catch(
      (e: unknown) => e,
    )) as ChainError;
    expect([noReport.code, noReport.message]).toEqual([
      ChainErrorCode.NO_PENDING_SLASH,
      expect.stringContaining("no report landed for epoch 10"),
    ]);
    const stranger = (await fetchResultLeaf(
      { host, checkers: [honest], roots: onChain },
      EPOCH,
      address(3),
    ).catch((e: unknown) => e)) as ChainError;
    expect([stranger.code, stranger.message]).toEqual([
      ChainErrorCode.NO_PENDING_SLASH,
      expect.stringContaining("has no leaf for"),
    ]);
  });

  it("refuses a --from-checker that is not a multiaddr with a peer id", () => {
    expect(() => parseCheckerAddress("127.0.0.1:4001")).toThrow(/expected a multiaddr/);
    expect(() => parseCheckerAddress("/ip4/127.0.0.1/tcp/4001")).toThrow(/no \/p2p\/<peer id>/);
    expect(
      parseCheckerAddress(
        "/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq",
      ).toString(),
    ).toContain("/p2p/");
  });
});
