import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { equivocationCodec } from "@checkernet/protocol/equivocation";
import { createLogger } from "@checkernet/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EpochClock } from "../../../src/chain/clock.ts";
import { CheckerDb } from "../../../src/db/checkerDb.ts";
import { createMetrics } from "../../../src/metrics/index.ts";
import { EquivocationBook } from "../../../src/validation/equivocations.ts";
import { GossipAction, type GossipActionError } from "../../../src/validation/errors/gossipValidation.ts";
import { StaticKeyDirectory } from "../../../src/validation/keyDirectory.ts";
import {
  bls,
  DOMAIN,
  makeAttestation,
  makeChecker,
  randomAddress,
  signAttestation,
  type TestChecker,
} from "../../utils/fixtures.ts";

/** Issue 14 on the evidence topic: far-epoch evidence costs score, forged evidence is bounded per peer and IP before BLS. */
const EPOCH = 100n;
const EPOCH_SECONDS = 60;
let db: CheckerDb;
let book: EquivocationBook;
let alice: TestChecker;
const provider = randomAddress();

async function refusal(p: Promise<unknown>): Promise<{ action: GossipAction; code: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as GossipActionError<{ code: string }>;
    return { action: err.action, code: err.type.code };
  }
  throw new Error("accepted");
}

/** Alice's real attestation of the slot with a copy altered under her signature: forged evidence, one pairing to refute. */
async function forged(epoch: bigint, i: number): Promise<Uint8Array> {
  const genuine = await signAttestation(alice, makeAttestation(alice.address, provider, epoch));
  const altered = { ...genuine, attestation: { ...genuine.attestation, latencyP95Us: 3_000 + i } };
  return equivocationCodec.encode({ first: genuine, second: altered });
}

beforeAll(async () => {
  alice = await makeChecker();
  const keys = new StaticKeyDirectory([alice], [provider]);
  db = await CheckerDb.open({ dataDir: mkdtempSync(join(tmpdir(), "checker-evidence-flood-")) });
  const genesisMs = Date.now() - Number(EPOCH - 1n) * EPOCH_SECONDS * 1000 - (EPOCH_SECONDS * 1000) / 2;
  book = new EquivocationBook({
    db,
    keys,
    bls: await bls(),
    domain: DOMAIN,
    clock: new EpochClock({ genesisMs, epochSeconds: EPOCH_SECONDS }),
    logger: createLogger({ level: "silent", pretty: false }),
    metrics: createMetrics(),
  });
});

afterAll(async () => {
  await db?.close();
});

describe("evidence topic under flood", () => {
  it("REJECTs evidence more than one epoch outside the window and IGNOREs the benign edge", async () => {
    const sender = { peer: "far", ip: "10.0.0.9" };
    expect(await refusal(book.accept(await forged(EPOCH + 1n, 0), sender))).toEqual({
      action: GossipAction.IGNORE,
      code: "EVIDENCE_ERROR_OUT_OF_WINDOW",
    });
    expect(await refusal(book.accept(await forged(EPOCH + 5n, 0), sender))).toEqual({
      action: GossipAction.REJECT,
      code: "EVIDENCE_ERROR_OUT_OF_WINDOW",
    });
    expect(await refusal(book.accept(await forged(EPOCH - 64n - 1n, 0), sender))).toEqual({
      action: GossipAction.IGNORE,
      code: "EVIDENCE_ERROR_OUT_OF_WINDOW",
    });
    expect(await refusal(book.accept(await forged(EPOCH - 64n - 5n, 0), sender))).toEqual({
      action: GossipAction.REJECT,
      code: "EVIDENCE_ERROR_OUT_OF_WINDOW",
    });
  });

  it("verifies at most the budget of forged evidence from fresh peer ids on one IP, and still verifies another IP's", async () => {
    const codes: string[] = [];
    for (let id = 0; id < 10; id++) {
      for (let i = 0; i < 10; i++) {
        codes.push(
          (
            await refusal(
              book.accept(await forged(EPOCH, id * 10 + i), { peer: `sybil-${id}`, ip: "10.0.0.1" }),
            )
          ).code,
        );
      }
    }
    // EVIDENCE_LIMITS.budgetPerEpoch = 32 pairs verified, the other 68 IGNOREd unverified.
    expect(codes.filter((c) => c === "EVIDENCE_ERROR_INVALID").length).toBe(32);
    expect(codes.filter((c) => c === "EVIDENCE_ERROR_OVER_BUDGET").length).toBe(68);
    expect(
      (await refusal(book.accept(await forged(EPOCH, 999), { peer: "honest", ip: "10.0.0.2" }))).code,
    ).toBe("EVIDENCE_ERROR_INVALID");
  });
});
