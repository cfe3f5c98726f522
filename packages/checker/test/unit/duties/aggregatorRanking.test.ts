import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadBlsBackend } from "@checkernet/protocol/bls/index";
import { withParams } from "@checkernet/protocol/params";
import { CheckResult, type SignedAttestation } from "@checkernet/protocol/types";
import { createLogger } from "@checkernet/runtime";
import type { Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectChain, type TestChain } from "../../../../contracts/test/helpers/chain.ts";
import {
  type Checker,
  deployFixture,
  type Fixture,
  goToEpoch,
  setupCheckers,
} from "../../../../contracts/test/helpers/fixture.ts";
import type { ChainDirectory } from "../../../src/chain/chainDirectory.ts";
import { CheckerDb } from "../../../src/db/checkerDb.ts";
import type { AggregatorDuty } from "../../../src/duties/aggregatorDuty.ts";
import { EquivocationBook } from "../../../src/validation/equivocations.ts";
import { chainDirectory, deploymentClock } from "../../utils/chain.ts";
import { aggregatorDuty } from "../../utils/duties.ts";
import { makeAttestation, randomAddress, signAttestation } from "../../utils/fixtures.ts";

const silent = createLogger({ level: "silent", pretty: false });
const params = withParams({ committeeSize: 8, aggregatorBackups: 3 });

let chain: TestChain;
let fx: Fixture;
let checkers: Checker[];
let directory: ChainDirectory;
const dbs: CheckerDb[] = [];

beforeAll(async () => {
  chain = await connectChain();
  fx = await deployFixture(chain, { reportCommitteeSize: 16, genesisSeed: `0x${"5a".repeat(32)}` });
  checkers = await setupCheckers(fx, 4, 1);
  await goToEpoch(fx, 1n);
  directory = await chainDirectory(chain, fx, silent);
}, 60_000);

afterAll(async () => {
  await Promise.all(dbs.map((d) => d.close()));
});

async function signed(c: Checker, epoch: bigint, provider: Address, result: CheckResult) {
  const seed = await fx.c.reports.read.seedOf([epoch]);
  const att = makeAttestation(c.address, provider, epoch, { result });
  return signAttestation({ ...c.key, address: c.address, licenses: 1 }, att, seed, fx.domain);
}

/** One attestation per checker for `provider`: what ranking reads (each carries its checker's VRF proof). */
async function epochAttestations(epoch: bigint, provider: Address): Promise<SignedAttestation[]> {
  return Promise.all(checkers.map((c) => signed(c, epoch, provider, CheckResult.PASS)));
}

describe("aggregator ranking: a known equivocator does not lead (Hardhat EDR, real BLS keys, a level db)", () => {
  it("the checker that ranks first is skipped once this node holds evidence against it, in that epoch and the next", async () => {
    const bls = await loadBlsBackend("auto");
    const clock = deploymentClock(fx);
    const db = await CheckerDb.open({ dataDir: mkdtempSync(join(tmpdir(), "checker-rank-")) });
    dbs.push(db);
    const book = new EquivocationBook({ db, keys: directory, bls, domain: fx.domain, clock, logger: silent });
    // The observing node is checker 0; whoever leads, the ranking is the same at every node.
    const duty: AggregatorDuty = aggregatorDuty({
      fx,
      checker: checkers[0]!,
      directory,
      clock,
      db,
      bls,
      logger: silent,
      params,
      equivocations: book,
    });
    const epoch = await fx.c.reports.read.currentEpoch();
    await directory.ensureEpoch(epoch);
    const provider = randomAddress();
    const atts = await epochAttestations(epoch, provider);

    const before = duty.rank(epoch, atts);
    expect(before.candidates).toBe(4);
    const thief = checkers.find((c) => c.address === before.leader)!;
    expect(thief).toBeDefined();

    // The thief's key signs a second, conflicting attestation: a co-sign request shows the pair.
    const held = atts.find((s) => s.attestation.checker === thief.address)!;
    const other = await signed(thief, epoch, provider, CheckResult.FAIL);
    await book.onConflict(held, other);
    expect([...book.equivocators(epoch)]).toEqual([thief.address.toLowerCase()]);

    const after = duty.rank(epoch, atts);
    expect(after.leader).not.toBe(thief.address);
    expect(after.leader).not.toBeNull();
    expect(after.candidates).toBe(3);
    expect(after.barred).toEqual([thief.address]);
    // The backup that was second now leads at once (no backup step lost on a report members would refuse).
    const second = checkers.filter((c) => c !== thief).map((c) => c.address);
    expect(second).toContain(after.leader);

    // The next epoch: the thief's key is still barred from leading (evidence of a recent epoch).
    await goToEpoch(fx, epoch + 1n);
    await directory.refresh();
    await directory.ensureEpoch(epoch + 1n);
    const next = duty.rank(epoch + 1n, await epochAttestations(epoch + 1n, provider));
    expect(next.candidates).toBe(3);
    expect(next.barred).toEqual([thief.address]);
    expect(next.leader).not.toBe(thief.address);
    // The bar covers the evidence's epoch and the 64 after it (the book's memory), not the epochs before.
    expect(book.barredFromLeading(epoch - 1n).size).toBe(0);
    expect(book.barredFromLeading(epoch + 64n).has(thief.address.toLowerCase())).toBe(true);
    expect(book.barredFromLeading(epoch + 65n).size).toBe(0);
  }, 60_000);
});
