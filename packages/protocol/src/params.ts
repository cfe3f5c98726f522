/**
 * Every tunable number of the protocol in one typed table. Each entry says
 * where its default comes from; docs/PARAMETERS.md explains them at length.
 * Amounts are in the reward token's smallest unit (18 decimals).
 */
export interface ProtocolParams {
  /** Seconds per epoch. Production: 15 min, like Aethir's capacity checks. Devnet and tests use seconds. */
  epochSeconds: number;
  /** Expected committee size k per provider (license-weighted sortition). Eight keeps a 1/3 minority below quorum with high probability (docs/PARAMETERS.md). */
  committeeSize: number;
  /** Fixed size of the per-epoch report committee that co-signs the report on-chain; bounds gas in the number of checkers. */
  reportCommitteeSize: number;
  /** Fraction (basis points) of report-committee seats that must co-sign. Two thirds, as in BFT quorums. */
  reportQuorumBps: number;
  /** Attestations needed before any verdict other than INCONCLUSIVE. */
  minAttestations: number;
  /**
   * A provider FAILs when failing attestation weight (seats) is strictly above this fraction (bps) of its total
   * weight. 6666, the largest bps value not above two thirds: slashing an honest provider then needs more than
   * 66.66% lying weight, and shielding a cheater needs at least 33.34%, so a lying minority below one third flips
   * neither way (6667 would let exactly 1/3 - ε shield; docs/PARAMETERS.md).
   */
  failureQuorumBps: number;
  /** Number of aggregator candidates ranked per epoch (1 leader + backups that step in on timeout). */
  aggregatorBackups: number;
  /** Tokens distributed per epoch (provider and license shares together). */
  epochRewardPool: bigint;
  /** Share of the pool for providers that passed (bps); the rest goes to licenses by verified participation. */
  providerShareBps: number;
  /** Fraction of stake slashed for a FAIL verdict (bps). */
  slashBps: number;
  /** Epochs during which a pending slash can be contested. */
  contestWindowEpochs: number;
  /** Bond a provider posts to contest a slash. */
  contestBond: bigint;
  /** Re-check committees are this many times larger than regular ones. */
  recheckCommitteeMultiplier: number;
  /** Epochs after a contest within which a re-check report must land; otherwise the default rule applies. */
  recheckDeadlineEpochs: number;
  /** Nonced pings per latency challenge. */
  pingCount: number;
  /** Rows a checker opens and recomputes per matmul challenge. */
  matmulSampledRows: number;
  /** Matrix dimension n of the matmul challenge. */
  matmulSize: number;
  /** Blocks a checker queries per VRAM challenge. */
  vramSampledBlocks: number;
  /**
   * Share (bps) of each epoch spent in the checking phase; attestations are published only after it, so
   * revealing one seat does not warn a checker's other providers. 60%: 9 of 15 minutes in production, and the
   * remaining 40% leaves room for gossip, one aggregator timeout per backup and the co-signing round.
   */
  checkingPhaseBps: number;
  /**
   * Median p50 round trip (µs) at or below which latency costs a provider no score. 100 ms: a same-continent
   * RTT is 10-60 ms and an intercontinental one 100-250 ms, so a provider is not punished for where checkers sit.
   */
  scoreLatencyTargetUs: number;
  /**
   * Weight (bps) of latency in scoreBps; the rest is the passing fraction. 20%: latency is noisy and
   * checker-location dependent, correctness and liveness are what the network sells.
   */
  scoreLatencyWeightBps: number;
}

export const DEFAULT_PARAMS: Readonly<ProtocolParams> = Object.freeze({
  epochSeconds: 900,
  committeeSize: 8,
  reportCommitteeSize: 16,
  reportQuorumBps: 6_667,
  minAttestations: 3,
  failureQuorumBps: 6_666,
  aggregatorBackups: 3,
  epochRewardPool: 1_000n * 10n ** 18n,
  providerShareBps: 7_000,
  slashBps: 1_000,
  contestWindowEpochs: 4,
  contestBond: 100n * 10n ** 18n,
  recheckCommitteeMultiplier: 2,
  recheckDeadlineEpochs: 4,
  pingCount: 8,
  matmulSampledRows: 4,
  matmulSize: 1024,
  vramSampledBlocks: 16,
  checkingPhaseBps: 6_000,
  scoreLatencyTargetUs: 100_000,
  scoreLatencyWeightBps: 2_000,
});

export function withParams(overrides: Partial<ProtocolParams> = {}): ProtocolParams {
  return { ...DEFAULT_PARAMS, ...overrides };
}
