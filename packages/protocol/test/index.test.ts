import { describe, expect, it } from "vitest";
import * as protocol from "../src/index.ts";

describe("package index", () => {
  it("exposes every module's entry points without name clashes", () => {
    for (const name of [
      "attestationCodec",
      "reportSigningRoot",
      "loadBlsBackend",
      "encryptKeystore",
      "committeeSeats",
      "computeVerdict",
      "buildReport",
      "splitEpochRewards",
      "resolveContest",
      "buildResultsTree",
      "DEFAULT_PARAMS",
    ]) {
      expect(protocol, name).toHaveProperty(name);
    }
    expect(typeof protocol.challenges.verifyMatmul).toBe("function");
    expect(typeof protocol.challenges.processProof).toBe("function");
    expect(protocol.processProof).not.toBe(protocol.challenges.processProof);
    expect(typeof protocol.fraud.verifyMatmulFraudProof).toBe("function");
    expect(typeof protocol.fraud.verifyVramFraudProof).toBe("function");
  });
});
