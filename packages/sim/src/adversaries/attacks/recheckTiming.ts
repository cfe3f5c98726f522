import { type Address, hexToBytes } from "viem";
import {
  ContestOutcome,
  DEFAULT_RECHECK_RULES,
  type ProviderVerdict,
  type ResultLeaf,
  recheckRunEpoch,
  recheckVerdict,
  reportCommittee,
  resolveContest,
  type SignedRecheckResult,
  Verdict,
} from "../../protocol.ts";
import { seatAddress } from "../../verdicts.ts";
import { type AttackModule, mean, randomHex, rate, TARGET_PROVIDER, VRF_ASSUMPTION } from "./common.ts";

/**
 * A re-check-timing provider: it cheats, is slashed, contests, and serves
 * honestly only in the epochs it expects the re-check committee to test it,
 * the first `serveEpochs` epochs from the slash's recheckEpoch (which the
 * contract publishes). Each member tests in
 * recheckRunEpoch(its BLS signature, recheckEpoch, recheckWindowEpochs), so
 * with a window of one epoch (`vulnerable`: the rule before the window) every
 * member tests in the epoch the provider serves in and the slash is
 * overturned, the accusers penalized; with the window (`current`, 3) a share
 * of the members tests in epochs the provider cheats in.
 *
 * Per trial: the re-check committee (reportCommittee's seat draw over
 * `checkers` one-license checkers, reportCommitteeSize seats), each member's
 * run epoch, its result (PASS in a served epoch, FAIL otherwise),
 * recheckVerdict, resolveContest.
 *
 * `epochRule` 1 (the current rule) passes each member's run epoch to
 * recheckVerdict, which then also upholds when `minEpochFailures` distinct
 * members of one run epoch fail; 0 is the rule before, two thirds of the
 * committee's seats only, under which a provider honest in 2 of 3 window
 * epochs was cleared every time.
 */
export const recheckTiming: AttackModule = {
  name: "recheck-timing",
  summary: "a contested provider serves only in the epochs it expects the re-check to test it",
  setup: {
    checkers: { default: 400, min: 10, max: 100_000, integer: true, what: "checkers, one license each" },
    serveEpochs: {
      default: 1,
      min: 0,
      max: 64,
      integer: true,
      what: "epochs from recheckEpoch in which the provider serves honestly",
    },
    epochRule: {
      default: 1,
      min: 0,
      max: 1,
      integer: true,
      what: "1: the per-window-epoch verdict rule (current); 0: two thirds of the seats only (the rule before)",
    },
  },
  run({ params, setup, trials, rng }) {
    const L = setup.checkers as number;
    const serve = BigInt(setup.serveEpochs as number);
    const window = BigInt(params.recheckWindowEpochs);
    const size = params.reportCommitteeSize;
    // The per-epoch threshold is computed for one window (DEFAULT_RECHECK_RULES.epochWindow): applied there only.
    const epochRule = setup.epochRule === 1 && window === BigInt(DEFAULT_RECHECK_RULES.epochWindow ?? 0);
    let epochUpheld = 0;
    const contestEpoch = 10n;
    const recheckEpoch = contestEpoch + 2n;
    let escaped = 0;
    let penalized = 0;
    const failShare: number[] = [];
    for (let t = 0; t < trials; t++) {
      const seats = reportCommittee(randomHex(rng, 32), recheckEpoch, size, L);
      const committee: Address[] = seats.map((lic) => seatAddress(lic));
      const results: SignedRecheckResult[] = [];
      const runEpochs = new Map<string, bigint>();
      for (const member of new Set(seats)) {
        const signature = randomHex(rng, 96);
        const runs = recheckRunEpoch(hexToBytes(signature), recheckEpoch, window);
        runEpochs.set(seatAddress(member).toLowerCase(), runs);
        const served = runs - recheckEpoch < serve;
        results.push({
          result: {
            slashId: 1n,
            provider: TARGET_PROVIDER,
            recheckEpoch,
            checker: seatAddress(member),
            kind: 0,
            result: served ? 0 : 1,
            latencyP50Us: 20_000,
            transcriptHash: `0x${"00".repeat(32)}`,
            runEpoch: runs,
            timeSignature: signature,
          },
          signature,
        });
      }
      const rv = recheckVerdict(results, committee, DEFAULT_RECHECK_RULES, epochRule ? runEpochs : undefined);
      failShare.push(rv.weight > 0 ? rv.failureWeight / rv.weight : 0);
      if (
        rv.verdict === Verdict.FAIL &&
        rv.failureWeight * 10_000 <= DEFAULT_RECHECK_RULES.failureQuorumBps * rv.committeeSeats
      ) {
        epochUpheld++;
      }
      const recheck: ProviderVerdict = {
        verdict: rv.verdict,
        scoreBps: 0,
        medianLatencyUs: 0,
        attestations: rv.attestations,
        failures: rv.failures,
        accusers: [],
        weight: rv.weight,
        failureWeight: rv.failureWeight,
      };
      const original: ResultLeaf = {
        provider: TARGET_PROVIDER,
        verdict: Verdict.FAIL,
        scoreBps: 0,
        medianLatencyUs: 0,
        attestations: 8,
        failures: 8,
        slashAmount: 1n,
        accusers: [seatAddress(0)],
      };
      const r = resolveContest({
        original,
        recheck,
        currentEpoch: recheckEpoch + window,
        contestEpoch,
        recheckEpoch: recheckEpoch + window - 1n,
        params,
      });
      if (r.slashExecuted === 0n) escaped++;
      if (r.outcome === ContestOutcome.OVERTURNED) penalized++;
    }
    const w = Number(window);
    const s = Math.min(Number(serve), w);
    return {
      metrics: [
        rate("escapeRate", escaped, trials, "contested slashes not executed (resolveContest)"),
        rate(
          "accusersPenalizedRate",
          penalized,
          trials,
          "contests OVERTURNED: the honest accusers penalized",
        ),
        mean("failingSeatShare", failShare, "share of re-check seats that saw a failing run"),
        rate(
          "epochRuleUpholdRate",
          epochUpheld,
          trials,
          "contests upheld by the per-window-epoch rule where two thirds of the seats did not fail",
        ),
      ],
      assumptions: [
        VRF_ASSUMPTION,
        `re-check committee: ${size} seats drawn with the report committee's rule (reportCommittee) over ${L} ` +
          "one-license checkers; the contract's committeeAt draws with its own tag and the slash id",
        "every member is honest, online and reports; a served epoch's run passes, a cheated epoch's run fails",
        epochRule
          ? `verdict: two thirds of the seats, or ${DEFAULT_RECHECK_RULES.minEpochFailures} distinct members failing in one run epoch (recheckVerdict with run epochs)`
          : "verdict: two thirds of the seats only (recheckVerdict without run epochs: the rule before the per-epoch rule)",
      ],
      notes: [
        `window ${w} epoch(s), provider serves ${s} of them: it cheats in ${w - s} of the window's epochs`,
      ],
    };
  },
};
