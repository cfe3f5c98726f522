import { encodeAbiParameters, type Hex, hexToBytes, keccak256 } from "viem";
import { checkLength, defineCodec } from "./encoding/codec.ts";
import { domainSeparator } from "./encoding/domain.ts";
import {
  RECHECK_RESULT_BASE_FIELDS,
  RECHECK_RESULT_TAG,
  type RecheckResult,
  recheckResultBaseFromAbi,
} from "./recheck.ts";
import type { NetworkDomain } from "./types.ts";

/**
 * The frozen /checkernet/recheck/1.0.0 form of a signed re-check result. No node signs or serves it any more
 * (a59c07b moved the protocol to 2.0.0, recheck.ts); it is kept so that a member upgraded in the middle of a
 * contest can still read the result its 1.0.0 node stored (checker db/recheckRecords.ts). Frozen: these bytes
 * were signed, so neither the layout nor the signing root may ever change (test/recheckLegacy.test.ts pins
 * both to what the 1.0.0 code produced).
 */

/** A result as /checkernet/recheck/1.0.0 signed it: no run epoch, no time signature. */
export type LegacyRecheckResult = Omit<RecheckResult, "runEpoch" | "timeSignature">;

export interface LegacySignedRecheckResult {
  result: LegacyRecheckResult;
  /** BLS signature (96-byte G2, compressed) over legacyRecheckResultSigningRoot. */
  signature: Hex;
}

const LEGACY_RESULT_TUPLE = { type: "tuple", components: RECHECK_RESULT_BASE_FIELDS } as const;

/** abi.encode((8 result fields, bytes signature)): 448 bytes. */
export const legacySignedRecheckResultCodec = defineCodec({
  name: "SignedRecheckResult/1.0.0",
  // tuple offset + 8 static words + signature offset + length word + 96 bytes
  maxBytes: 10 * 32 + 32 + 96,
  abi: [
    {
      type: "tuple",
      components: [...RECHECK_RESULT_BASE_FIELDS, { name: "signature", type: "bytes" }],
    },
  ] as const,
  toAbi: (s: LegacySignedRecheckResult) => [{ ...s.result, signature: s.signature }] as const,
  fromAbi: ([f]) => {
    const result = recheckResultBaseFromAbi("SignedRecheckResult/1.0.0", f);
    checkLength("SignedRecheckResult/1.0.0", "signature", f.signature, 96);
    return { result, signature: f.signature };
  },
});

/** What a 1.0.0 member signed: keccak256(abi.encode(RECHECK_RESULT_TAG, domainSeparator(domain), result)). */
export function legacyRecheckResultSigningRoot(
  result: LegacyRecheckResult,
  domain: NetworkDomain,
): Uint8Array {
  const encoded = encodeAbiParameters(
    [{ type: "bytes32" }, { type: "bytes32" }, LEGACY_RESULT_TUPLE],
    [RECHECK_RESULT_TAG, domainSeparator(domain), result],
  );
  return hexToBytes(keccak256(encoded));
}
