import type { AnswerDomain } from "@checkernet/protocol/fraud/answerSigning";
import type { MatmulFraudProof } from "@checkernet/protocol/fraud/matmulFraud";
import type { ResultLeaf } from "@checkernet/protocol/merkle/leaves";
import { resultProof } from "@checkernet/protocol/merkle/trees";
import { getAddress, type Hex, keccak256, parseEventLogs, toHex } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { slashingAbi } from "../src/generated/index.ts";
import { expectRevert, isolateTests, mined, type TestChain } from "./helpers/chain.ts";
import {
  type Checker,
  deployWithCheckers,
  type Fixture,
  failLeaf,
  fundContestBonds,
  goToEpoch,
  type Provider,
  passLeaf,
  publishEpoch,
  setupProvider,
  signRecheck,
  TOKEN,
} from "./helpers/fixture.ts";
import { answerKeyOf, faultyRun, proofOf, proveAnswerKey } from "./helpers/fraud.ts";

/**
 * One punishment per (provider, epoch) (docs/protocol/fraud-proofs.md "One punishment per provider and
 * epoch"): a fraud proof and a committee FAIL slash of the same epoch never both take tokens, in either order.
 */
const Status = { None: 0, Pending: 1, Contested: 2, Executed: 3, Cancelled: 4 } as const;
const BOND = 100n * TOKEN;
const STAKE = 1_000n * TOKEN;
/** The committee's slash (failLeaf's default) and the fraud slash (fraudSlashBps 1000 of the stake). */
const COMMITTEE_SLASH = 100n * TOKEN;
const FRAUD_SLASH = (STAKE * 1_000n) / 10_000n;

