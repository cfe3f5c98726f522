import type { Address } from "viem";
import {
  DEFAULT_RECHECK_RULES,
  quorumFromBps,
  recheckVerdict,
  reportCommittee,
  type SignedRecheckResult,
  Verdict,
} from "../../protocol.ts";
import { seatAddress } from "../../verdicts.ts";
import { type AttackModule, mean, randomHex, rate, TARGET_PROVIDER, VRF_ASSUMPTION } from "./common.ts";

/**
 * A re-check leader that leaves results out: an honest provider contested a
 * false slash; a colluding `adversaryBps` share of the licenses sits on the
 * re-check committee and reports FAIL; every honest member reports PASS. The
 * colluders' leader keeps its own FAIL results and only as many honest PASS
 * results as it needs co-signers for the quorum (reportQuorumBps of the
 * seats; each co-signer checks only that its own result is counted), and
 * leaves every other honest result out. It submits when the verdict of what
 * it kept is FAIL (a false uphold).
 *
 * `current`: recheckVerdict divides by the committee's seats (a left-out seat
 * counts as a pass). `vulnerable`: the rule before, which divided by the
 * seats counted, modelled by passing recheckVerdict only the counted
 * members' seats as the committee (the same function, the narrower
 * denominator).
 */
export const recheckOmission: AttackModule = {
  name: "recheck-omission",
  summary: "a colluding re-check leader leaves honest PASS results out to uphold a false slash",
  setup: {
    checkers: { default: 10_000, min: 10, max: 100_000, integer: true, what: "checkers, one license each" },
    adversaryBps: {
      default: 3_333,
      min: 0,
      max: 10_000,
      integer: true,
      what: "colluders' share of the licenses (bps); the first checkers",
    },
  },
  run({ rules, params, setup, trials, rng }) {
    const L = setup.checkers as number;
    const colluders = Math.floor((L * (setup.adversaryBps as number)) / 10_000);
    const size = params.reportCommitteeSize;
    const quorum = quorumFromBps(size, params.reportQuorumBps);
    const recheckEpoch = 12n;
    let upheld = 0;
    const adversarySeats: number[] = [];
    for (let t = 0; t < trials; t++) {
      const seats = reportCommittee(randomHex(rng, 32), recheckEpoch, size, L);
      const committee: Address[] = seats.map((lic) => seatAddress(lic));
      const weight = new Map<number, number>();
      for (const lic of seats) weight.set(lic, (weight.get(lic) ?? 0) + 1);
      const kept: SignedRecheckResult[] = [];
      const keptSeats: Address[] = [];
      let adv = 0;
      const keep = (member: number, fail: boolean) => {
        const address = seatAddress(member);
        kept.push({
          result: {
            slashId: 1n,
            provider: TARGET_PROVIDER,
            recheckEpoch,
            checker: address,
            kind: 0,
            result: fail ? 1 : 0,
            latencyP50Us: 20_000,
            transcriptHash: `0x${"00".repeat(32)}`,
            runEpoch: recheckEpoch,
            timeSignature: `0x${"11".repeat(96)}`,
          },
          signature: `0x${"11".repeat(96)}`,
        });
        for (let i = 0; i < (weight.get(member) ?? 0); i++) keptSeats.push(address);
      };
      for (const [member, w] of weight) {
        if (member < colluders) {
          keep(member, true);
          adv += w;
        }
      }
      adversarySeats.push(adv);
      // Honest co-signers, in seat order, until the quorum is reached.
      let signed = adv;
      for (const [member, w] of weight) {
        if (signed >= quorum) break;
        if (member >= colluders) {
          keep(member, false);
          signed += w;
        }
      }
      if (signed < quorum) continue;
      const v = recheckVerdict(kept, rules === "current" ? committee : keptSeats, DEFAULT_RECHECK_RULES);
      if (v.verdict === Verdict.FAIL) upheld++;
    }
    return {
      metrics: [
        rate("falseUpholdRate", upheld, trials, "contests of an honest provider upheld (its stake slashed)"),
        mean("adversarySeats", adversarySeats, "colluders' seats on the re-check committee"),
      ],
      assumptions: [
        VRF_ASSUMPTION,
        `re-check committee: ${size} seats drawn with the report committee's rule (reportCommittee) over ${L} ` +
          `one-license checkers, ${colluders} of them colluding; quorum ${quorum} seats`,
        "the colluders' leader gets its turn (it ranks first, or honest leaders miss the quorum without the colluders)",
        rules === "current"
          ? "verdict: recheckVerdict over the committee's seats (a left-out result counts as a pass)"
          : "verdict: recheckVerdict over the counted members' seats only (the rule before: dividing by the seats counted)",
      ],
      notes: [],
    };
  },
};
