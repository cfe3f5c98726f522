import fc from "fast-check";
import { toHex } from "viem";
import { describe, expect, it } from "vitest";
import { reportHeaderCodec, reportSigningRoot } from "../../src/encoding/report.ts";
import { DecodeError } from "../../src/errors.ts";
import type { ReportHeader } from "../../src/types.ts";

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => toHex(b));
const headerArb: fc.Arbitrary<ReportHeader> = fc.record({
  epoch: fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }),
  seed: bytes32,
  resultsRoot: bytes32,
  rewardsRoot: bytes32,
  totalRewards: fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
  providerCount: fc.nat({ max: 0xffff_ffff }),
  attestationCount: fc.nat({ max: 0xffff_ffff }),
});
const domain = { chainId: 31337n, verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as const };

describe("report header encoding", () => {
  it("round-trips and has a fixed size, so report gas does not depend on the provider count", () => {
    fc.assert(
      fc.property(headerArb, (h) => {
        const bytes = reportHeaderCodec.encode(h);
        expect(bytes.length).toBe(7 * 32);
        expect(reportHeaderCodec.decode(bytes)).toEqual(h);
      }),
      { numRuns: 200 },
    );
  });

  it("refuses epoch 0, trailing bytes and truncation", () => {
    fc.assert(
      fc.property(headerArb, (h) => {
        expect(() => reportHeaderCodec.decode(reportHeaderCodec.encode({ ...h, epoch: 0n }))).toThrow(
          DecodeError,
        );
        const bytes = reportHeaderCodec.encode(h);
        expect(() => reportHeaderCodec.decode(new Uint8Array([...bytes, 0]))).toThrow(DecodeError);
        expect(() => reportHeaderCodec.decode(bytes.subarray(0, 200))).toThrow(DecodeError);
      }),
      { numRuns: 50 },
    );
  });

  it("signing root changes with any field and with the domain", () => {
    fc.assert(
      fc.property(headerArb, fc.bigInt({ min: 1n, max: 1000n }), (h, delta) => {
        const root = toHex(reportSigningRoot(h, domain));
        expect(toHex(reportSigningRoot({ ...h, totalRewards: h.totalRewards ^ delta }, domain))).not.toBe(
          root,
        );
        expect(toHex(reportSigningRoot(h, { ...domain, chainId: 1n }))).not.toBe(root);
      }),
      { numRuns: 50 },
    );
  });
});
