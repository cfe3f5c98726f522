import type { BlsBackend, SignatureSet } from "@checkernet/protocol/bls/backend";

/** Checks one set; false for an invalid or malformed set, never throws. */
export function verifySet(backend: BlsBackend, set: SignatureSet): boolean {
  try {
    return backend.verify(set.publicKey, set.message, set.signature);
  } catch {
    return false;
  }
}

/**
 * Checks sets in one random-linear-combination batch (`BlsBackend.verifyBatch`) and, when the
 * batch fails, set by set, so one bad signature never fails its neighbours. One answer per set.
 */
export function checkSets(backend: BlsBackend, sets: readonly SignatureSet[]): boolean[] {
  if (sets.length === 1) return [verifySet(backend, sets[0]!)];
  let allValid = false;
  try {
    allValid = sets.length > 0 && backend.verifyBatch(sets);
  } catch {
    allValid = false;
  }
  if (allValid) return sets.map(() => true);
  return sets.map((s) => verifySet(backend, s));
}

/** Sets checked in one step of checkSetsYielding: a batch of 4 costs about what one pairing check does. */
const SETS_PER_STEP = 4;

/**
 * checkSets for the event loop: the same answers, in steps of SETS_PER_STEP sets (a batch, then set
 * by set when it fails) with the loop given back between steps, so a batch that could not go to the
 * worker thread (busy with a transcript evaluation) holds the loop for one step at a time rather than
 * for the whole batch: in the chaos Sybil drill, a flood's first full IP budget met epoch 2's
 * evaluations and four nodes' on-loop batches put the loop's lag p99 at 521 ms in that epoch.
 */
export async function checkSetsYielding(
  backend: BlsBackend,
  sets: readonly SignatureSet[],
): Promise<boolean[]> {
  const out: boolean[] = [];
  for (let i = 0; i < sets.length; i += SETS_PER_STEP) {
    if (i > 0) await new Promise((r) => setImmediate(r));
    const step = sets.slice(i, i + SETS_PER_STEP);
    let allValid = false;
    if (step.length > 1) {
      try {
        allValid = backend.verifyBatch(step);
      } catch {
        allValid = false;
      }
    }
    if (allValid) {
      for (const _ of step) out.push(true);
      continue;
    }
    for (const [j, s] of step.entries()) {
      if (j > 0) await new Promise((r) => setImmediate(r));
      out.push(verifySet(backend, s));
    }
  }
  return out;
}
