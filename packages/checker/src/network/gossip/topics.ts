/**
 * Gossip topic names, in the Ethereum consensus manner
 * (`/eth2/<fork>/<name>/ssz_snappy`): `/checkernet/<version>/<name>/<encoding>`.
 * The encoding here is the canonical ABI encoding of packages/protocol.
 */
export const GossipTopic = {
  ATTESTATION: "/checkernet/1/attestations/abi",
} as const;
export type GossipTopic = (typeof GossipTopic)[keyof typeof GossipTopic];
