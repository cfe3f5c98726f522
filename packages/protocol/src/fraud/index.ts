/**
 * Signed answers and fraud proofs: the provider's answer key signs its
 * answers (EIP-712), so one wrong signed matmul entry or VRAM digest is a
 * self-contained proof. Specification: docs/protocol/fraud-proofs.md.
 */
export * from "./answerSigning.ts";
export * from "./common.ts";
export * from "./fromTranscript.ts";
export * from "./matmulFraud.ts";
export * from "./vramFraud.ts";
