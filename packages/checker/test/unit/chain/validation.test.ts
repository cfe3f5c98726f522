import { signedAttestationCodec } from "@checkernet/protocol/encoding/attestation";
import { committeeSeats, providerTicket, vrfOutput } from "@checkernet/protocol/sortition";
import { CheckResult } from "@checkernet/protocol/types";
import { type Address, hexToBytes } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { EpochClock } from "../../../src/chain/clock.ts";
import {
  type AttestationValidationContext,
  validateGossipAttestation,
} from "../../../src/validation/attestation.ts";
import { BlsBatchVerifier } from "../../../src/validation/bls/batchVerifier.ts";
import { AttestationError, AttestationErrorCode } from "../../../src/validation/errors/attestationError.ts";
import { GossipAction } from "../../../src/validation/errors/gossipValidation.ts";
import { StaticKeyDirectory } from "../../../src/validation/keyDirectory.ts";
import { SeenAttestations } from "../../../src/validation/seenCache.ts";
import { StaticEpochSeeds } from "../../../src/validation/sortition.ts";
import {
  bls,
  DOMAIN,
  makeAttestation,
  makeChecker,
  randomAddress,
  seedFor,
  signAttestation,
  type TestChecker,
} from "../../utils/fixtures.ts";

const EPOCH_SECONDS = 10;
const GENESIS = 1_000_000;

let alice: TestChecker;
let mallory: TestChecker;
let provider: Address;

beforeAll(async () => {
  alice = await makeChecker(1);
  mallory = await makeChecker(1);
  provider = randomAddress();
});

async function context(
  epoch = 5n,
  over: Partial<AttestationValidationContext> = {},
): Promise<AttestationValidationContext> {
  return {
    domain: DOMAIN,
    clock: new EpochClock({
      genesisMs: GENESIS,
      epochSeconds: EPOCH_SECONDS,
      now: () => GENESIS + Number(epoch - 1n) * 10_000 + 5_000,
    }),
    keys: new StaticKeyDirectory([alice, mallory], [provider]),
    seen: new SeenAttestations(),
    verifier: new BlsBatchVerifier({ backend: await bls(), maxWaitMs: 1 }),
    // committeeSize >= total licenses: every license holds a seat.
    committeeSize: 8,
    epochs: new StaticEpochSeeds([3n, 4n, 5n, 6n, 7n, 1n, 2n].map((e) => [e, seedFor(e)])),
    verifiedVrf: new Set(),
    ...over,
  };
}

async function expectError(
  p: Promise<unknown>,
  action: GossipAction,
  code: AttestationErrorCode,
): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AttestationError);
  expect((err as AttestationError).type.code).toBe(code);
  expect((err as AttestationError).action).toBe(action);
}

