import type { Hex } from "viem";
import { Verdict } from "../../protocol.ts";
import {
  type AttackModule,
  committeeSeatsOf,
  committeeVerdict,
  mean,
  randomHex,
  rate,
  VRF_ASSUMPTION,
} from "./common.ts";

/**
 * A license holder that moves its delegations, or picks which of its keys
 * are active, after the seed is known. It registers `spareKeys` keys; once
 * the target epoch's seed is out it evaluates each key's VRF ticket for the
 * target provider and delegates one license to each key that wins a seat
 * (greedy: a lower bound on what it gains). The coalition then attests FAIL
 * about the honest target, and computeVerdict decides.
 *
 * The protocol's activation delay A (`activationDelayEpochs`): a delegation
 * landing in epoch c counts from c + A, while the seed of epoch e is known
 * from e − `seedLookaheadEpochs`. When A ≤ the lookahead (`vulnerable`, A = 0)
 * the picked set counts in the target epoch; otherwise (`current`, A = 54)
 * the set that counts was fixed before the seed, so the coalition's licenses
 * sit on keys as good as random.
 */
export const lateDelegation: AttackModule = {
  name: "late-delegation",
  summary: "a coalition moves its delegations / picks its active keys after the seed is known",
  setup: {
    honestCheckers: {
      default: 400,
      min: 1,
      max: 100_000,
      integer: true,
      what: "honest checkers, one license each",
    },
    coalitionLicenses: {
      default: 100,
      min: 1,
      max: 100_000,
      integer: true,
      what: "licenses the coalition holds",
    },
    spareKeys: {
      default: 1000,
      min: 1,
      max: 100_000,
      integer: true,
      what: "checker keys the coalition has registered (it may delegate to any of them)",
    },
    seedLookaheadEpochs: {
      default: 1,
      min: 0,
      max: 1000,
      integer: true,
      what: "epochs before its own that an epoch's seed is known",
    },
  },
  run({ params, setup, trials, rng }) {
    const honest = setup.honestCheckers as number;
    const coalition = setup.coalitionLicenses as number;
    const spare = Math.max(setup.spareKeys as number, coalition);
    const total = honest + coalition;
    const adaptive = params.activationDelayEpochs <= (setup.seedLookaheadEpochs as number);
    const k = params.committeeSize;
    let captured = 0;
    const share: number[] = [];
    const ones = (n: number) => new Array<number>(n).fill(1);
    for (let t = 0; t < trials; t++) {
      const honestVrf: Hex[] = [];
      for (let i = 0; i < honest; i++) honestVrf.push(randomHex(rng, 32));
      const keyVrf: Hex[] = [];
      for (let i = 0; i < spare; i++) keyVrf.push(randomHex(rng, 32));
      const honestSeats = committeeSeatsOf(honestVrf, ones(honest), total, k);
      let coalitionSeats: number[];
      if (adaptive) {
        // Every key's seats if it held one license: the keys that win take the licenses.
        const winners = committeeSeatsOf(keyVrf, ones(spare), total, k).filter((s) => s > 0);
        coalitionSeats = winners.slice(0, coalition);
      } else {
        // The active set was fixed before the seed: the first `coalition` keys, one license each.
        coalitionSeats = committeeSeatsOf(keyVrf.slice(0, coalition), ones(coalition), total, k);
      }
      const members = [
        ...honestSeats.filter((s) => s > 0).map((seats) => ({ seats, pass: true })),
        ...coalitionSeats.filter((s) => s > 0).map((seats) => ({ seats, pass: false })),
      ];
      const h = members.filter((m) => m.pass).reduce((a, m) => a + m.seats, 0);
      const c = members.filter((m) => !m.pass).reduce((a, m) => a + m.seats, 0);
      share.push(h + c > 0 ? c / (h + c) : 0);
      if (members.length > 0 && committeeVerdict(members, params).verdict === Verdict.FAIL) captured++;
    }
    return {
      metrics: [
        rate(
          "captureRate",
          captured,
          trials,
          "target epochs in which the coalition's FAIL slashes the honest target",
        ),
        mean("coalitionSeatShare", share, "coalition's share of the target's committee seats"),
      ],
      assumptions: [
        VRF_ASSUMPTION,
        `the seed of epoch e is known from epoch e − ${setup.seedLookaheadEpochs} (seedLookaheadEpochs); ` +
          "the seed itself is not ground here (see the seed-grinding study)",
        "registering a checker key costs nothing the study counts; every honest checker holds one license",
      ],
      notes: [
        `activationDelayEpochs A = ${params.activationDelayEpochs}: ` +
          (adaptive
            ? "A ≤ the lookahead, so the coalition's picked set counts in the target epoch"
            : "A > the lookahead, so the set that counts was fixed before the seed"),
        `coalition: ${coalition} of ${total} licenses (${((100 * coalition) / total).toFixed(1)} %), ${spare} keys`,
      ],
    };
  },
};
