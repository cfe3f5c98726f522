/**
 * The one place the simulator imports protocol code from. Everything here is
 * the code the checker node and the contracts' test vectors use; the
 * simulator never re-implements a rule it can call.
 */
import { GPU_CLASSES } from "@checkernet/protocol/challenges/gpu-classes";
import { REGIONS } from "@checkernet/protocol/challenges/regions";
import { DEFAULT_PARAMS, type ProtocolParams } from "@checkernet/protocol/params";
import type { Vocabulary } from "./scenario/schema.ts";

export {
  gpuClass,
  matmulDeadlineMs,
  matmulHostBytes,
  VRAM_GENERATION_COST_RATIO,
  vramDeadlineMs,
  vramRegenerationMs,
} from "@checkernet/protocol/challenges/gpu-classes";
export {
  FIBER_SPEED_KM_S,
  greatCircleKm,
  minimumRttUs,
  REGIONS,
} from "@checkernet/protocol/challenges/regions";
export { ContestOutcome, resolveContest } from "@checkernet/protocol/contest";
export { FIRST_EPOCH } from "@checkernet/protocol/epoch";
export type { ResultLeaf } from "@checkernet/protocol/merkle/leaves";
export type { ProtocolParams } from "@checkernet/protocol/params";
export {
  DEFAULT_RECHECK_RULES,
  recheckRunEpoch,
  recheckVerdict,
  type SignedRecheckResult,
} from "@checkernet/protocol/recheck";
export { slashAmount, splitEpochRewards } from "@checkernet/protocol/rewards";
export {
  computeVerdict,
  isAccusation,
  type ProviderVerdict,
  type WeightedAttestation,
} from "@checkernet/protocol/scoring/verdict";
export { quorumFromBps, simulateSeedGrinding } from "@checkernet/protocol/security";
export { attestationSeats, reportCommittee } from "@checkernet/protocol/sortition";
export {
  type Attestation,
  ChallengeKind,
  CheckResult,
  type NetworkDomain,
  Verdict,
} from "@checkernet/protocol/types";

/**
 * Region and GPU-class names a scenario may use: the protocol's tables
 * (minus `local`, the devnet loopback region, which has no position).
 */
export const VOCABULARY: Vocabulary = {
  regions: REGIONS.filter((r) => r.id !== "local").map((r) => r.id),
  gpus: GPU_CLASSES.filter((g) => g.id !== "cpu-reference").map((g) => g.id),
};

/** Token amounts in scenarios are whole tokens; the protocol counts in 18-decimal units. */
const WEI_PER_TOKEN = 10n ** 18n;

export function tokensToWei(tokens: number): bigint {
  // Through a fixed 9-decimal string so 0.1 tokens is exactly 10^17 units.
  const [whole, frac = ""] = tokens.toFixed(9).split(".");
  return BigInt(whole as string) * WEI_PER_TOKEN + BigInt(frac.padEnd(18, "0"));
}

export function weiToTokens(wei: bigint): number {
  const whole = wei / WEI_PER_TOKEN;
  const rest = wei % WEI_PER_TOKEN;
  return Number(whole) + Number(rest) / 1e18;
}

/** ProtocolParams for a scenario: DEFAULT_PARAMS with the scenario's overrides (token amounts converted). */
export function scenarioParams(
  overrides: Record<string, number>,
  tokenFields: readonly string[],
): ProtocolParams {
  const out: Record<string, unknown> = { ...DEFAULT_PARAMS };
  for (const [key, value] of Object.entries(overrides)) {
    out[key] = tokenFields.includes(key) ? tokensToWei(value) : value;
  }
  return out as unknown as ProtocolParams;
}
