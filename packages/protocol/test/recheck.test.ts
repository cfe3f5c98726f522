import fc from "fast-check";
import { type Address, getAddress, type Hex, hexToBytes, keccak256, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { nobleBackend as bls } from "../src/bls/noble.ts";
import { DecodeError } from "../src/errors.ts";
import {
  DEFAULT_RECHECK_RULES,
  RecheckError,
  RecheckErrorCode,
  type RecheckResult,
  recheckEvidenceRoot,
  recheckResultSigningRoot,
  recheckRunEpoch,
  recheckRunEpochs,
  recheckTimeMessage,
  recheckVerdict,
  type SignedRecheckResult,
  signedRecheckResultCodec,
  verifyRecheckResults,
} from "../src/recheck.ts";
import { ChallengeKind, CheckResult, Verdict } from "../src/types.ts";

const addr = (label: string): Address => getAddress(`0x${keccak256(toHex(label)).slice(26)}`);
const provider = addr("provider");
const members = ["a", "b", "c", "d", "e"].map(addr);
const signature = `0x${"11".repeat(96)}` as Hex;

function result(checker: Address, r: CheckResult, over: Partial<RecheckResult> = {}): SignedRecheckResult {
  return {
    result: {
      slashId: 7n,
      provider,
      recheckEpoch: 12n,
      checker,
      kind: ChallengeKind.MATMUL,
      result: r,
      latencyP50Us: 1_000,
      transcriptHash: keccak256(toHex(`t:${checker}`)),
      runEpoch: 12n,
      timeSignature: signature,
      ...over,
    },
    signature,
  };
}

describe("recheckVerdict", () => {
  it("passes the provider when the failing seats do not exceed the quorum", () => {
    const [a, b, c, d, e] = members as [Address, Address, Address, Address, Address];
    // Two liars with one seat each against three honest members with two each: 2/8 failing.
    const committee = [a, a, b, b, c, c, d, e];
    const v = recheckVerdict(
      [
        result(a, CheckResult.PASS),
        result(b, CheckResult.PASS),
        result(c, CheckResult.PASS),
        result(d, CheckResult.FAIL),
        result(e, CheckResult.FAIL),
      ],
      committee,
    );
    expect(v).toMatchObject({
      verdict: Verdict.PASS,
      attestations: 5,
      failures: 2,
      weight: 8,
      failureWeight: 2,
    });
  });

  it("upholds the failure when more than two thirds of the seats fail (TIMEOUT counts as failing)", () => {
    const [a, b, c] = members as [Address, Address, Address];
    const v = recheckVerdict(
      [result(a, CheckResult.FAIL), result(b, CheckResult.TIMEOUT), result(c, CheckResult.PASS)],
      [a, a, b, b, c],
    );
    expect(v).toMatchObject({ verdict: Verdict.FAIL, failures: 2, weight: 5, failureWeight: 4 });
  });

  it("is exactly at the boundary: two thirds failing is not enough", () => {
    const [a, b, c] = members as [Address, Address, Address];
    const v = recheckVerdict(
      [result(a, CheckResult.FAIL), result(b, CheckResult.FAIL), result(c, CheckResult.PASS)],
      [a, b, c],
    );
    // 2 · 10000 = 20000 > 6666 · 3 = 19998: FAIL. One more seat for c (2/4) flips it.
    expect(v.verdict).toBe(Verdict.FAIL);
    const w = recheckVerdict(
      [result(a, CheckResult.FAIL), result(b, CheckResult.FAIL), result(c, CheckResult.PASS)],
      [a, b, c, c],
    );
    expect(w.verdict).toBe(Verdict.PASS);
  });

  it("is INCONCLUSIVE below the minimum number of distinct members, however many seats they hold", () => {
    const [a, b] = members as [Address, Address];
    const v = recheckVerdict([result(a, CheckResult.FAIL), result(b, CheckResult.FAIL)], [a, a, a, b]);
    expect(v.verdict).toBe(Verdict.INCONCLUSIVE);
    expect(recheckVerdict([], [a]).verdict).toBe(Verdict.INCONCLUSIVE);
    expect(
      recheckVerdict([result(a, CheckResult.FAIL)], [a], { ...DEFAULT_RECHECK_RULES, minResults: 1 }).verdict,
    ).toBe(Verdict.FAIL);
  });

  it("refuses outsiders, duplicates, mixed re-checks and nonsense rules", () => {
    const [a, b] = members as [Address, Address];
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(RecheckError);
        return (e as RecheckError).code;
      }
      return undefined;
    };
    expect(code(() => recheckVerdict([result(a, CheckResult.PASS)], [b]))).toBe(
      RecheckErrorCode.NOT_ON_COMMITTEE,
    );
    expect(code(() => recheckVerdict([result(a, CheckResult.PASS), result(a, CheckResult.FAIL)], [a]))).toBe(
      RecheckErrorCode.DUPLICATE_CHECKER,
    );
    expect(
      code(() =>
        recheckVerdict([result(a, CheckResult.PASS), result(b, CheckResult.PASS, { slashId: 8n })], [a, b]),
      ),
    ).toBe(RecheckErrorCode.MIXED_SLASH);
    expect(
      code(() =>
        recheckVerdict([result(a, CheckResult.PASS)], [a], { minResults: 0, failureQuorumBps: 6_666 }),
      ),
    ).toBe(RecheckErrorCode.INVALID_RULES);
  });
});

