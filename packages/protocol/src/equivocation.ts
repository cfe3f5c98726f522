import { bytesToHex, encodeAbiParameters, type Hex, hexToBytes, keccak256 } from "viem";
import type { BlsBackend } from "./bls/backend.ts";
import { nobleBackend } from "./bls/noble.ts";
import {
  ATTESTATION_ABI,
  attestationCodec,
  attestationSigningRoot,
  signedAttestationCodec,
} from "./encoding/attestation.ts";
import { defineCodec } from "./encoding/codec.ts";
import { ProtocolError } from "./errors.ts";
import type { Attestation, NetworkDomain, SignedAttestation } from "./types.ts";

/**
 * Equivocation evidence: two different attestations signed by one checker
 * for the same (epoch, provider). Either one alone is a valid attestation;
 * the pair proves the checker broke the one-attestation-per-slot rule and is
 * what `Slashing.slashEquivocation` takes on chain.
 *
 * The pair has one canonical order (see `canonicalEquivocation`), so the
 * same conflict has one encoding and one `equivocationId` whichever half a
 * node saw first.
 */
export interface EquivocationEvidence {
  first: SignedAttestation;
  second: SignedAttestation;
}

/** Why a pair is not slashable evidence. String values go into metric labels. */
export const EquivocationErrorCode = {
  /** The two attestations differ in epoch, provider or checker: no rule forbids that. */
  NOT_SAME_SLOT: "EQUIVOCATION_ERROR_NOT_SAME_SLOT",
  /** The two attestations are the same message: not a conflict. */
  SAME_ROOT: "EQUIVOCATION_ERROR_SAME_ROOT",
  /** The first attestation's signature does not verify under the checker's key. */
  BAD_SIGNATURE_FIRST: "EQUIVOCATION_ERROR_BAD_SIGNATURE_FIRST",
  /** The second attestation's signature does not verify under the checker's key. */
  BAD_SIGNATURE_SECOND: "EQUIVOCATION_ERROR_BAD_SIGNATURE_SECOND",
} as const;
export type EquivocationErrorCode = (typeof EquivocationErrorCode)[keyof typeof EquivocationErrorCode];

