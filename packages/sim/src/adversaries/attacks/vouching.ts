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
 * Colluders that vouch PASS for a cheating provider (it diverts its GPU in
 * every epoch) for a side payment per seat, and a penalty when evidence
 * contradicts them: the provider's FAIL verdict stands (computeVerdict over
 * the committee), or an honest member's matmul run yields a fraud proof (in
 * a matmul epoch, share matmulShareBps, a diverted GPU's rows are all wrong,
 * so any honest member proves it).
 *
 * `current`: the protocol penalizes accusers a re-check overturns, never a
 * PASS that evidence contradicts, so vouching earns its side payment at no
 * risk. `fixed`: a proposed rule, each PASS seat of a provider-epoch with
 * such evidence loses `penaltyPerSeat`; vouching then pays only while
 * sidePayment > penaltyPerSeat · P(evidence | seated).
 */
export const vouching: AttackModule = {
  name: "vouching",
  summary: "colluders vouch PASS for a cheater; penalized when evidence contradicts them (fixed rules)",
  setup: {
    checkers: { default: 400, min: 3, max: 100_000, integer: true, what: "checkers, one license each" },
    colluders: { default: 0.3, min: 0, max: 1, what: "colluding share of the checkers" },
    sidePayment: { default: 1, min: 0, max: 1e9, what: "tokens the cheater pays per vouching seat" },
    penaltyPerSeat: {
      default: 20,
      min: 0,
      max: 1e9,
      what: "tokens a contradicted PASS seat loses (fixed rules only)",
    },
  },
  run({ rules, params, setup, trials, rng }) {
    const n = setup.checkers as number;
    const colluders = Math.round((setup.colluders as number) * n);
    const penalty = rules === "fixed" ? (setup.penaltyPerSeat as number) : 0;
    const side = setup.sidePayment as number;
    const matmulShare = params.matmulShareBps / 10_000;
    const ones = new Array<number>(n).fill(1);
    let escaped = 0;
    let contradicted = 0;
    let seatedTrials = 0;
    const profit: number[] = [];
    for (let t = 0; t < trials; t++) {
      const vrf: Hex[] = [];
      for (let i = 0; i < n; i++) vrf.push(randomHex(rng, 32));
      const seats = committeeSeatsOf(vrf, ones, n, params.committeeSize);
      const members = seats.map((s, i) => ({ seats: s, pass: i < colluders })).filter((m) => m.seats > 0);
      const vouched = members.filter((m) => m.pass).reduce((a, m) => a + m.seats, 0);
      const honestSeated = members.some((m) => !m.pass);
      const failed = members.length > 0 && committeeVerdict(members, params).verdict === Verdict.FAIL;
      const fraudProof = honestSeated && rng.chance(matmulShare);
      const evidence = failed || fraudProof;
      if (!evidence) escaped++;
      if (vouched > 0) {
        seatedTrials++;
        if (evidence) contradicted++;
        profit.push(side - (evidence ? penalty : 0));
      }
    }
    return {
      metrics: [
        rate("escapeRate", escaped, trials, "cheating epochs with no FAIL verdict and no fraud proof"),
        rate(
          "contradictedRate",
          contradicted,
          seatedTrials,
          "epochs with a colluder seated in which evidence contradicts its PASS",
        ),
        mean("vouchProfitPerSeat", profit, "a colluder's tokens per vouching seat: side payment − penalty"),
      ],
      assumptions: [
        VRF_ASSUMPTION,
        "the cheater diverts its GPU every epoch; honest members' runs fail; the epoch's kind is matmul with " +
          `probability ${matmulShare} and then every honest member's run yields a fraud proof`,
        rules === "fixed"
          ? `PROPOSED RULE, not in the protocol: each PASS seat contradicted by a standing FAIL verdict or a fraud proof loses ${penalty} tokens`
          : "the protocol's rules: no penalty on a PASS attestation, whatever evidence shows",
      ],
      notes: [`${colluders} of ${n} checkers collude; side payment ${side} per seat, penalty ${penalty}`],
    };
  },
};