describe("recheckVerdict against a leader that leaves results out", () => {
  it("counts a left-out seat as a pass: FAIL seats of the colluders alone do not uphold", () => {
    // Two colluders with 3 seats each and six honest one-seat members: 12 seats. The leader keeps the
    // colluders' FAILs and one honest co-signer's PASS. Divided by the seats counted (6 of 7) that was an
    // uphold; divided by the committee's seats (6 of 12) it is not.
    const [a, b, c, d, e] = members as [Address, Address, Address, Address, Address];
    const honest = [c, d, e, addr("f"), addr("g"), addr("h")];
    const committee = [a, a, a, b, b, b, ...honest];
    const v = recheckVerdict(
      [result(a, CheckResult.FAIL), result(b, CheckResult.FAIL), result(c, CheckResult.PASS)],
      committee,
    );
    expect(v).toMatchObject({ verdict: Verdict.PASS, weight: 7, failureWeight: 6, committeeSeats: 12 });
  });

  it("is monotone: leaving out PASS results never turns a PASS or INCONCLUSIVE into a FAIL (property)", () => {
    const pool = Array.from({ length: 12 }, (_, i) => addr(`m${i}`));
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 3, maxLength: 12 }),
        fc.array(fc.constantFrom(CheckResult.PASS, CheckResult.FAIL, CheckResult.TIMEOUT), {
          minLength: 12,
          maxLength: 12,
        }),
        fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
        fc.array(fc.integer({ min: 12, max: 14 }), { minLength: 12, maxLength: 12 }),
        (seatCounts, outcomes, keep, epochs) => {
          const who = pool.slice(0, seatCounts.length);
          const committee = who.flatMap((m, i) => Array<Address>(seatCounts[i] as number).fill(m));
          const all = who.map((m, i) => result(m, outcomes[i] as CheckResult));
          const runEpochs = new Map(who.map((m, i) => [m.toLowerCase(), BigInt(epochs[i] as number)]));
          const rules = { ...DEFAULT_RECHECK_RULES, minEpochFailures: 2 };
          const full = recheckVerdict(all, committee, rules, runEpochs).verdict;
          const kept = all.filter((r, i) => r.result.result !== CheckResult.PASS || keep[i]);
          const partial = recheckVerdict(kept, committee, rules, runEpochs).verdict;
          if (partial === Verdict.FAIL) expect(full).toBe(Verdict.FAIL);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("recheckVerdict per window epoch", () => {
  // Nine one-seat members, three testing in each epoch of a 3-epoch window from 12.
  const nine = Array.from({ length: 9 }, (_, i) => addr(`w${i}`));
  const runEpochs = new Map(nine.map((m, i) => [m.toLowerCase(), 12n + BigInt(Math.floor(i / 3))]));
  const rules = { ...DEFAULT_RECHECK_RULES, minEpochFailures: 3, epochWindow: 3 };
  // The provider cheats in epoch 13 only: the three members testing then fail, the six others pass.
  const results = nine.map((m, i) => result(m, i >= 3 && i < 6 ? CheckResult.FAIL : CheckResult.PASS));

  it("upholds a provider that cheats in one epoch of the window and serves in the others", () => {
    const v = recheckVerdict(results, nine, rules, runEpochs);
    expect(v).toMatchObject({ verdict: Verdict.FAIL, failureWeight: 3, maxEpochFailures: 3 });
    // Without the run epochs (or with the rule off) only the two-thirds rule applies: 3 of 9 is cleared.
    expect(recheckVerdict(results, nine, rules).verdict).toBe(Verdict.PASS);
    expect(recheckVerdict(results, nine, { ...rules, minEpochFailures: 0 }, runEpochs).verdict).toBe(
      Verdict.PASS,
    );
  });

  it("counts members, not seats: one operator holding many seats is one failing member", () => {
    const [big] = nine as [Address];
    const committee = [...Array<Address>(6).fill(big), ...nine.slice(1)];
    const spread = nine.map((m, i) => result(m, i === 0 ? CheckResult.FAIL : CheckResult.PASS));
    const v = recheckVerdict(spread, committee, rules, runEpochs);
    expect(v).toMatchObject({ verdict: Verdict.PASS, failureWeight: 6, maxEpochFailures: 1 });
  });

  it("refuses a missing run epoch and one outside the window", () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as RecheckError).code;
      }
      return undefined;
    };
    const short = new Map([...runEpochs].slice(1));
    expect(code(() => recheckVerdict(results, nine, rules, short))).toBe(RecheckErrorCode.MISSING_RUN_EPOCH);
    const late = new Map(runEpochs).set((nine[0] as Address).toLowerCase(), 15n);
    expect(code(() => recheckVerdict(results, nine, rules, late))).toBe(RecheckErrorCode.INVALID_RUN_EPOCH);
    expect(code(() => recheckVerdict(results, nine, { ...rules, minEpochFailures: -1 }, runEpochs))).toBe(
      RecheckErrorCode.INVALID_RULES,
    );
  });
});

