/**
 * Base of every error the contracts package throws (deployment, the
 * deployment file), so `instanceof ContractsError` tells them from viem's.
 * Each subclass keeps its own fields (`code`, `field`) and message format.
 */
export class ContractsError extends Error {
  override name = "ContractsError";
}
