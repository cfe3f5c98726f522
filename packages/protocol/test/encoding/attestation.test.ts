import fc from "fast-check";
import { getAddress, type Hex, toHex } from "viem";
import { describe, expect, it } from "vitest";
import {
  attestationCodec,
  attestationSigningRoot,
  signedAttestationCodec,
} from "../../src/encoding/attestation.ts";
import { DecodeError, DecodeErrorCode } from "../../src/errors.ts";
import type { Attestation, SignedAttestation } from "../../src/types.ts";

const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => getAddress(toHex(b)));
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => toHex(b));
const bytes96 = fc.uint8Array({ minLength: 96, maxLength: 96 }).map((b) => toHex(b));

const attestationArb: fc.Arbitrary<Attestation> = fc
  .record({
    epoch: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    provider: address,
    checker: address,
    kind: fc.constantFrom(0, 1, 2) as fc.Arbitrary<Attestation["kind"]>,
    result: fc.constantFrom(0, 1, 2) as fc.Arbitrary<Attestation["result"]>,
    latencyP50Us: fc.nat({ max: 0xffff_ffff }),
    extra: fc.nat({ max: 0xffff_ffff }),
    throughput: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    transcriptHash: bytes32,
  })
  .map(({ extra, ...a }) => ({ ...a, latencyP95Us: Math.min(0xffff_ffff, a.latencyP50Us + extra) }));

const signedArb: fc.Arbitrary<SignedAttestation> = fc.record({
  attestation: attestationArb,
  signature: bytes96,
  vrfProof: bytes96,
});

const domain = {
  chainId: 31337n,
  verifyingContract: getAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3"),
};

describe("attestation encoding", () => {
  it("round-trips every attestation", () => {
    fc.assert(
      fc.property(attestationArb, (a) => {
        expect(attestationCodec.decode(attestationCodec.encode(a))).toEqual(a);
      }),
      { numRuns: 200 },
    );
  });

  it("round-trips signed attestations (the gossip payload)", () => {
    fc.assert(
      fc.property(signedArb, (s) => {
        const bytes = signedAttestationCodec.encode(s);
        expect(bytes.length).toBeLessThanOrEqual(signedAttestationCodec.maxBytes);
        expect(signedAttestationCodec.decode(bytes)).toEqual(s);
      }),
      { numRuns: 100 },
    );
  });

  it("refuses trailing garbage, truncation and oversized input with a typed error", () => {
    fc.assert(
      fc.property(signedArb, fc.uint8Array({ minLength: 1, maxLength: 64 }), (s, garbage) => {
        const bytes = signedAttestationCodec.encode(s);
        const withGarbage = new Uint8Array([...bytes, ...garbage]);
        expect(() => signedAttestationCodec.decode(withGarbage)).toThrow(DecodeError);
        expect(() => signedAttestationCodec.decode(bytes.subarray(0, bytes.length - 1))).toThrow(DecodeError);
      }),
      { numRuns: 100 },
    );
    const huge = new Uint8Array(signedAttestationCodec.maxBytes + 1);
    try {
      signedAttestationCodec.decode(huge);
      expect.unreachable();
    } catch (error) {
      expect((error as DecodeError).code).toBe(DecodeErrorCode.OVERSIZED);
    }
  });

  it("refuses any single-byte mutation or decodes it to a different value", () => {
    fc.assert(
      fc.property(attestationArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (a, at, flip) => {
        const bytes = attestationCodec.encode(a);
        const mutated = bytes.slice();
        const i = at % mutated.length;
        mutated[i] = (mutated[i] ?? 0) ^ flip;
        let decoded: Attestation | undefined;
        try {
          decoded = attestationCodec.decode(mutated);
        } catch (error) {
          expect(error).toBeInstanceOf(DecodeError);
          return;
        }
        expect(decoded).not.toEqual(a);
      }),
      { numRuns: 300 },
    );
  });

  it("refuses out-of-range enum values and wrong signature lengths", () => {
    const a: Attestation = {
      epoch: 7n,
      provider: getAddress("0x00000000000000000000000000000000000000aa"),
      checker: getAddress("0x00000000000000000000000000000000000000bb"),
      kind: 1,
      result: 0,
      latencyP50Us: 100,
      latencyP95Us: 200,
      throughput: 5n,
      transcriptHash: `0x${"11".repeat(32)}`,
    };
    const bytes = attestationCodec.encode(a);
    const badKind = bytes.slice();
    badKind[3 * 32 + 31] = 9;
    expect(() => attestationCodec.decode(badKind)).toThrow(/kind is out of range/);
    const p95BelowP50 = attestationCodec.encode({ ...a, latencyP50Us: 300, latencyP95Us: 200 });
    expect(() => attestationCodec.decode(p95BelowP50)).toThrow(/latencyP95Us/);
    const shortSig = signedAttestationCodec.encode({
      attestation: a,
      signature: `0x${"22".repeat(95)}` as Hex,
      vrfProof: `0x${"33".repeat(96)}` as Hex,
    });
    expect(() => signedAttestationCodec.decode(shortSig)).toThrow(/signature must be 96 bytes/);
  });

  it("binds the signing root to every field and to the deployment", () => {
    fc.assert(
      fc.property(attestationArb, attestationArb, (a, b) => {
        const same =
          JSON.stringify(a, (_, v) => (typeof v === "bigint" ? v.toString() : v)) ===
          JSON.stringify(b, (_, v) => (typeof v === "bigint" ? v.toString() : v));
        const rootA = toHex(attestationSigningRoot(a, domain));
        const rootB = toHex(attestationSigningRoot(b, domain));
        expect(rootA === rootB).toBe(same);
        expect(toHex(attestationSigningRoot(a, { ...domain, chainId: 1n }))).not.toBe(rootA);
      }),
      { numRuns: 100 },
    );
  });
});
