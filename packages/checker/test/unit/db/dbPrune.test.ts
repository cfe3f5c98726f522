import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_PARAMS } from "@checkernet/protocol/params";
import { createLogger } from "@checkernet/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { CheckerDb } from "../../../src/db/checkerDb.ts";
import { DbPruneService, retainedEpochs } from "../../../src/services/dbPrune.ts";
import { makeAttestation, makeChecker, randomAddress, signAttestation } from "../../utils/fixtures.ts";

// Review5 L5: the node prunes its level db once an epoch, keeping the epochs whose evidence can still be
// asked for (a FAIL opened, contested or re-checked; the equivocation book's 64 epochs). A real level db.

const silent = createLogger({ level: "silent", pretty: false });
const open: CheckerDb[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((d) => d.close()));
});

const EPOCHS = 70n;
const NO_RUN = { code: "UNUSABLE_REGISTRY_ENTRY", field: "region", message: "unknown region" };

describe("db prune (review5 L5)", () => {
  it("keeps 64 epochs at the defaults: the slash's life (lateness + contest window + re-check deadline + 1) is shorter", () => {
    expect(retainedEpochs(DEFAULT_PARAMS)).toBe(64n);
    expect(
      retainedEpochs({ reportLatenessEpochs: 10, contestWindowEpochs: 40, recheckDeadlineEpochs: 20 }),
    ).toBe(71n);
  });

  it("deletes the epochs before the retention once an epoch, with this node's transcripts; later epochs stay", async () => {
    const db = await CheckerDb.open({ dataDir: mkdtempSync(join(tmpdir(), "checker-prune-")) });
    open.push(db);
    const self = await makeChecker();
    const peer = await makeChecker();
    const provider = randomAddress();
    const transcriptOf = (e: bigint) => new TextEncoder().encode(`transcript of epoch ${e}`);
    for (let e = 1n; e <= EPOCHS; e++) {
      const own = await signAttestation(self, makeAttestation(self.address, provider, e));
      await db.putAttestationWithTranscript(own, transcriptOf(e));
      await db.putAttestations([await signAttestation(peer, makeAttestation(peer.address, provider, e))]);
      await db.putNoRunReason(e, provider, NO_RUN);
    }
    let epoch = EPOCHS;
    const service = new DbPruneService({
      db,
      clock: { currentEpoch: () => epoch, epochSeconds: 900 },
      params: DEFAULT_PARAMS,
      logger: silent,
    });
    // The first prune runs at start: epochs 1-5 go (70 - 64 = 6 is the first kept).
    service.start();
    await service.stop();
    const held = async (e: bigint) => {
      const atts = await db.attestationsOfEpoch(e);
      const own = atts.find((a) => a.attestation.checker === self.address);
      return {
        attestations: atts.length,
        transcript: own === undefined ? undefined : await db.getTranscript(own.attestation.transcriptHash),
        noRun: await db.getNoRunReason(e, provider),
      };
    };
    for (const e of [1n, 5n])
      expect(await held(e)).toEqual({ attestations: 0, transcript: undefined, noRun: undefined });
    for (const e of [6n, 40n, EPOCHS])
      expect(await held(e)).toEqual({ attestations: 2, transcript: transcriptOf(e), noRun: NO_RUN });
    // The transcript of a pruned attestation is gone too (it was served only with the attestation).
    const gone = makeAttestation(self.address, provider, 5n).transcriptHash;
    expect(await db.getTranscript(gone)).toBeUndefined();

    // One epoch later, one more epoch goes; the same epoch again deletes nothing.
    epoch = EPOCHS + 1n;
    expect(await service.pruneOnce()).toBe(2);
    expect(await service.pruneOnce()).toBe(0);
    expect((await held(6n)).attestations).toBe(0);
    expect(await held(7n)).toEqual({ attestations: 2, transcript: transcriptOf(7n), noRun: NO_RUN });
  });
});