describe("signed re-check results", () => {
  it("round-trip through the codec and refuse garbage", () => {
    const s = result(members[0] as Address, CheckResult.TIMEOUT);
    expect(signedRecheckResultCodec.decode(signedRecheckResultCodec.encode(s))).toEqual(s);
    expect(() => signedRecheckResultCodec.decode(new Uint8Array(10))).toThrow(DecodeError);
    const bad = signedRecheckResultCodec.encode(s);
    bad[6 * 32 + 31] = 9; // the result word (after the tuple offset and five fields) = 9
    expect(() => signedRecheckResultCodec.decode(bad)).toThrow(DecodeError);
  });

  it("sign under their own domain: the root changes with every field and the domain", () => {
    const s = result(members[0] as Address, CheckResult.PASS).result;
    const domain = { chainId: 31337n, verifyingContract: addr("reports") };
    const root = toHex(recheckResultSigningRoot(s, domain));
    expect(toHex(recheckResultSigningRoot({ ...s, result: CheckResult.FAIL }, domain))).not.toBe(root);
    expect(toHex(recheckResultSigningRoot(s, { ...domain, chainId: 1n }))).not.toBe(root);
  });

  it("commit to their evidence root whatever the order", () => {
    const rs = members.map((m, i) => result(m, i % 2 === 0 ? CheckResult.PASS : CheckResult.FAIL));
    expect(recheckEvidenceRoot(rs)).toBe(recheckEvidenceRoot([...rs].reverse()));
    expect(recheckEvidenceRoot(rs.slice(1))).not.toBe(recheckEvidenceRoot(rs));
    expect(recheckEvidenceRoot([])).toBe(`0x${"00".repeat(32)}`);
  });
});

describe("re-check run epochs", () => {
  const separator = keccak256(toHex("domain")) as Hex;
  const slashing = getAddress("0x00000000000000000000000000000000000000aa");

  it("binds the time message to the domain, the Slashing contract and the slash", () => {
    const m = recheckTimeMessage(separator, slashing, 7n);
    expect(m).toHaveLength(32);
    expect(toHex(recheckTimeMessage(separator, slashing, 8n))).not.toBe(toHex(m));
    expect(toHex(recheckTimeMessage(keccak256(toHex("other")), slashing, 7n))).not.toBe(toHex(m));
    expect(toHex(recheckTimeMessage(separator, getAddress(`0x${"bb".repeat(20)}`), 7n))).not.toBe(toHex(m));
  });

  it("spreads members over the whole window, deterministically from their signatures", () => {
    const counts = [0, 0, 0];
    for (let i = 0; i < 3_000; i++) {
      const signature = new Uint8Array(96);
      new DataView(signature.buffer).setUint32(0, i);
      const epoch = recheckRunEpoch(signature, 10n, 3n);
      expect(epoch).toBe(recheckRunEpoch(signature, 10n, 3n));
      expect(epoch >= 10n && epoch <= 12n).toBe(true);
      counts[Number(epoch - 10n)]! += 1;
    }
    // Each epoch gets about a third of the members (±5 standard deviations of 3,000 Bernoulli(1/3) draws).
    for (const c of counts)
      expect(Math.abs(c - 1_000)).toBeLessThan(5 * Math.sqrt(3_000 * (1 / 3) * (2 / 3)));
    expect(recheckRunEpoch(new Uint8Array(96), 10n, 1n)).toBe(10n);
    expect(() => recheckRunEpoch(new Uint8Array(96), 10n, 0n)).toThrow(RecheckError);
  });
});

