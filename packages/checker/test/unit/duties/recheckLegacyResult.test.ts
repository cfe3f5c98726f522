import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type RecheckResult,
  recheckResultSigningRoot,
  type SignedRecheckResult,
  signedRecheckResultCodec,
} from "@checkernet/protocol/recheck";
import {
  type LegacyRecheckResult,
  legacyRecheckResultSigningRoot,
  legacySignedRecheckResultCodec,
} from "@checkernet/protocol/recheckLegacy";
import { ChallengeKind, CheckResult } from "@checkernet/protocol/types";
import { createLogger } from "@checkernet/runtime";
import { Level } from "level";
import { bytesToHex, type Hex, hexToBytes, keccak256 } from "viem";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { connectChain } from "../../../../contracts/test/helpers/chain.ts";
import {
  contestSlash,
  deployFixture,
  failLeaf,
  fundContestBonds,
  goToEpoch,
  publishEpoch,
  setupCheckers,
  setupProvider,
  TOKEN,
} from "../../../../contracts/test/helpers/fixture.ts";
import type { RecheckState } from "../../../src/chain/actions/getRecheckState.ts";
import { CheckerDb } from "../../../src/db/checkerDb.ts";
import { CorruptRecordError } from "../../../src/db/errors.ts";
import { decodeStoredRecheckResult } from "../../../src/db/recheckRecords.ts";
import { RecheckDuty } from "../../../src/duties/recheckDuty.ts";
import type { RecheckComponents } from "../../../src/duties/recheckTypes.ts";
import { StaticProviderDirectory } from "../../../src/validation/providerDirectory.ts";
import { chainDirectory, deploymentClock } from "../../utils/chain.ts";
import { bls, DOMAIN, makeChecker, randomAddress, type TestChecker } from "../../utils/fixtures.ts";

/**
 * A node upgraded to /checkernet/recheck/2.0.0 in the middle of a contest finds its own re-check result in its
 * level db in the 1.0.0 encoding (no run epoch, no time signature). It must neither crash on it, nor lose it,
 * nor sign a second result: the record stays as it was signed, the duty says once, clearly, that it is kept and
 * not served, and a 2.0.0 record next to it reads as before. Real: a level db written with the 1.0.0 layout,
 * then opened by CheckerDb; BLS signatures.
 */

/**
 * What a 1.0.0 node signed and stored, built with the frozen 1.0.0 codec and signing root of packages/protocol
 * (recheckLegacy.ts): protocol/test/recheckLegacy.test.ts pins both to the bytes the 1.0.0 code produced, so
 * this test reads what 1.0.0 nodes really wrote without a second copy of the layout.
 */
async function v1SignedBytes(member: TestChecker, result: LegacyRecheckResult): Promise<Hex> {
  const signature = bytesToHex(
    (await bls()).sign(member.secretKey, legacyRecheckResultSigningRoot(result, DOMAIN)),
  );
  return bytesToHex(legacySignedRecheckResultCodec.encode({ result, signature }));
}

const LEGACY_SLASH = 7n;
const CURRENT_SLASH = 8n;
const dataDir = mkdtempSync(join(tmpdir(), "checker-recheck-legacy-"));
const location = join(dataDir, "db");
let member: TestChecker;
let legacyBytes: Hex;
let legacyResult: LegacyRecheckResult;
let current: SignedRecheckResult;

/** The meta sublevel as CheckerDb lays it out, opened straight on the level db (as a 1.0.0 node wrote it). */
async function withRawMeta<T>(fn: (meta: ReturnType<typeof metaOf>) => Promise<T>): Promise<T> {
  const raw = new Level<string, Uint8Array>(location, { keyEncoding: "utf8", valueEncoding: "view" });
  await raw.open();
  try {
    return await fn(metaOf(raw));
  } finally {
    await raw.close();
  }
}
function metaOf(raw: Level<string, Uint8Array>) {
  return raw.sublevel<string, Uint8Array>("meta", { keyEncoding: "utf8", valueEncoding: "view" });
}
const text = (record: object) => new TextEncoder().encode(JSON.stringify(record));

