import { getAddress, type Hex } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import {
  connectChain,
  isolateTests,
  mined,
  type TestChain,
} from "../../../../contracts/test/helpers/chain.ts";
import {
  attestationOf,
  equivocate,
  signAttestation,
} from "../../../../contracts/test/helpers/equivocation.ts";
import {
  type Checker,
  checkerKey,
  deployFixture,
  type Fixture,
  goToEpoch,
  setupCheckers,
} from "../../../../contracts/test/helpers/fixture.ts";
import {
  SubmitEquivocationError,
  SubmitEquivocationErrorCode,
  submitEquivocation,
} from "../../../src/chain/actions/submitEquivocation.ts";

const PROVIDER = getAddress("0x00000000000000000000000000000000000000aa");

describe("submitEquivocation (against EDR)", () => {
  let chain: TestChain;
  let fx: Fixture;
  let checkers: Checker[];

  beforeAll(async () => {
    chain = await connectChain();
    fx = await deployFixture(chain);
    checkers = await setupCheckers(fx, 3, 1);
    await goToEpoch(fx, 1n);
  });
  isolateTests(() => chain);

  const reporter = () => chain.wallets[10]!;
  const submit = (evidence: Parameters<typeof submitEquivocation>[2]["evidence"]) =>
    submitEquivocation(chain.publicClient, reporter(), {
      slashing: fx.deployment.contracts.slashing,
      evidence,
    });

  async function codeOf(call: Promise<unknown>): Promise<string> {
    try {
      await call;
    } catch (e) {
      expect(e).toBeInstanceOf(SubmitEquivocationError);
      expect((e as Error).message).toMatch(/\[SUBMIT_EQUIVOCATION_ERROR_[A-Z_]+\]$/);
      return (e as SubmitEquivocationError).code;
    }
    throw new Error("did not throw");
  }

  it("slashes a real equivocation and returns the transaction; a second report is a quiet no-op", async () => {
    const cheat = checkers[0]!;
    const evidence = await equivocate(fx, cheat.key, 1n, PROVIDER, cheat.address);
    const { hash, gasUsed } = await submit(evidence);
    expect(hash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(gasUsed).toBeGreaterThan(0n);
    expect(await fx.c.slashing.read.isPenalized([cheat.address, 1n])).toBe(true);
    // The same conflict in the other order (another node's view): already slashed, nothing sent.
    expect(await submit({ first: evidence.second, second: evidence.first })).toEqual({
      hash: null,
      gasUsed: 0n,
    });
  });

  it("names each refusal with its own code, sending nothing", async () => {
    const [victim, attacker] = [checkers[1]!, checkers[2]!];
    const nonce = () => chain.publicClient.getTransactionCount({ address: reporter().account.address });
    const before = await nonce();
    const honest = await signAttestation(fx, victim.key, attestationOf(1n, PROVIDER, victim.address));
    const forged = await signAttestation(fx, attacker.key, { ...honest.attestation, result: 1 });
    // FIRST / SECOND follow the caller's order whatever the canonical order is.
    expect(await codeOf(submit({ first: honest, second: forged }))).toBe(
      SubmitEquivocationErrorCode.BAD_SIGNATURE_SECOND,
    );
    expect(await codeOf(submit({ first: forged, second: honest }))).toBe(
      SubmitEquivocationErrorCode.BAD_SIGNATURE_FIRST,
    );
    const notAPoint = { ...forged, signature: `0x${"ff".repeat(96)}` as Hex };
    expect(await codeOf(submit({ first: honest, second: notAPoint }))).toBe(
      SubmitEquivocationErrorCode.BAD_SIGNATURE_SECOND,
    );
    const otherSlot = await signAttestation(
      fx,
      victim.key,
      attestationOf(1n, getAddress(`0x${"ab".repeat(20)}`), victim.address),
    );
    expect(await codeOf(submit({ first: honest, second: otherSlot }))).toBe(
      SubmitEquivocationErrorCode.NOT_SAME_SLOT,
    );
    expect(await codeOf(submit({ first: honest, second: { ...honest, vrfProof: forged.vrfProof } }))).toBe(
      SubmitEquivocationErrorCode.SAME_ROOT,
    );
    const stranger = getAddress(chain.wallets[15]!.account.address);
    const unknown = await equivocate(fx, await checkerKey("stranger"), 1n, PROVIDER, stranger);
    expect(await codeOf(submit(unknown))).toBe(SubmitEquivocationErrorCode.UNKNOWN_CHECKER);
    const future = await equivocate(fx, victim.key, 2n, PROVIDER, victim.address);
    expect(await codeOf(submit(future))).toBe(SubmitEquivocationErrorCode.OUTSIDE_WINDOW);
    expect(await nonce()).toBe(before);
    expect(await fx.c.slashing.read.isPenalized([victim.address, 1n])).toBe(false);
  });

  it("an unreachable RPC is RPC, retryable", async () => {
    const cheat = checkers[0]!;
    const evidence = await equivocate(fx, cheat.key, 1n, PROVIDER, cheat.address);
    const { createPublicClient, http } = await import("viem");
    const dead = createPublicClient({
      transport: http("http://127.0.0.1:1", { retryCount: 0, timeout: 2_000 }),
    });
    const err = await submitEquivocation(dead, reporter(), {
      slashing: fx.deployment.contracts.slashing,
      evidence,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SubmitEquivocationError);
    expect((err as SubmitEquivocationError).code).toBe(SubmitEquivocationErrorCode.RPC);
    await mined(chain, Promise.resolve((await submit(evidence)).hash!));
  });
});
