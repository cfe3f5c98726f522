/**
 * @checkernet/protocol: the whole protocol as pure functions. Modules can also
 * be imported one by one (`@checkernet/protocol/sortition`), which keeps the
 * native BLS backend and the challenge solvers out of code that needs neither.
 */
export * from "./bls/index.ts";
/** Challenge workloads live in their own namespace: their Merkle row tree has its own `processProof`. */
export * as challenges from "./challenges/index.ts";
export * from "./contest.ts";
export * from "./encoding/attestation.ts";
export * from "./encoding/codec.ts";
export * from "./encoding/domain.ts";
export * from "./encoding/report.ts";
export * from "./epoch.ts";
export * from "./epochClock.ts";
export * from "./errors.ts";
export * from "./explain.ts";
/** Signed answers and fraud proofs, in their own namespace like the challenges they are about. */
export * as fraud from "./fraud/index.ts";
export * from "./keystore.ts";
export * from "./merkle/leaves.ts";
export * from "./merkle/trees.ts";
export * from "./params.ts";
export * from "./rewards.ts";
export * from "./scoring/report.ts";
export * from "./scoring/verdict.ts";
export * from "./security.ts";
export * from "./sortition.ts";
export * from "./types.ts";
