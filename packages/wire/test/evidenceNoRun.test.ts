import { signedAttestationCodec } from "@checkernet/protocol/encoding/attestation";
import { ChallengeKind, CheckResult, type SignedAttestation } from "@checkernet/protocol/types";
import { bytesToHex, zeroHash } from "viem";
import { describe, expect, it } from "vitest";
import { evidenceNoRunCodec, noRunMessage } from "../src/evidence.ts";

/**
 * The no-run answer of the evidence protocol: its message quotes the provider's registry value, which may be
 * any length, so the server cuts it (on a character boundary) to what the codec's bound allows.
 */
const signed: SignedAttestation = {
  attestation: {
    epoch: 9n,
    provider: "0x00000000000000000000000000000000000000aa",
    checker: "0x00000000000000000000000000000000000000bb",
    kind: ChallengeKind.LATENCY,
    result: CheckResult.FAIL,
    latencyP50Us: 0,
    latencyP95Us: 0,
    throughput: 0n,
    transcriptHash: zeroHash,
  },
  signature: bytesToHex(new Uint8Array(96).fill(1)),
  vrfProof: bytesToHex(new Uint8Array(96).fill(2)),
};

describe("evidence no-run answer", () => {
  it("keeps a short reason whole and cuts a registry value of any length to fit the codec", () => {
    const short = 'registry entry not usable (gpuModel): unknown GPU model "h100"';
    expect(noRunMessage(short)).toBe(short);

    // A GPU model of 4,000 three-byte characters: cut to ≤ 256 bytes, never inside a character.
    const long = `registry entry not usable (gpuModel): unknown GPU model "${"€".repeat(4000)}"`;
    const cut = noRunMessage(long);
    expect(new TextEncoder().encode(cut).length).toBeLessThanOrEqual(256);
    expect(cut).toMatch(/^registry entry not usable \(gpuModel\): unknown GPU model "€+\.\.\.$/);

    const answer = {
      attestation: bytesToHex(signedAttestationCodec.encode(signed)),
      code: "UNUSABLE_REGISTRY_ENTRY",
      field: "gpuModel",
      message: cut,
    };
    expect(evidenceNoRunCodec.decode(evidenceNoRunCodec.encode(answer))).toEqual(answer);
    // Uncut, the same answer is over the bound: the server could not send it.
    expect(() => evidenceNoRunCodec.encode({ ...answer, message: long })).toThrow(/more than its limit/);
  });
});
