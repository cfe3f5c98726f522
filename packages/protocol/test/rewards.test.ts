import fc from "fast-check";
import { type Address, getAddress, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { Beneficiary } from "../src/merkle/leaves.ts";
import { DEFAULT_PARAMS, withParams } from "../src/params.ts";
import { RewardError, RewardErrorCode, slashAmount, splitEpochRewards } from "../src/rewards.ts";
import { Verdict } from "../src/types.ts";

const addr = (i: number): Address => getAddress(toHex(i + 1, { size: 20 }));
const E18 = 10n ** 18n;

describe("splitEpochRewards", () => {
  it("splits the pool by providerShareBps, then by score × stake and by counted attestations", () => {
    const params = withParams({ epochRewardPool: 1_000n, providerShareBps: 7_000 });
    const leaves = splitEpochRewards(
      {
        providers: [
          { provider: addr(2), verdict: Verdict.PASS, scoreBps: 5_000, stake: 200n },
          { provider: addr(1), verdict: Verdict.PASS, scoreBps: 10_000, stake: 100n },
          { provider: addr(3), verdict: Verdict.FAIL, scoreBps: 9_000, stake: 10_000n },
          { provider: addr(4), verdict: Verdict.INCONCLUSIVE, scoreBps: 9_000, stake: 10_000n },
        ],
        licenses: [
          { licenseId: 9n, countedAttestations: 1 },
          { licenseId: 3n, countedAttestations: 2 },
          { licenseId: 5n, countedAttestations: 0 },
        ],
      },
      params,
    );
    // providerPool 700 split 1:1 (10000·100 = 5000·200); licensePool 300 split 2:1 by attestations.
    expect(leaves).toEqual([
      { beneficiary: Beneficiary.PROVIDER, id: BigInt(addr(1)), amount: 350n },
      { beneficiary: Beneficiary.PROVIDER, id: BigInt(addr(2)), amount: 350n },
      { beneficiary: Beneficiary.LICENSE, id: 3n, amount: 200n },
      { beneficiary: Beneficiary.LICENSE, id: 9n, amount: 100n },
    ]);
  });

  it("floors every share; dust is paid to no one", () => {
    const leaves = splitEpochRewards(
      {
        providers: [1, 2, 3].map((i) => ({
          provider: addr(i),
          verdict: Verdict.PASS,
          scoreBps: 10_000,
          stake: 1n,
        })),
        licenses: [1n, 2n, 3n].map((licenseId) => ({ licenseId, countedAttestations: 1 })),
      },
      withParams({ epochRewardPool: 100n, providerShareBps: 5_000 }),
    );
    expect(leaves.map((l) => l.amount)).toEqual([16n, 16n, 16n, 16n, 16n, 16n]);
  });

  it("pays nothing from a pool with no weight, and omits zero leaves", () => {
    const leaves = splitEpochRewards(
      {
        providers: [{ provider: addr(1), verdict: Verdict.FAIL, scoreBps: 10_000, stake: E18 }],
        licenses: [{ licenseId: 1n, countedAttestations: 4 }],
      },
      DEFAULT_PARAMS,
    );
    expect(leaves).toEqual([
      {
        beneficiary: Beneficiary.LICENSE,
        id: 1n,
        amount: (DEFAULT_PARAMS.epochRewardPool * 3_000n) / 10_000n,
      },
    ]);
    expect(splitEpochRewards({ providers: [], licenses: [] }, DEFAULT_PARAMS)).toEqual([]);
  });

  it("never pays more than the pool, and leaves less than one unit per leaf as dust", () => {
    const provider = fc.record({
      verdict: fc.constantFrom(Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE),
      scoreBps: fc.integer({ min: 0, max: 10_000 }),
      stake: fc.bigInt({ min: 0n, max: 10n ** 30n }),
    });
    fc.assert(
      fc.property(
        fc.array(provider, { maxLength: 40 }),
        fc.array(fc.nat({ max: 1_000 }), { maxLength: 40 }),
        fc.bigInt({ min: 0n, max: 10n ** 30n }),
        fc.integer({ min: 0, max: 10_000 }),
        (providers, counts, pool, share) => {
          const params = withParams({ epochRewardPool: pool, providerShareBps: share });
          const leaves = splitEpochRewards(
            {
              providers: providers.map((p, i) => ({ ...p, provider: addr(i) })),
              licenses: counts.map((c, i) => ({ licenseId: BigInt(i), countedAttestations: c })),
            },
            params,
          );
          const total = leaves.reduce((s, l) => s + l.amount, 0n);
          expect(total).toBeLessThanOrEqual(pool);
          for (const l of leaves) expect(l.amount).toBeGreaterThan(0n);
          const paysProviders = providers.some(
            (p) => p.verdict === Verdict.PASS && p.scoreBps > 0 && p.stake > 0n,
          );
          const paysLicenses = counts.some((c) => c > 0);
          if (paysProviders && paysLicenses) {
            // Floors lose under one unit per weighted entry.
            expect(pool - total).toBeLessThanOrEqual(BigInt(providers.length + counts.length));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("refuses duplicates and out-of-range input with typed errors", () => {
    const p = { provider: addr(1), verdict: Verdict.PASS, scoreBps: 10_000, stake: 1n };
    const codeOf = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(RewardError);
        return (e as RewardError).code;
      }
      return undefined;
    };
    expect(
      codeOf(() =>
        splitEpochRewards(
          { providers: [p, { ...p, provider: p.provider.toLowerCase() as Address }], licenses: [] },
          DEFAULT_PARAMS,
        ),
      ),
    ).toBe(RewardErrorCode.DUPLICATE_PROVIDER);
    expect(
      codeOf(() =>
        splitEpochRewards(
          {
            providers: [],
            licenses: [
              { licenseId: 1n, countedAttestations: 1 },
              { licenseId: 1n, countedAttestations: 2 },
            ],
          },
          DEFAULT_PARAMS,
        ),
      ),
    ).toBe(RewardErrorCode.DUPLICATE_LICENSE);
    expect(
      codeOf(() => splitEpochRewards({ providers: [{ ...p, stake: -1n }], licenses: [] }, DEFAULT_PARAMS)),
    ).toBe(RewardErrorCode.INVALID_INPUT);
    expect(
      codeOf(() =>
        splitEpochRewards({ providers: [{ ...p, scoreBps: 10_001 }], licenses: [] }, DEFAULT_PARAMS),
      ),
    ).toBe(RewardErrorCode.INVALID_INPUT);
    expect(
      codeOf(() =>
        splitEpochRewards({ providers: [], licenses: [] }, withParams({ providerShareBps: 10_001 })),
      ),
    ).toBe(RewardErrorCode.INVALID_PARAMS);
    expect(
      codeOf(() =>
        splitEpochRewards(
          { providers: [], licenses: [{ licenseId: -1n, countedAttestations: 1 }] },
          DEFAULT_PARAMS,
        ),
      ),
    ).toBe(RewardErrorCode.INVALID_INPUT);
  });
});

describe("slashAmount", () => {
  it("is floor(stake · slashBps / 10000)", () => {
    expect(slashAmount(1_000n * E18, DEFAULT_PARAMS)).toBe(100n * E18);
    expect(slashAmount(9n, withParams({ slashBps: 1_000 }))).toBe(0n);
    expect(slashAmount(19n, withParams({ slashBps: 1_000 }))).toBe(1n);
    expect(slashAmount(7n, withParams({ slashBps: 10_000 }))).toBe(7n);
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 40n }),
        fc.integer({ min: 0, max: 10_000 }),
        (stake, bps) => {
          const s = slashAmount(stake, withParams({ slashBps: bps }));
          expect(s).toBeLessThanOrEqual(stake);
          expect(s).toBe((stake * BigInt(bps)) / 10_000n);
        },
      ),
      { numRuns: 100 },
    );
    expect(() => slashAmount(-1n, DEFAULT_PARAMS)).toThrow(RewardError);
    expect(() => slashAmount(1n, withParams({ slashBps: -1 }))).toThrow(RewardError);
  });
});
