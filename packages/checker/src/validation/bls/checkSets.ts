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
