import { getAddress } from "viem";
import { describe, expect, it } from "vitest";
import { ADMIT_BODY_BYTES, decodeAdmit, encodeAdmit } from "../src/admission.ts";
import { WireErrorCode } from "../src/errors.ts";
import { CHALLENGE_PROTOCOL, CHALLENGE_PROTOCOL_1_0, FrameType } from "../src/framing.ts";

const PROVIDER = getAddress("0x8ba1f109551bd432803012645ac136ddd64dba72");

describe("ADMIT names the provider the run is for (review4 L3)", () => {
  it("carries the request's type and the provider's address, checksummed on decode", () => {
    const body = encodeAdmit(
      FrameType.VRAM_QUERY,
      PROVIDER.toLowerCase() as typeof PROVIDER,
      CHALLENGE_PROTOCOL,
    );
    expect(body.length).toBe(ADMIT_BODY_BYTES);
    expect(decodeAdmit(body, CHALLENGE_PROTOCOL)).toEqual({
      request: FrameType.VRAM_QUERY,
      provider: PROVIDER,
    });
  });

  it("under 1.0.0 is the type byte alone and names no provider", () => {
    const body = encodeAdmit(FrameType.MATMUL_REQUEST, PROVIDER, CHALLENGE_PROTOCOL_1_0);
    expect([...body]).toEqual([FrameType.MATMUL_REQUEST]);
    expect(decodeAdmit(body, CHALLENGE_PROTOCOL_1_0)).toEqual({
      request: FrameType.MATMUL_REQUEST,
      provider: null,
    });
  });

  it("refuses a body of the other version's length, and a request that is not timed", () => {
    const current = encodeAdmit(FrameType.MATMUL_REQUEST, PROVIDER, CHALLENGE_PROTOCOL);
    const old = Uint8Array.of(FrameType.MATMUL_REQUEST);
    expect(() => decodeAdmit(old, CHALLENGE_PROTOCOL)).toThrow(
      expect.objectContaining({ code: WireErrorCode.MALFORMED }),
    );
    expect(() => decodeAdmit(current, CHALLENGE_PROTOCOL_1_0)).toThrow(
      expect.objectContaining({ code: WireErrorCode.MALFORMED }),
    );
    const ping = current.slice();
    ping[0] = FrameType.PING;
    expect(() => decodeAdmit(ping, CHALLENGE_PROTOCOL)).toThrow(
      expect.objectContaining({ code: WireErrorCode.MALFORMED }),
    );
  });
});
