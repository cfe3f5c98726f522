import { g2ToEip2537 } from "@checkernet/protocol/bls/eip2537";
import { attestationSigningRoot } from "@checkernet/protocol/encoding/attestation";
import type { EquivocationEvidence } from "@checkernet/protocol/equivocation";
import type { Address, Attestation, NetworkDomain, SignedAttestation } from "@checkernet/protocol/types";
import { bytesToHex, type Hex, hexToBytes, keccak256, toHex } from "viem";
import { bls, type CheckerKey, type Fixture } from "./fixture.ts";

/** An attestation by `checker` about `provider` in `epoch` (a PASS unless `fields` say otherwise). */
export function attestationOf(
  epoch: bigint,
  provider: Address,
  checker: Address,
  fields: Partial<Attestation> = {},
): Attestation {
  return {
    epoch,
    provider,
    checker,
    kind: 0,
    result: 0,
    latencyP50Us: 20_000,
    latencyP95Us: 30_000,
    throughput: 0n,
    transcriptHash: keccak256(toHex(`transcript:${epoch}:${provider}:${checker}`)),
    ...fields,
  };
}

/** `attestation` signed with `key` for `domain` (the fixture's network by default), as a node gossips it. */
export async function signAttestation(
  fx: Fixture,
  key: CheckerKey,
  attestation: Attestation,
  domain: NetworkDomain = fx.domain,
): Promise<SignedAttestation> {
  const backend = await bls();
  const signature = backend.sign(key.secretKey, attestationSigningRoot(attestation, domain));
  return {
    attestation,
    signature: bytesToHex(signature),
    vrfProof: bytesToHex(backend.sign(key.secretKey, new Uint8Array(32))),
  };
}

/** A real equivocation: a PASS and a FAIL by the same key for one (epoch, provider). */
export async function equivocate(
  fx: Fixture,
  key: CheckerKey,
  epoch: bigint,
  provider: Address,
  checker: Address,
): Promise<EquivocationEvidence> {
  const pass = attestationOf(epoch, provider, checker);
  const fail = attestationOf(epoch, provider, checker, { result: 1, latencyP50Us: 0, latencyP95Us: 0 });
  return { first: await signAttestation(fx, key, pass), second: await signAttestation(fx, key, fail) };
}

/** The 256-byte EIP-2537 form of a signed attestation's signature. */
export function eip2537(signed: SignedAttestation): Hex {
  return bytesToHex(g2ToEip2537(hexToBytes(signed.signature)));
}
