import { g2ToEip2537 } from "@checkernet/protocol/bls/eip2537";
import { canonicalEquivocation, type EquivocationEvidence } from "@checkernet/protocol/equivocation";
import type { Attestation, SignedAttestation } from "@checkernet/protocol/types";
import { bytesToHex, type Hex, hexToBytes } from "viem";

/** `Slashing.slashEquivocation`'s arguments: (first, firstSignature, second, secondSignature). */
export type SlashEquivocationArgs = readonly [Attestation, Hex, Attestation, Hex];

/**
 * The arguments of `Slashing.slashEquivocation` for a piece of evidence, in its
 * canonical order (so the event's rootA/rootB are the same whoever reports it),
 * each 96-byte compressed signature expanded to the 256-byte EIP-2537 point the
 * pairing precompile takes. Throws a BlsError (INVALID_SIGNATURE) on a
 * signature that is not a point: such evidence could never verify.
 *
 * @example
 * await walletClient.writeContract({ address: slashing, abi: slashingAbi,
 *   functionName: "slashEquivocation", args: slashEquivocationArgs(evidence) });
 */
export function slashEquivocationArgs(evidence: EquivocationEvidence): SlashEquivocationArgs {
  const { first, second } = canonicalEquivocation(evidence);
  return [first.attestation, expanded(first), second.attestation, expanded(second)];
}

function expanded(signed: SignedAttestation): Hex {
  return bytesToHex(g2ToEip2537(hexToBytes(signed.signature)));
}
