import type { Address } from "@checkernet/protocol/types";
import { CheckerError } from "../errors.ts";

/**
 * Thrown by a duty for a run it must not attest: the run failed on time alone
 * and this checker's own stalls could have caused it (ChallengeRun.abstain).
 */
export class OwnLagAbstention extends CheckerError {
  override name = "OwnLagAbstention";
  readonly provider: Address;
  readonly ownStallMs: number;

  constructor(provider: Address, abstain: { reason: string; ownStallMs: number }) {
    super(`abstained on ${provider}: ${abstain.reason}`);
    this.provider = provider;
    this.ownStallMs = abstain.ownStallMs;
  }
}
