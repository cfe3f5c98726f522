import type { PeerScoreParams, PeerScoreThresholds, TopicScoreParams } from "@libp2p/gossipsub/score";

/**
 * Gossipsub peer-scoring tables. The shape follows Lodestar's
 * `network/gossip/scoringParameters.ts` (itself from the Ethereum consensus
 * specs' scoring guidance), scaled down: one topic, a few dozen peers.
 */
export const SCORE_LIMITS = {
  /** One invalid message costs -weight × 1² ; ten put a peer well below the graylist threshold. From Lodestar: invalid deliveries are weighted so a handful graylists a peer. */
  invalidMessageDeliveriesWeight: -100,
  /** Per decay interval (1 s); ~0.997^3600 ≈ 2e-5: an hour to forget. Lodestar decays invalid deliveries over ~50 epochs. */
  invalidMessageDeliveriesDecay: 0.997,
  /** Thresholds from go-libp2p-pubsub's recommended ratios (gossip > publish > graylist). */
  gossipThreshold: -4_000,
  publishThreshold: -8_000,
  graylistThreshold: -16_000,
  /** PX only from peers we already trust a little. */
  acceptPXThreshold: 100,
  opportunisticGraftThreshold: 5,
} as const;

/**
 * Invalid messages after which a peer with no other score is graylisted: the smallest n with
 * invalidMessageDeliveriesWeight × n² below graylistThreshold (-100 × 13² = -16,900 < -16,000).
 */
export function invalidMessagesToGraylist(): number {
  const { graylistThreshold, invalidMessageDeliveriesWeight } = SCORE_LIMITS;
  return Math.floor(Math.sqrt(graylistThreshold / invalidMessageDeliveriesWeight)) + 1;
}

function attestationTopicScoreParams(): Partial<TopicScoreParams> {
  return {
    topicWeight: 1,
    // Time in mesh rewards stable neighbours slightly, as in Lodestar.
    timeInMeshWeight: 0.03,
    timeInMeshQuantum: 12_000,
    timeInMeshCap: 300,
    firstMessageDeliveriesWeight: 0.5,
    firstMessageDeliveriesDecay: 0.99,
    firstMessageDeliveriesCap: 100,
    // Attestations are bursty (end of each epoch's checking phase): mesh
    // delivery-rate penalties would punish honest quiet peers, so they are off.
    meshMessageDeliveriesWeight: 0,
    meshFailurePenaltyWeight: 0,
    invalidMessageDeliveriesWeight: SCORE_LIMITS.invalidMessageDeliveriesWeight,
    invalidMessageDeliveriesDecay: SCORE_LIMITS.invalidMessageDeliveriesDecay,
  };
}

export function peerScoreParams(topics: string[]): Partial<PeerScoreParams> {
  return {
    topics: Object.fromEntries(topics.map((t) => [t, attestationTopicScoreParams() as TopicScoreParams])),
    topicScoreCap: 100,
    appSpecificScore: () => 0,
    appSpecificWeight: 1,
    // Loopback devnets put every peer on one IP: co-location scoring would
    // penalize the whole devnet, so it only starts above 64 peers per IP.
    IPColocationFactorWeight: -5,
    IPColocationFactorThreshold: 64,
    behaviourPenaltyWeight: -10,
    behaviourPenaltyThreshold: 6,
    behaviourPenaltyDecay: 0.99,
    decayInterval: 1_000,
    decayToZero: 0.01,
    retainScore: 3_600_000,
  };
}

export function peerScoreThresholds(): Partial<PeerScoreThresholds> {
  return {
    gossipThreshold: SCORE_LIMITS.gossipThreshold,
    publishThreshold: SCORE_LIMITS.publishThreshold,
    graylistThreshold: SCORE_LIMITS.graylistThreshold,
    acceptPXThreshold: SCORE_LIMITS.acceptPXThreshold,
    opportunisticGraftThreshold: SCORE_LIMITS.opportunisticGraftThreshold,
  };
}
