/**
 * How often the adversary can choose a provider's stake of epoch e (stakeAt(e): e's reward weight and its
 * FAIL slash amount) knowing e's committees, under each rule weighed for review3 P1-3 (issue 14). The repo's
 * rule: every parameter that bounds an attack gets its probability computed by a script.
 *
 *   npx tsx scripts/stakeTimingOdds.ts
 *
 * Seeds (EpochReports.revealSeed): seed(e) is revealed during e − 1 by the proposer drawn from seed(e − 1),
 * who signs over seed(e − 1) and so can compute seed(e) (and the withheld fallback) as soon as seed(e − 1) is
 * revealed, during e − 2. A stake change made in epoch c and counted from c + k is chosen knowing seed(e),
 * e = c + k, iff the adversary can evaluate seed(e) during c = e − k: it must hold the k − 1 proposers of
 * seeds e − k + 2 … e, the activation delay's lookahead at A = k. Two numbers per delay:
 * - bound: the threat model's `lookaheadProbability(f, k, LOOKAHEAD_BIAS)` (branches of the reveal/withhold
 *   tree, times 3 for grinding the seed the window starts from; capped at 1);
 * - steered: the share of epochs an adversary reaches when every proposer of its own reveals or withholds so
 *   that the next proposer is its own too (closed form of that Markov chain, and a Monte Carlo run of it).
 * No protocol value is chosen here: ProviderRegistry (stake, requestUnstake, _take) keys the changes, these are
 * the odds.
 */
import { DEFAULT_PARAMS } from "../packages/protocol/src/params.ts";
import {
  fractionToNumber,
  LOOKAHEAD_BIAS,
  lookaheadProbability,
  THREAT_MODEL,
} from "../packages/protocol/src/security.ts";

const f = fractionToNumber(THREAT_MODEL.adversary);
const D = DEFAULT_PARAMS.activationDelayEpochs;
const MONTE_CARLO_EPOCHS = 1_000_000;

/** P(the next proposer is the adversary's): f after an honest proposer, 1 − (1 − f)² after its own (2 candidates). */
const afterOwn = 1 - (1 - f) ** 2;
/** Stationary share of the adversary's proposers when it steers: π = π·afterOwn + (1 − π)·f. */
const ownShare = f / (1 - afterOwn + f);

/** Steered share of epochs whose seed the adversary evaluates by e − k: k − 1 own proposers in a row. */
function steered(k: number): number {
  return k < 2 ? 1 : ownShare * afterOwn ** (k - 2);
}

function bound(k: number): number {
  return fractionToNumber(lookaheadProbability(THREAT_MODEL.adversary, k, LOOKAHEAD_BIAS));
}

/** The same chain drawn: share of epochs e whose k − 1 proposers before (seeds e − k + 2 … e) are all own. */
function monteCarlo(k: number, epochs: number): number {
  let state = 0x9e3779b9;
  const random = () => {
    // xorshift32: a fixed seed, so the printed numbers repeat.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  let own = false;
  let run = 0;
  let hits = 0;
  for (let e = 0; e < epochs; e++) {
    own = own ? random() < f || random() < f : random() < f;
    run = own ? run + 1 : 0;
    if (run >= k - 1) hits++;
  }
  return hits / epochs;
}

const p = (x: number) => (x >= 0.001 ? x.toFixed(3) : x.toExponential(2));

console.log(`f = ${f.toFixed(4)}, activationDelayEpochs D = ${D}; seeds steered by reveal/withhold\n`);
console.log(
  "| counted from | seed(e) known in time: bound | steered (closed form) | steered (Monte Carlo) |",
);
console.log("| --- | --- | --- | --- |");
for (const k of [2, 3, 4, D]) {
  const mc = k <= 6 ? p(monteCarlo(k, MONTE_CARLO_EPOCHS)) : "-";
  console.log(`| c + ${k} | ${p(bound(k))} | ${p(steered(k))} | ${mc} |`);
}

const once = 1 / (D - 1);
console.log(`
Rules for a change in epoch c (a raise adds stake for e, a cut takes it away):
- before (raise and cut from c + 2): both chosen in ${p(steered(2))} of epochs (bound ${p(bound(2))}), every epoch again.
- (a) raise and cut from c + 3: both in ${p(steered(3))} (bound ${p(bound(3))}), every epoch again.
- (b) reward weight min(stakeAt(e − 1), stakeAt(e)), slash amount max(·): the same as (a) (a raise or a cut must
  be made by e − 3 to count for e), with a second stake read per provider at every node.
- chosen: a raise from c + max(D, 2), a cut from c + 2 but never before the epoch after the latest raise's own
  first epoch (a slash from c + 2 whatever is pending: no choice of the provider's, review5 H2):
  raise ${p(steered(D))} (bound ${p(bound(D))}, the activation delay's own target); a cut of stake held since
  before e − 2 still in ${p(steered(2))} of epochs, like a leave, but the stake it removes counts again only
  D epochs after it is added back: out of D − 2 = ${D - 2} sets, so at most one chosen cut per D − 1 = ${D - 1}
  epochs per token (${p(once)} of epochs), whatever the seeds.`);
