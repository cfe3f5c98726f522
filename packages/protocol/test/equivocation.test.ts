import { getAddress, type Hex, hexToBytes, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { nobleBackend as bls } from "../src/bls/noble.ts";
import { attestationSigningRoot } from "../src/encoding/attestation.ts";
import {
  canonicalEquivocation,
  EquivocationError,
  EquivocationErrorCode,
  type EquivocationEvidence,
  equivocationCodec,
  equivocationId,
  verifyEquivocation,
} from "../src/equivocation.ts";
import { DecodeError, DecodeErrorCode } from "../src/errors.ts";
import {
  type Attestation,
  ChallengeKind,
  CheckResult,
  type NetworkDomain,
  type SignedAttestation,
} from "../src/types.ts";

const domain: NetworkDomain = {
  chainId: 31337n,
  verifyingContract: getAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3"),
};
const secretKey = hexToBytes(`0x${"11".repeat(31)}01`);
const otherKey = hexToBytes(`0x${"22".repeat(31)}02`);
const publicKey = bls.publicKey(secretKey);

const base: Attestation = {
  epoch: 42n,
  provider: getAddress("0x00000000000000000000000000000000000000aa"),
  checker: getAddress("0x00000000000000000000000000000000000000cc"),
  kind: ChallengeKind.LATENCY,
  result: CheckResult.PASS,
  latencyP50Us: 1_000,
  latencyP95Us: 2_000,
  throughput: 0n,
  transcriptHash: `0x${"ab".repeat(32)}`,
};

function sign(attestation: Attestation, key = secretKey, onDomain = domain): SignedAttestation {
  return {
    attestation,
    signature: toHex(bls.sign(key, attestationSigningRoot(attestation, onDomain))),
    vrfProof: toHex(bls.sign(key, new Uint8Array(32))),
  };
}

const pass = sign(base);
const fail = sign({ ...base, result: CheckResult.FAIL, latencyP50Us: 0, latencyP95Us: 0 });
const evidence: EquivocationEvidence = { first: pass, second: fail };

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EquivocationError);
    return (e as EquivocationError).code;
  }
  throw new Error("did not throw");
}