beforeAll(async () => {
  member = await makeChecker();
  legacyResult = {
    slashId: LEGACY_SLASH,
    provider: randomAddress(),
    recheckEpoch: 12n,
    checker: member.address,
    kind: ChallengeKind.LATENCY,
    result: CheckResult.FAIL,
    latencyP50Us: 4_321,
    transcriptHash: keccak256("0x0701"),
  };
  legacyBytes = await v1SignedBytes(member, legacyResult);
  const result: RecheckResult = {
    ...legacyResult,
    slashId: CURRENT_SLASH,
    result: CheckResult.PASS,
    runEpoch: 13n,
    timeSignature: bytesToHex((await bls()).sign(member.secretKey, hexToBytes(keccak256("0x08")))),
  };
  current = {
    result,
    signature: bytesToHex((await bls()).sign(member.secretKey, recheckResultSigningRoot(result, DOMAIN))),
  };
  await withRawMeta(async (meta) => {
    await meta.put(`recheck:${LEGACY_SLASH}`, text({ slashId: "7", status: "member", result: legacyBytes }));
    await meta.put(
      `recheck:${CURRENT_SLASH}`,
      text({ slashId: "8", status: "member", result: bytesToHex(signedRecheckResultCodec.encode(current)) }),
    );
  });
});

describe("re-check results stored by a 1.0.0 node, read by 2.0.0", () => {
  it("the stored bytes read as a 1.0.0 result with every field; bytes of neither form are a corrupt record", () => {
    expect(legacyBytes.length).toBe(2 + 2 * 448);
    const stored = decodeStoredRecheckResult(LEGACY_SLASH, legacyBytes);
    expect(stored.format).toBe("1.0.0");
    expect(stored.format === "1.0.0" && stored.result).toEqual(legacyResult);
    const now = decodeStoredRecheckResult(
      CURRENT_SLASH,
      bytesToHex(signedRecheckResultCodec.encode(current)),
    );
    expect(now).toEqual({ format: "2.0.0", signed: current });
    expect(() => decodeStoredRecheckResult(9n, `${legacyBytes}00`)).toThrow(CorruptRecordError);
  });

  describe("the re-check duty over that level db", () => {
    let db: CheckerDb;
    let duty: RecheckDuty;
    const logger = createLogger({ level: "silent", pretty: false });
    const warn = vi.spyOn(logger, "warn");

    beforeAll(async () => {
      db = await CheckerDb.open({ dataDir });
      // The duty reads its own result from the db and the provider list; what else it holds (the chain, the
      // network) a stored result never reaches: reaching it here would throw on undefined.
      const components: Partial<RecheckComponents> = {
        db,
        logger,
        bls: await bls(),
        providers: new StaticProviderDirectory([]),
      };
      duty = new RecheckDuty(components as RecheckComponents, {
        operator: member.address,
        secretKey: member.secretKey,
        domain: DOMAIN,
        params: {} as never,
        addresses: {
          slashing: randomAddress(),
          epochReports: randomAddress(),
          checkerRegistry: randomAddress(),
        },
      });
    });
    afterAll(async () => {
      await db.close();
    });

    it("serves no 1.0.0 result, runs no second one, and says so once", async () => {
      await expect(duty.resultFor(LEGACY_SLASH)).rejects.toThrow(/RECHECK_DUTY_ERROR_LEGACY_RESULT/);
      // ownResult finds the stored one first: no run (the provider is not even in the directory) and no
      // second signature.
      const state = { slashId: LEGACY_SLASH } as RecheckState;
      await expect(duty.ownResult(state)).rejects.toThrow(/RECHECK_DUTY_ERROR_LEGACY_RESULT/);
      await expect(duty.resultFor(LEGACY_SLASH)).rejects.toThrow(/RECHECK_DUTY_ERROR_LEGACY_RESULT/);
      const lines = warn.mock.calls.filter(([, msg]) => String(msg).includes("1.0.0 format"));
      expect(lines).toHaveLength(1);
      expect(lines[0]![0]).toMatchObject({
        slashId: "7",
        result: CheckResult.FAIL,
        code: "RECHECK_DUTY_ERROR_LEGACY_RESULT",
      });
      expect(String(lines[0]![1])).toMatch(/kept, not served over \/checkernet\/recheck\/2\.0\.0/);
    });

    it("a 2.0.0 result next to it is served as before", async () => {
      expect(await duty.resultFor(CURRENT_SLASH)).toEqual(current);
    });

    it("nothing is lost: the record reads back, and stays on disk byte for byte as the 1.0.0 node wrote it", async () => {
      expect((await duty.record(LEGACY_SLASH))?.result).toBe(legacyBytes);
      await db.close();
      const onDisk = await withRawMeta((meta) => meta.get(`recheck:${LEGACY_SLASH}`));
      expect(new TextDecoder().decode(onDisk)).toBe(
        JSON.stringify({ slashId: "7", status: "member", result: legacyBytes }),
      );
      db = await CheckerDb.open({ dataDir });
    });
  });
});