describe("time signatures in signed results (verifyRecheckResults, recheckRunEpochs)", () => {
  const domain = { chainId: 31337n, verifyingContract: addr("reports") };
  const context = {
    domain,
    domainSeparator: keccak256(toHex("separator")),
    slashing: addr("slashing"),
    slashId: 7n,
    windowEpochs: 3n,
  };
  const keys = [1, 2, 3].map((i) => hexToBytes(`0x${"3c".repeat(31)}0${i}`));
  const time = recheckTimeMessage(context.domainSeparator, context.slashing, context.slashId);

  /** Member i's result, time signed and signed with its key (or `over` applied before signing). */
  function signedBy(i: number, over: Partial<RecheckResult> = {}): SignedRecheckResult {
    const sk = keys[i] as Uint8Array;
    const timeSignature = bls.sign(sk, time);
    const r: RecheckResult = {
      ...result(members[i] as Address, CheckResult.FAIL).result,
      runEpoch: recheckRunEpoch(timeSignature, 12n, context.windowEpochs),
      timeSignature: toHex(timeSignature),
      ...over,
    };
    return { result: r, signature: toHex(bls.sign(sk, recheckResultSigningRoot(r, domain))) };
  }
  const entry = (i: number, s: SignedRecheckResult) => ({ signed: s, publicKey: bls.publicKey(keys[i]!) });
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return (e as RecheckError).code;
    }
    return undefined;
  };

  it("accepts members' own time signatures in one batch and names a forged or mismatched one", () => {
    const good = [0, 1, 2].map((i) => entry(i, signedBy(i)));
    expect(() => verifyRecheckResults(bls, context, good)).not.toThrow();
    // Member 1's time signature in member 0's result (signed by member 0 over it): not member 0's.
    const theirs = signedBy(1).result;
    const forged = entry(0, signedBy(0, { timeSignature: theirs.timeSignature, runEpoch: theirs.runEpoch }));
    expect(code(() => verifyRecheckResults(bls, context, [...good.slice(1), forged]))).toBe(
      RecheckErrorCode.INVALID_TIME_SIGNATURE,
    );
    const own = signedBy(0).result;
    const shifted = 12n + ((own.runEpoch - 12n + 1n) % 3n);
    expect(
      code(() => verifyRecheckResults(bls, context, [entry(0, signedBy(0, { runEpoch: shifted }))])),
    ).toBe(RecheckErrorCode.RUN_EPOCH_MISMATCH);
    const unsigned = { ...signedBy(0), signature: signedBy(1).signature };
    expect(code(() => verifyRecheckResults(bls, context, [entry(0, unsigned)]))).toBe(
      RecheckErrorCode.INVALID_SIGNATURE,
    );
    // Another slash's time message: the same member, the same key, refused.
    expect(
      code(() => verifyRecheckResults(bls, { ...context, slashId: 8n }, [entry(0, signedBy(0))])),
    ).toBeDefined();
  });

  it("draws the run epochs from the time signatures, for the window the rules were computed for only", () => {
    const rs = [0, 1, 2].map((i) => signedBy(i));
    const rules = { ...DEFAULT_RECHECK_RULES, minEpochFailures: 2, epochWindow: 3 };
    const epochs = recheckRunEpochs(rs, 3n, rules);
    expect([...(epochs?.entries() ?? [])]).toEqual(
      rs.map((s) => [s.result.checker.toLowerCase(), s.result.runEpoch]),
    );
    // A slash with another window: the threshold does not hold there, the two-thirds rule alone applies.
    expect(recheckRunEpochs(rs, 1n, rules)).toBeUndefined();
    expect(recheckRunEpochs(rs, 3n, { ...rules, minEpochFailures: 0 })).toBeUndefined();
    const lying = { ...rs[0]!, result: { ...rs[0]!.result, runEpoch: rs[0]!.result.runEpoch + 3n } };
    expect(code(() => recheckRunEpochs([lying], 3n, rules))).toBe(RecheckErrorCode.RUN_EPOCH_MISMATCH);
  });

  it("carry the run epoch and time signature through the codec; a run epoch before the re-check is refused", () => {
    const s = signedBy(2);
    expect(signedRecheckResultCodec.decode(signedRecheckResultCodec.encode(s))).toEqual(s);
    expect(signedRecheckResultCodec.encode(s).length).toBe(signedRecheckResultCodec.maxBytes);
    const before = { ...s, result: { ...s.result, runEpoch: 11n } };
    expect(() => signedRecheckResultCodec.decode(signedRecheckResultCodec.encode(before))).toThrow(
      /runEpoch/,
    );
    const short = { ...s, result: { ...s.result, timeSignature: "0x1234" as Hex } };
    expect(() => signedRecheckResultCodec.decode(signedRecheckResultCodec.encode(short))).toThrow(
      /timeSignature/,
    );
    // The signing root binds both.
    const root = toHex(recheckResultSigningRoot(s.result, domain));
    expect(
      toHex(recheckResultSigningRoot({ ...s.result, runEpoch: s.result.runEpoch + 1n }, domain)),
    ).not.toBe(root);
    expect(
      toHex(recheckResultSigningRoot({ ...s.result, timeSignature: `0x${"00".repeat(96)}` }, domain)),
    ).not.toBe(root);
  });
});