export class EquivocationError extends ProtocolError<EquivocationErrorCode> {
  override name = "EquivocationError";
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

const SIGNED_ATTESTATION_TUPLE = {
  type: "tuple",
  components: [
    ...ATTESTATION_ABI[0].components,
    { name: "signature", type: "bytes" },
    { name: "vrfProof", type: "bytes" },
  ],
} as const;

/** Orders the two halves by the keccak256 of their attestation bytes (domain-free; ties by signature). */
function ordered(evidence: EquivocationEvidence): boolean {
  const a = hexToBytes(keccak256(attestationCodec.encode(evidence.first.attestation)));
  const b = hexToBytes(keccak256(attestationCodec.encode(evidence.second.attestation)));
  const byAttestation = compareBytes(a, b);
  if (byAttestation !== 0) return byAttestation < 0;
  return compareBytes(hexToBytes(evidence.first.signature), hexToBytes(evidence.second.signature)) <= 0;
}

/**
 * The same pair in canonical order: the half whose attestation encoding has
 * the smaller keccak256 first. The order needs no network domain, so the
 * codec and the id are the same on every network a node might confuse.
 */
export function canonicalEquivocation(evidence: EquivocationEvidence): EquivocationEvidence {
  return ordered(evidence) ? evidence : { first: evidence.second, second: evidence.first };
}

/**
 * The gossip / storage payload: abi.encode((SignedAttestation first,
 * SignedAttestation second)) of the canonical order. Encoding sorts; decoding
 * refuses a pair in the other order (DECODE_ERROR_NON_CANONICAL), so one
 * conflict has exactly one byte string.
 */
export const equivocationCodec = defineCodec({
  name: "EquivocationEvidence",
  // tuple offset + 2 offsets + 2 × (signed attestation body: 11 head words + 2 × (length + 96 bytes))
  maxBytes: 3 * 32 + 2 * (11 * 32 + 2 * (32 + 96)),
  abi: [
    {
      type: "tuple",
      components: [
        { name: "first", ...SIGNED_ATTESTATION_TUPLE },
        { name: "second", ...SIGNED_ATTESTATION_TUPLE },
      ],
    },
  ] as const,
  toAbi: (evidence: EquivocationEvidence) => {
    const { first, second } = canonicalEquivocation(evidence);
    return [
      {
        first: { ...first.attestation, signature: first.signature, vrfProof: first.vrfProof },
        second: { ...second.attestation, signature: second.signature, vrfProof: second.vrfProof },
      },
    ] as const;
  },
  fromAbi: ([f]) => {
    // Re-use the signed attestation codec's field checks (ranges, 96-byte signature and proof).
    const half = (h: typeof f.first): SignedAttestation => {
      const { signature, vrfProof, ...attestation } = h;
      return signedAttestationCodec.decode(
        signedAttestationCodec.encode({ attestation: attestation as Attestation, signature, vrfProof }),
      );
    };
    return { first: half(f.first), second: half(f.second) };
  },
});

/**
 * One id per conflict: keccak256(abi.encode(attestationA, attestationB)) of
 * the canonical order, over the attestations only. Signatures and VRF proofs
 * are left out so a relay cannot mint new ids for the same conflict by
 * swapping in another (invalid) proof; nodes key stored evidence by it.
 */
export function equivocationId(evidence: EquivocationEvidence): Hex {
  const { first, second } = canonicalEquivocation(evidence);
  return keccak256(
    encodeAbiParameters([ATTESTATION_ABI[0], ATTESTATION_ABI[0]], [first.attestation, second.attestation]),
  );
}

/**
 * Checks that a pair is slashable evidence against the checker whose BLS
 * public key is `publicKey` (the key registered in CheckerRegistry for
 * `attestation.checker`): same (epoch, provider, checker), different signing
 * roots, and both signatures valid under `domain`. Returns both signing roots
 * (canonical order) or throws an EquivocationError naming the failed rule —
 * the same rules, in the same order, as `Slashing.slashEquivocation`.
 *
 * @example
 * const { rootA, rootB } = verifyEquivocation(evidence, domain, checkerPublicKey);
 */
export function verifyEquivocation(
  evidence: EquivocationEvidence,
  domain: NetworkDomain,
  publicKey: Uint8Array,
  bls: BlsBackend = nobleBackend,
): { rootA: Hex; rootB: Hex } {
  const { first, second } = canonicalEquivocation(evidence);
  const a = first.attestation;
  const b = second.attestation;
  if (
    a.epoch !== b.epoch ||
    a.provider.toLowerCase() !== b.provider.toLowerCase() ||
    a.checker.toLowerCase() !== b.checker.toLowerCase()
  ) {
    throw new EquivocationError(
      EquivocationErrorCode.NOT_SAME_SLOT,
      "the attestations are for different slots",
      {
        first: { epoch: a.epoch, provider: a.provider, checker: a.checker },
        second: { epoch: b.epoch, provider: b.provider, checker: b.checker },
      },
    );
  }
  const rootA = attestationSigningRoot(a, domain);
  const rootB = attestationSigningRoot(b, domain);
  if (compareBytes(rootA, rootB) === 0) {
    throw new EquivocationError(EquivocationErrorCode.SAME_ROOT, "the attestations are the same message", {
      root: bytesToHex(rootA),
    });
  }
  // The error names the half as given by the caller, not the canonical one.
  const swapped = first !== evidence.first;
  const check = (root: Uint8Array, signature: Hex, code: EquivocationErrorCode) => {
    if (!bls.verify(publicKey, root, hexToBytes(signature))) {
      throw new EquivocationError(code, "an attestation signature does not verify under the checker's key", {
        root: bytesToHex(root),
        checker: a.checker,
      });
    }
  };
  const [codeA, codeB] = swapped
    ? [EquivocationErrorCode.BAD_SIGNATURE_SECOND, EquivocationErrorCode.BAD_SIGNATURE_FIRST]
    : [EquivocationErrorCode.BAD_SIGNATURE_FIRST, EquivocationErrorCode.BAD_SIGNATURE_SECOND];
  check(rootA, first.signature, codeA);
  check(rootB, second.signature, codeB);
  return { rootA: bytesToHex(rootA), rootB: bytesToHex(rootB) };
}