describe("a member upgraded mid-contest, on a contested slash (EDR)", () => {
  it("keeps its 1.0.0 result and still leads: no step fails on it, no second result is signed", async () => {
    const chain = await connectChain();
    const fx = await deployFixture(chain, { recheckWindowEpochs: 1n, genesisSeed: `0x${"7e".repeat(32)}` });
    const checkers = await setupCheckers(fx, 3, 1);
    const accused = await setupProvider(fx, chain.wallets[10]!);
    await fundContestBonds(fx, accused, 100n * TOKEN);
    await goToEpoch(fx, 1n);
    const leaf = failLeaf(
      accused.address,
      checkers.map((c) => c.address),
    );
    const slashId = await contestSlash(fx, accused, leaf, await publishEpoch(fx, 1n, { results: [leaf] }));
    const { recheckEpoch } = await fx.c.slashing.read.slashOf([slashId]);
    await goToEpoch(fx, recheckEpoch);
    const committee = await fx.c.slashing.read.recheckCommittee([slashId]);
    const upgraded = checkers.find((c) => committee.includes(c.address))!;
    expect(upgraded, "a checker on the re-check committee").toBeDefined();

    // Its db, as its 1.0.0 node left it: the result it signed for this slash in the 1.0.0 layout.
    const dir = mkdtempSync(join(tmpdir(), "checker-recheck-legacy-edr-"));
    const bytes = await v1SignedBytes(
      { ...upgraded.key, address: upgraded.address, licenses: 1 },
      { ...legacyResult, slashId, provider: accused.address, recheckEpoch, checker: upgraded.address },
    );
    const raw = new Level<string, Uint8Array>(join(dir, "db"), {
      keyEncoding: "utf8",
      valueEncoding: "view",
    });
    await metaOf(raw).put(
      `recheck:${slashId}`,
      text({ slashId: String(slashId), status: "member", result: bytes }),
    );
    await raw.close();

    const db = await CheckerDb.open({ dataDir: dir });
    const logger = createLogger({ level: "silent", pretty: false });
    const warn = vi.spyOn(logger, "warn");
    const info = vi.spyOn(logger, "info");
    // Well into the re-check epoch's checking phase: past every rank's turn to lead (1 s apart).
    const clock = deploymentClock(fx, () => deploymentClock(fx).bounds(recheckEpoch).publishStartMs - 1_000);
    const noPeers = () => Promise.reject(new Error("no other member here"));
    const components: Partial<RecheckComponents> = {
      clock,
      keys: await chainDirectory(chain, fx, logger),
      providers: new StaticProviderDirectory([]),
      db,
      bls: await bls(),
      logger,
      publicClient: chain.publicClient,
      walletClient: upgraded.wallet,
      requestResult: noPeers,
      requestCosign: noPeers,
    };
    const duty = new RecheckDuty(components as RecheckComponents, {
      operator: upgraded.address,
      secretKey: upgraded.key.secretKey,
      domain: fx.domain,
      params: {} as never,
      addresses: {
        slashing: fx.deployment.contracts.slashing,
        epochReports: fx.deployment.contracts.epochReports,
        checkerRegistry: fx.deployment.contracts.checkerRegistry,
      },
      collectDelayMs: 0,
      backupTimeoutMs: 1_000,
    });
    try {
      await duty.poll();
      await duty.poll();
      const messages = (spy: typeof warn) => spy.mock.calls.map(([, msg]) => String(msg));
      expect(messages(warn).filter((m) => m.includes("step failed"))).toEqual([]);
      expect(messages(warn).filter((m) => m.includes("1.0.0 format"))).toHaveLength(1);
      expect(messages(info)).toContain("leading the re-check");
      // Its own result is left out of what it collects (the others do not answer here): nothing to count.
      expect(messages(warn)).toContain("no re-check result");
      const record = await duty.record(slashId);
      expect(record?.result).toBe(bytes);
    } finally {
      await db.close();
    }
  }, 60_000);
});
