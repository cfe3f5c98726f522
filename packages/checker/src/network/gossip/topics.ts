/**
 * Gossip topic names, in the Ethereum consensus manner
 * (`/eth2/<fork>/<name>/ssz_snappy`): `/checkernet/<version>/<name>/<encoding>`.
 * The encoding here is the canonical ABI encoding of packages/protocol.
 */
export const GossipTopic = {
  ATTESTATION: "/checkernet/1/attestations/abi",
  /** Equivocation evidence (protocol/equivocation.ts equivocationCodec): docs/protocol/equivocation.md. */
  EQUIVOCATION: "/checkernet/1/equivocations/abi",
} as const;
export type GossipTopic = (typeof GossipTopic)[keyof typeof GossipTopic];