describe("validateGossipAttestation", () => {
  it("accepts a valid attestation and records it as seen", async () => {
    const ctx = await context();
    const signed = await signAttestation(alice, makeAttestation(alice.address, provider, 5n));
    const v = await validateGossipAttestation(ctx, signedAttestationCodec.encode(signed));
    expect(v.seats).toBe(1);
    expect(v.signed.attestation.checker).toBe(alice.address);
    expect(ctx.seen.get(5n, provider, alice.address)).toBe(v.signingRoot);
  });

  it("rejects oversized and malformed messages", async () => {
    const ctx = await context();
    const good = signedAttestationCodec.encode(
      await signAttestation(alice, makeAttestation(alice.address, provider, 5n)),
    );
    const oversized = new Uint8Array(good.length + 1);
    oversized.set(good);
    await expectError(
      validateGossipAttestation(ctx, oversized),
      GossipAction.REJECT,
      AttestationErrorCode.OVERSIZED,
    );
    await expectError(
      validateGossipAttestation(ctx, good.subarray(0, 100)),
      GossipAction.REJECT,
      AttestationErrorCode.INVALID_ENCODING,
    );
    await expectError(
      validateGossipAttestation(ctx, new Uint8Array(0)),
      GossipAction.REJECT,
      AttestationErrorCode.INVALID_ENCODING,
    );
    const dirty = good.slice();
    dirty[0] = 0xff; // high bytes of the uint64 epoch word must be zero
    await expectError(
      validateGossipAttestation(ctx, dirty),
      GossipAction.REJECT,
      AttestationErrorCode.INVALID_ENCODING,
    );
  });

  it("ignores attestations outside the epoch window", async () => {
    const ctx = await context(5n);
    const future = await signAttestation(alice, makeAttestation(alice.address, provider, 6n));
    await expectError(
      validateGossipAttestation(ctx, signedAttestationCodec.encode(future)),
      GossipAction.IGNORE,
      AttestationErrorCode.FUTURE_EPOCH,
    );
    const stale = await signAttestation(alice, makeAttestation(alice.address, provider, 2n));
    await expectError(
      validateGossipAttestation(ctx, signedAttestationCodec.encode(stale)),
      GossipAction.IGNORE,
      AttestationErrorCode.STALE_EPOCH,
    );
    const oldest = await signAttestation(alice, makeAttestation(alice.address, provider, 3n));
    await expect(
      validateGossipAttestation(ctx, signedAttestationCodec.encode(oldest)),
    ).resolves.toBeDefined();
  });

  it("ignores a replay and a later conflicting attestation of the same (epoch, provider, checker)", async () => {
    const ctx = await context();
    const signed = await signAttestation(alice, makeAttestation(alice.address, provider, 5n));
    const bytes = signedAttestationCodec.encode(signed);
    await validateGossipAttestation(ctx, bytes);
    await expectError(
      validateGossipAttestation(ctx, bytes),
      GossipAction.IGNORE,
      AttestationErrorCode.ALREADY_KNOWN,
    );
    const other = await signAttestation(
      alice,
      makeAttestation(alice.address, provider, 5n, { result: CheckResult.FAIL }),
    );
    await expectError(
      validateGossipAttestation(ctx, signedAttestationCodec.encode(other)),
      GossipAction.IGNORE,
      AttestationErrorCode.CONFLICTING,
    );
  });

  it("rejects a signature by another key, a forged VRF proof and unknown parties", async () => {
    const ctx = await context();
    // Mallory signs an attestation claiming to be Alice.
    const forged = await signAttestation(mallory, makeAttestation(alice.address, provider, 5n));
    const withAliceVrf = {
      ...forged,
      vrfProof: (await signAttestation(alice, makeAttestation(alice.address, provider, 5n))).vrfProof,
    };
    await expectError(
      validateGossipAttestation(ctx, signedAttestationCodec.encode(withAliceVrf)),
      GossipAction.REJECT,
      AttestationErrorCode.INVALID_SIGNATURE,
    );
    await expectError(
      validateGossipAttestation(ctx, signedAttestationCodec.encode(forged)),
      GossipAction.REJECT,
      AttestationErrorCode.INVALID_SORTITION_PROOF,
    );
    const stranger = await makeChecker(1);
    const unknown = await signAttestation(stranger, makeAttestation(stranger.address, provider, 5n));
    await expectError(
      validateGossipAttestation(ctx, signedAttestationCodec.encode(unknown)),
      GossipAction.REJECT,
      AttestationErrorCode.UNKNOWN_CHECKER,
    );
    const noProvider = await signAttestation(alice, makeAttestation(alice.address, randomAddress(), 5n));
    await expectError(
      validateGossipAttestation(ctx, signedAttestationCodec.encode(noProvider)),
      GossipAction.REJECT,
      AttestationErrorCode.UNKNOWN_PROVIDER,
    );
  });

  it("ignores an epoch whose seed is unknown and rejects a checker without a committee seat", async () => {
    const noSeed = await context(5n, { epochs: new StaticEpochSeeds() });
    const signed = await signAttestation(alice, makeAttestation(alice.address, provider, 5n));
    await expectError(
      validateGossipAttestation(noSeed, signedAttestationCodec.encode(signed)),
      GossipAction.IGNORE,
      AttestationErrorCode.UNKNOWN_EPOCH_SEED,
    );

    // 1000 other licenses and k = 1: Alice's one license rarely wins a seat.
    const whale = await makeChecker(1000);
    const keys = new StaticKeyDirectory([alice, whale]);
    const vrf = hexToBytes(signed.vrfProof);
    let seatless: Address | undefined;
    for (let i = 0; i < 50 && seatless === undefined; i++) {
      const p = randomAddress();
      if (committeeSeats(providerTicket(vrfOutput(vrf), p), 1, 1001, 1) === 0) seatless = p;
    }
    expect(seatless).toBeDefined();
    keys.addProvider(seatless!);
    const ctx = await context(5n, { keys, committeeSize: 1 });
    const att = await signAttestation(alice, makeAttestation(alice.address, seatless!, 5n));
    await expectError(
      validateGossipAttestation(ctx, signedAttestationCodec.encode(att)),
      GossipAction.REJECT,
      AttestationErrorCode.NOT_IN_COMMITTEE,
    );
  });
});
