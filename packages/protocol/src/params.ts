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
  /**
   * Seats of the report committee that co-signs reports on-chain (also the size of a re-check committee). 135: the
   * smallest size at which some quorum keeps both a 1/3 coalition's capture (after the seed proposer's one-bit
   * bias, ×3) ≤ 1e-9 and a withholding 1/4 coalition's blocking (after its own seed bias, ×2) ≤ 1e-4
   * (`npm run params`, docs/PARAMETERS.md).
   */
  reportCommitteeSize: number;
  /** Fraction (basis points) of committee seats that must co-sign: 6000 → 81 of 135 seats (`npm run params`). */
  reportQuorumBps: number;
  /**
   * Epochs per committee period: the report committee is drawn from the seed and snapshot of a period's first
   * epoch and sealed on-chain once (its keys written as contract code), so each report reads all keys with one
   * EXTCODECOPY. 96: one day at 15-minute epochs; the sealing (~5M gas) costs ~55k gas per epoch amortized.
   */
  committeePeriodEpochs: number;
  /**
   * A: membership changes (delegation, undelegation, jail) landing in epoch c count from epoch c + A, so the
   * snapshot of an epoch is fixed before any adversary can know its seed: 54 makes the chance that a 1/3
   * coalition holds every seed proposer of the A − 1 epochs before (with its reveal/withhold choice), times the
   * ×3 bias of grinding the seed the window starts from, ≤ 1e-9 (`npm run params`). 13.5 hours at 15-minute
   * epochs.
   */
  activationDelayEpochs: number;
  /**
   * Epochs after its own during which a report is still accepted. 2: room for backups and an RPC outage; windows
   * that follow a report count from its landing, and unbonding must outlast this plus the contest window.
   */
  reportLatenessEpochs: number;
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
  /**
   * Epochs over which a re-check committee tests the contested provider, from the re-check epoch (contest + 2): each
   * member runs its challenge in one of them, chosen by its own unique BLS signature (`recheckRunEpoch`), so the
   * provider cannot tell when it is tested and has to serve honestly for the whole window instead of one known
   * epoch. 3: 45 minutes; the report lands in the window's last epoch, so recheckDeadlineEpochs ≥ 2 + 3 − 1 = 4.
   */
  recheckWindowEpochs: number;
  /** Nonced pings per latency challenge. */
  pingCount: number;
  /**
   * r, rows a checker opens per matmul challenge: each is checked against the root in full and
   * MATMUL_SAMPLED_ENTRIES (16) of its entries recomputed. 8: a provider with a fraction w of its rows wrong
   * passes a run with probability ≈ (1 − w)^8 (66 % at w = 5 %, against 81 % at the old r = 4), and the
   * checker's CPU stays under 1/200 of the provider's at n = 1024 with a margin (each opened row costs n/4
   * keccak permutations to check: r = 8 measured 1/257, r = 12 1/184). docs/protocol/challenges.md,
   * "Sampled entries: detection".
   */
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
  // --- challenge workloads (src/challenges/, docs/protocol/challenges.md) ---
  /**
   * Share (bps) of a latency run's pings that may go unanswered before the run is a TIMEOUT. 25%: two of the
   * default eight may be lost to a congested path without accusing the provider; more is not a live node.
   */
  latencyMaxLostBps: number;
  /**
   * p95 RTT (µs) above which a provider FAILs the liveness rule. 750 ms: the longest pair in the region table
   * (São Paulo to Singapore, ~16,000 km) measures ~330 ms on the public internet, so this is more than twice
   * any honest path, while a stalled or swapping node exceeds it.
   */
  latencyMaxP95Us: number;
  /**
   * Spacing (ms) of scheduled pings; ping i leaves at i·interval plus a seeded jitter in [0, interval/2), so a
   * provider cannot predict when the next one comes. 200 ms: eight pings take under two seconds.
   */
  pingIntervalMs: number;
  /** How long (ms) a checker waits for one pong before counting it lost. 2 s: over twice `latencyMaxP95Us`. */
  pingTimeoutMs: number;
  /**
   * Largest matmul n any codec or verifier accepts. 8192: 5.5·10^11 multiply-accumulates (~0.6 ms on an H100 at
   * datasheet rate), 32 KiB rows, and int32 cannot overflow below n = 131072 (|a·b| ≤ 2^14).
   */
  matmulMaxSize: number;
  /** Largest number of rows one MatmulOpen may ask for (codec bound). 64: 8× the default sample. */
  matmulMaxSampledRows: number;
  /**
   * Bytes per VRAM block. 256 KiB: regenerating one takes 8192 sequential keccak permutations, 4.25× the 1928
   * needed to hash it, and a checker regenerates `vramSampledBlocks` of them (1–3 s in JavaScript).
   */
  vramBlockSize: number;
  /**
   * Sequential steps of a VRAM walk (each step hashes one block chosen by the previous digest). 256: 64 MiB
   * hashed, ~170 ms at a GPU class's host rate; a non-storing provider needs 5.25× that (~880 ms) against a
   * deadline of 2× plus the network allowance, so it misses even at 1.5× the assumed host speed and 100 ms RTT
   * (docs/protocol/challenges.md, "VRAM deadline"). The checker's cost does not grow with it.
   */
  vramWalkSteps: number;
  /** Fraction (bps) of the claimed VRAM a provider fills with blocks. 90%: leaves room for the CUDA context and matmul buffers. */
  vramFillBps: number;
  /** Share (bps) of (epoch, provider) pairs whose workload is MATMUL; the rest get VRAM. Even split by default. */
  matmulShareBps: number;
}

export const DEFAULT_PARAMS: Readonly<ProtocolParams> = Object.freeze({
  epochSeconds: 900,
  committeeSize: 8,
  reportCommitteeSize: 135,
  reportQuorumBps: 6_000,
  committeePeriodEpochs: 96,
  activationDelayEpochs: 54,
  reportLatenessEpochs: 2,
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
  recheckWindowEpochs: 3,
  pingCount: 8,
  matmulSampledRows: 8,
  matmulSize: 1024,
  vramSampledBlocks: 16,
  checkingPhaseBps: 6_000,
  scoreLatencyTargetUs: 100_000,
  scoreLatencyWeightBps: 2_000,
  latencyMaxLostBps: 2_500,
  latencyMaxP95Us: 750_000,
  pingIntervalMs: 200,
  pingTimeoutMs: 2_000,
  matmulMaxSize: 8_192,
  matmulMaxSampledRows: 64,
  vramBlockSize: 262_144,
  vramWalkSteps: 256,
  vramFillBps: 9_000,
  matmulShareBps: 5_000,
});

export function withParams(overrides: Partial<ProtocolParams> = {}): ProtocolParams {
  return { ...DEFAULT_PARAMS, ...overrides };
}
