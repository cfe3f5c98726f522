/**
 * Base of every error the simulator throws, so `instanceof SimError` tells a
 * bad scenario or run from a bug in the protocol code it calls.
 */
export class SimError extends Error {
  override name = "SimError";
}
