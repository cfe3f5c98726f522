import { encodeAbiParameters, getAddress, type Hex, hexToBytes, keccak256 } from "viem";
import type { Attestation, ChallengeKind, CheckResult, NetworkDomain, SignedAttestation } from "../types.ts";
import { checkLength, checkRange, defineCodec } from "./codec.ts";
import { DomainTag, domainSeparator } from "./domain.ts";

const UINT32_MAX = 0xffff_ffff;
const UINT64_MAX = (1n << 64n) - 1n;

/** The attestation's fields in signing order; the signed form appends the signature and VRF proof. */
const ATTESTATION_FIELDS = [
  { name: "epoch", type: "uint64" },
  { name: "provider", type: "address" },
  { name: "checker", type: "address" },
  { name: "kind", type: "uint8" },
  { name: "result", type: "uint8" },
  { name: "latencyP50Us", type: "uint32" },
  { name: "latencyP95Us", type: "uint32" },
  { name: "throughput", type: "uint64" },
  { name: "transcriptHash", type: "bytes32" },
] as const;

export const ATTESTATION_ABI = [{ type: "tuple", components: ATTESTATION_FIELDS }] as const;

function attestationFromFields(
  codec: string,
  f: {
    epoch: bigint;
    provider: Hex;
    checker: Hex;
    kind: number;
    result: number;
    latencyP50Us: number;
    latencyP95Us: number;
    throughput: bigint;
    transcriptHash: Hex;
  },
): Attestation {
  checkRange(codec, "kind", f.kind, 0, 2);
  checkRange(codec, "result", f.result, 0, 2);
  checkRange(codec, "latencyP95Us", f.latencyP95Us, f.latencyP50Us, UINT32_MAX);
  return {
    epoch: f.epoch,
    provider: getAddress(f.provider),
    checker: getAddress(f.checker),
    kind: f.kind as ChallengeKind,
    result: f.result as CheckResult,
    latencyP50Us: f.latencyP50Us,
    latencyP95Us: f.latencyP95Us,
    throughput: f.throughput,
    transcriptHash: f.transcriptHash,
  };
}

export const attestationCodec = defineCodec({
  name: "Attestation",
  maxBytes: 9 * 32,
  abi: ATTESTATION_ABI,
  toAbi: (a: Attestation) => [a] as const,
  fromAbi: ([f]) => attestationFromFields("Attestation", f),
});

/** The gossip payload of the attestation topic. */
export const signedAttestationCodec = defineCodec({
  name: "SignedAttestation",
  // tuple offset + 9 static words + 2 offsets + 2 × (length word + 96 bytes)
  maxBytes: 12 * 32 + 2 * (32 + 96),
  abi: [
    {
      type: "tuple",
      components: [
        ...ATTESTATION_FIELDS,
        { name: "signature", type: "bytes" },
        { name: "vrfProof", type: "bytes" },
      ],
    },
  ] as const,
  toAbi: (s: SignedAttestation) =>
    [{ ...s.attestation, signature: s.signature, vrfProof: s.vrfProof }] as const,
  fromAbi: ([f]) => {
    checkLength("SignedAttestation", "signature", f.signature, 96);
    checkLength("SignedAttestation", "vrfProof", f.vrfProof, 96);
    return {
      attestation: attestationFromFields("SignedAttestation", f),
      signature: f.signature,
      vrfProof: f.vrfProof,
    };
  },
});

/**
 * The 32 bytes a checker signs:
 * keccak256(abi.encode(ATTESTATION_TAG, domainSeparator, attestation)).
 */
export function attestationSigningRoot(attestation: Attestation, domain: NetworkDomain): Uint8Array {
  return hexToBytes(
    keccak256(
      encodeAbiParameters(
        [{ type: "bytes32" }, { type: "bytes32" }, ...ATTESTATION_ABI],
        [DomainTag.ATTESTATION, domainSeparator(domain), attestation],
      ),
    ),
  );
}

export { UINT32_MAX, UINT64_MAX };
