/**
 * Challenge workloads: latency/liveness pings, int8 matrix multiplication with
 * Merkle row commitments, and VRAM residency walks. Each workload generates
 * from a seed, has a reference solver and a verifier; transcripts bind a run
 * to its attestation. Specification: docs/protocol/challenges.md.
 */
export * from "./common.ts";
export * from "./gpu-classes.ts";
export * from "./latency.ts";
export * from "./matmul.ts";
export * from "./matmul-signature.ts";
export * from "./prng.ts";
export * from "./regions.ts";
export * from "./row-tree.ts";
export * from "./transcript.ts";
export * from "./vram.ts";