describe("equivocation evidence", () => {
  it("a real equivocation verifies and yields both signing roots", () => {
    const { rootA, rootB } = verifyEquivocation(evidence, domain, publicKey);
    const roots = [
      toHex(attestationSigningRoot(pass.attestation, domain)),
      toHex(attestationSigningRoot(fail.attestation, domain)),
    ];
    expect(new Set([rootA, rootB])).toEqual(new Set(roots));
    expect(rootA).not.toBe(rootB);
  });

  it("has one encoding and one id whatever order the halves were seen in", () => {
    const swapped = { first: fail, second: pass };
    expect(equivocationCodec.encode(swapped)).toEqual(equivocationCodec.encode(evidence));
    expect(equivocationId(swapped)).toBe(equivocationId(evidence));
    expect(canonicalEquivocation(swapped)).toEqual(canonicalEquivocation(evidence));
    expect(verifyEquivocation(swapped, domain, publicKey)).toEqual(
      verifyEquivocation(evidence, domain, publicKey),
    );
  });

  it("round-trips through its codec within the size bound", () => {
    const bytes = equivocationCodec.encode(evidence);
    expect(bytes.length).toBeLessThanOrEqual(equivocationCodec.maxBytes);
    expect(equivocationCodec.decode(bytes)).toEqual(canonicalEquivocation(evidence));
  });

  it("refuses the non-canonical order, oversized input and malformed halves", () => {
    const canonical = canonicalEquivocation(evidence);
    // Encode the reversed order by hand: the codec always sorts, so go through its ABI with a sorted-away pair.
    const reversed = equivocationCodec.encode(canonical);
    const asHex = toHex(reversed);
    // Swapping the two halves' bodies keeps the ABI layout (equal sizes) but breaks the order.
    const body = asHex.slice(2 + 3 * 64);
    const half = body.length / 2;
    const swappedHex = `0x${asHex.slice(2, 2 + 3 * 64)}${body.slice(half)}${body.slice(0, half)}` as Hex;
    expect(() => equivocationCodec.decode(hexToBytes(swappedHex))).toThrow(
      expect.objectContaining({ code: DecodeErrorCode.NON_CANONICAL }),
    );
    expect(() => equivocationCodec.decode(new Uint8Array(equivocationCodec.maxBytes + 1))).toThrow(
      expect.objectContaining({ code: DecodeErrorCode.OVERSIZED }),
    );
    const shortSig = { first: { ...pass, signature: "0x1234" as Hex }, second: fail };
    expect(() => equivocationCodec.decode(equivocationCodec.encode(shortSig))).toThrow(DecodeError);
  });

  it("the id ignores signatures and VRF proofs", () => {
    const resigned = { first: { ...pass, vrfProof: fail.vrfProof }, second: fail };
    expect(equivocationId(resigned)).toBe(equivocationId(evidence));
  });

  it("NOT_SAME_SLOT: epoch, provider or checker differ", () => {
    for (const change of [
      { epoch: 43n },
      { provider: getAddress("0x00000000000000000000000000000000000000ab") },
      { checker: getAddress("0x00000000000000000000000000000000000000cd") },
    ]) {
      const other = sign({ ...fail.attestation, ...change });
      expect(codeOf(() => verifyEquivocation({ first: pass, second: other }, domain, publicKey))).toBe(
        EquivocationErrorCode.NOT_SAME_SLOT,
      );
    }
  });

  it("SAME_ROOT: one attestation twice is not a conflict", () => {
    expect(codeOf(() => verifyEquivocation({ first: pass, second: pass }, domain, publicKey))).toBe(
      EquivocationErrorCode.SAME_ROOT,
    );
    // A different VRF proof does not make it a different message.
    const sameMessage = { ...pass, vrfProof: fail.vrfProof };
    expect(codeOf(() => verifyEquivocation({ first: pass, second: sameMessage }, domain, publicKey))).toBe(
      EquivocationErrorCode.SAME_ROOT,
    );
  });

  it("BAD_SIGNATURE_FIRST / BAD_SIGNATURE_SECOND name the half as given", () => {
    const forged = { ...fail, signature: sign(fail.attestation, otherKey).signature };
    expect(codeOf(() => verifyEquivocation({ first: forged, second: pass }, domain, publicKey))).toBe(
      EquivocationErrorCode.BAD_SIGNATURE_FIRST,
    );
    expect(codeOf(() => verifyEquivocation({ first: pass, second: forged }, domain, publicKey))).toBe(
      EquivocationErrorCode.BAD_SIGNATURE_SECOND,
    );
    // Framing: a real attestation paired with the other's signature moved over.
    const moved = { ...fail, signature: pass.signature };
    expect(codeOf(() => verifyEquivocation({ first: pass, second: moved }, domain, publicKey))).toBe(
      EquivocationErrorCode.BAD_SIGNATURE_SECOND,
    );
  });

  it("a pair signed for another network does not verify on this one", () => {
    const elsewhere: NetworkDomain = { ...domain, chainId: 1n };
    const pair = {
      first: sign(pass.attestation, secretKey, elsewhere),
      second: sign(fail.attestation, secretKey, elsewhere),
    };
    expect(() => verifyEquivocation(pair, elsewhere, publicKey)).not.toThrow();
    expect(codeOf(() => verifyEquivocation(pair, domain, publicKey))).toMatch(/BAD_SIGNATURE_/);
    // And a key that did not sign is no key to blame.
    expect(codeOf(() => verifyEquivocation(evidence, domain, bls.publicKey(otherKey)))).toMatch(
      /BAD_SIGNATURE_/,
    );
  });
});
