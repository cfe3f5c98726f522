import { bytesToHex, getAddress, type Hex, hexToBytes } from "viem";
import { describe, expect, it } from "vitest";
import { recheckResultSigningRoot, signedRecheckResultCodec } from "../src/recheck.ts";
import {
  type LegacyRecheckResult,
  legacyRecheckResultSigningRoot,
  legacySignedRecheckResultCodec,
} from "../src/recheckLegacy.ts";
import { ChallengeKind, CheckResult } from "../src/types.ts";

/**
 * The 1.0.0 codec is frozen: results signed by 1.0.0 nodes sit in level dbs. The vectors below were produced
 * by the 1.0.0 code itself (packages/protocol/src/recheck.ts at a59c07b^, its signedRecheckResultCodec and
 * recheckResultSigningRoot run on this result), not by the code under test, so a change to the shared result
 * fields that would silently change the 1.0.0 layout or root fails here.
 */

const word = (hex: string) => hex.padStart(64, "0");
const result: LegacyRecheckResult = {
  slashId: 7n,
  provider: getAddress("0x00000000000000000000000000000000000000a1"),
  recheckEpoch: 12n,
  checker: getAddress("0x00000000000000000000000000000000000000c2"),
  kind: ChallengeKind.VRAM,
  result: CheckResult.FAIL,
  latencyP50Us: 4_321,
  transcriptHash: `0x${"ab".repeat(32)}`,
};
const signature: Hex = `0x${"5e".repeat(96)}`;
const domain = {
  chainId: 31337n,
  verifyingContract: getAddress("0x00000000000000000000000000000000000000d3"),
};

/** abi.encode((slashId, provider, recheckEpoch, checker, kind, result, latencyP50Us, transcriptHash, signature)). */
const V1_BYTES: Hex = `0x${[
  word("20"), // tuple offset
  word("07"),
  word("a1"),
  word("0c"),
  word("c2"),
  word("02"), // kind
  word("01"), // result
  word("10e1"),
  "ab".repeat(32),
  word("0120"), // signature offset within the tuple
  word("60"), // signature length: 96
  "5e".repeat(96),
].join("")}`;
const V1_SIGNING_ROOT: Hex = "0x972f327b0bd5e5197fdadfa9d2f80359eefa2d2ffca8dbe2bb20723c14cea10a";

describe("the frozen /checkernet/recheck/1.0.0 result", () => {
  it("encodes to the 448 bytes the 1.0.0 code wrote, and decodes them back to every field", () => {
    const encoded = legacySignedRecheckResultCodec.encode({ result, signature });
    expect(encoded.length).toBe(448);
    expect(bytesToHex(encoded)).toBe(V1_BYTES);
    expect(legacySignedRecheckResultCodec.decode(hexToBytes(V1_BYTES))).toEqual({ result, signature });
  });

  it("is signed over the root the 1.0.0 code signed, which no 2.0.0 root equals", () => {
    expect(bytesToHex(legacyRecheckResultSigningRoot(result, domain))).toBe(V1_SIGNING_ROOT);
    const current = { ...result, runEpoch: 12n, timeSignature: signature };
    expect(bytesToHex(recheckResultSigningRoot(current, domain))).not.toBe(V1_SIGNING_ROOT);
  });

  it("neither codec reads the other's bytes: a stored result has exactly one format", () => {
    expect(() => signedRecheckResultCodec.decode(hexToBytes(V1_BYTES))).toThrow();
    const current = signedRecheckResultCodec.encode({
      result: { ...result, runEpoch: 13n, timeSignature: signature },
      signature,
    });
    expect(() => legacySignedRecheckResultCodec.decode(current)).toThrow();
    expect(() => legacySignedRecheckResultCodec.decode(hexToBytes(`${V1_BYTES}00`))).toThrow();
  });
});