describe("one punishment per (provider, epoch): fraud proof and committee slash", () => {
  let chain: TestChain;
  let fx: Fixture;
  let checkers: Checker[];
  let provider: Provider;
  let honest: Provider;
  let domain: AnswerDomain;
  const key = answerKeyOf("double punishment provider key");

  beforeAll(async () => {
    // A fraud window longer than the contest window, so a committee slash can be executed while a fraud proof
    // of its epoch is still accepted (with the defaults, equal windows, that order cannot arise).
    ({ chain, fx, checkers } = await deployWithCheckers(6, 2, { fraudProofWindowEpochs: 8n }));
    provider = await setupProvider(fx, chain.wallets[10]!, STAKE);
    honest = await setupProvider(fx, chain.wallets[11]!);
    await fundContestBonds(fx, provider, BOND * 3n);
    domain = {
      chainId: BigInt(fx.deployment.chainId),
      verifyingContract: fx.deployment.contracts.providerRegistry,
    };
    await mined(
      chain,
      fx
        .as(provider.wallet)
        .providers.write.setAnswerKey([
          key.address,
          proveAnswerKey(key.privateKey, provider.address, domain),
        ]),
    );
    await goToEpoch(fx, 1n);
  });
  isolateTests(() => chain);

  const accusers = () => checkers.slice(0, 3).map((c) => c.address);
  const checkerAddress = () => getAddress(chain.wallets[6]!.account.address);

  /** Epoch `epoch`'s report FAILs `provider`; returns the leaf and its proof. */
  async function failEpoch(epoch: bigint) {
    const leaf: ResultLeaf = failLeaf(provider.address, accusers(), COMMITTEE_SLASH);
    const published = await publishEpoch(fx, epoch, { results: [leaf, passLeaf(honest.address)] });
    return { leaf, proof: resultProof(published.results!, leaf.provider) };
  }

  /** A wrong entry of a matmul the provider signed in `epoch`. */
  function fraudProof(epoch: bigint): MatmulFraudProof {
    const run = faultyRun(
      key.privateKey,
      domain,
      {
        epoch,
        provider: provider.address,
        checker: checkerAddress(),
        seed: keccak256(toHex(`double punishment ${epoch}`)) as Hex,
        classId: 1,
        n: 64,
      },
      5,
      17,
    );
    return proofOf(run, 5, 17);
  }

  const submitFraud = (epoch: bigint) => fx.c.fraudProofs.write.submitMatmulFraudProof([fraudProof(epoch)]);
  const stakeOf = () => fx.c.providers.read.stakeOf([provider.address]);

  it("fraud proof first: the committee slash of that epoch cannot be opened or contested", async () => {
    const { leaf, proof } = await failEpoch(1n);
    await mined(chain, submitFraud(1n));
    expect(await stakeOf()).toBe(STAKE - FRAUD_SLASH);
    await expectRevert(fx.c.slashing.write.openSlash([1n, leaf, proof]), "SlashingAlreadyPunished", [
      1n,
      provider.address,
    ]);
    await expectRevert(
      fx.as(provider.wallet).slashing.write.contest([1n, leaf, proof]),
      "SlashingAlreadyPunished",
      [1n, provider.address],
    );
    expect(await fx.c.slashing.read.slashIdOf([1n, provider.address])).toBe(0n);
    expect(await stakeOf()).toBe(STAKE - FRAUD_SLASH);
  });

  it("committee slash pending, then a fraud proof: the proof slashes at once, the pending slash is superseded", async () => {
    const { leaf, proof } = await failEpoch(1n);
    await mined(chain, fx.c.slashing.write.openSlash([1n, leaf, proof]));
    const id = await fx.c.slashing.read.slashIdOf([1n, provider.address]);
    await mined(chain, submitFraud(1n));
    expect(await stakeOf()).toBe(STAKE - FRAUD_SLASH);
    // After the contest window executeSlash closes it without taking anything.
    await goToEpoch(fx, 6n);
    const receipt = await mined(chain, fx.c.slashing.write.executeSlash([id]));
    expect(parseEventLogs({ abi: slashingAbi, logs: receipt.logs, eventName: "SlashExecuted" })).toEqual([]);
    const [event] = parseEventLogs({ abi: slashingAbi, logs: receipt.logs, eventName: "SlashSuperseded" });
    expect(event?.args).toEqual({ slashId: id, provider: provider.address, epoch: 1n, bondRefunded: 0n });
    expect(await stakeOf()).toBe(STAKE - FRAUD_SLASH);
    expect((await fx.c.slashing.read.slashOf([id])).status).toBe(Status.Cancelled);
    expect(await fx.c.slashing.read.pendingSlashCount([provider.address])).toBe(0n);
    expect(await fx.c.slashing.read.executedSlashIdOf([1n, provider.address])).toBe(0n);
  });

  it("committee slash contested, then a fraud proof: supersede closes it at once, refunds the bond, penalizes no accuser", async () => {
    const { leaf, proof } = await failEpoch(1n);
    await mined(chain, fx.as(provider.wallet).slashing.write.contest([1n, leaf, proof]));
    const id = await fx.c.slashing.read.slashIdOf([1n, provider.address]);
    await expectRevert(fx.c.slashing.write.supersede([id]), "SlashingNotSuperseded", [id]);
    const balance = await fx.c.token.read.balanceOf([provider.address]);
    await mined(chain, submitFraud(1n));
    await mined(chain, fx.c.slashing.write.supersede([id]));
    expect(await fx.c.token.read.balanceOf([provider.address])).toBe(balance + BOND);
    expect((await fx.c.slashing.read.slashOf([id])).status).toBe(Status.Cancelled);
    expect(await fx.c.slashing.read.pendingSlashCount([provider.address])).toBe(0n);
    expect(await fx.c.slashing.read.isOverturned([id])).toBe(false);
    for (const accuser of accusers()) expect(await fx.c.slashing.read.isPenalized([accuser, 1n])).toBe(false);
    expect(await stakeOf()).toBe(STAKE - FRAUD_SLASH);
    await expectRevert(fx.c.slashing.write.supersede([id]), "SlashingInvalidStatus", [id, Status.Cancelled]);
  });

  it("committee slash contested, fraud proof, then a re-check FAIL: the re-check takes nothing more", async () => {
    const { leaf, proof } = await failEpoch(1n);
    await mined(chain, fx.as(provider.wallet).slashing.write.contest([1n, leaf, proof]));
    const id = await fx.c.slashing.read.slashIdOf([1n, provider.address]);
    await mined(chain, submitFraud(1n));
    const record = await fx.c.slashing.read.slashOf([id]);
    await goToEpoch(fx, record.recheckEpoch);
    const { header, bitfield, signature } = await signRecheck(fx, id, 1, { attestations: 16, failures: 16 });
    const receipt = await mined(chain, fx.c.slashing.write.submitRecheck([header, bitfield, signature]));
    expect(
      parseEventLogs({ abi: slashingAbi, logs: receipt.logs, eventName: "SlashSuperseded" }),
    ).toHaveLength(1);
    expect(parseEventLogs({ abi: slashingAbi, logs: receipt.logs, eventName: "SlashExecuted" })).toEqual([]);
    expect(await stakeOf()).toBe(STAKE - FRAUD_SLASH);
  });

  it("committee slash executed first: a fraud proof of that epoch reverts, one of another epoch still slashes", async () => {
    const { leaf, proof } = await failEpoch(1n);
    await mined(chain, fx.c.slashing.write.openSlash([1n, leaf, proof]));
    const id = await fx.c.slashing.read.slashIdOf([1n, provider.address]);
    await goToEpoch(fx, 6n);
    await mined(chain, fx.c.slashing.write.executeSlash([id]));
    expect(await stakeOf()).toBe(STAKE - COMMITTEE_SLASH);
    expect(await fx.c.slashing.read.executedSlashIdOf([1n, provider.address])).toBe(id);
    await expectRevert(submitFraud(1n), "FraudProofsAlreadyPunished", [provider.address, 1n, id]);
    expect(await stakeOf()).toBe(STAKE - COMMITTEE_SLASH);
    // Another epoch is another punishment.
    await mined(chain, submitFraud(2n));
    expect(await stakeOf()).toBe(STAKE - COMMITTEE_SLASH - ((STAKE - COMMITTEE_SLASH) * 1_000n) / 10_000n);
  });
});
