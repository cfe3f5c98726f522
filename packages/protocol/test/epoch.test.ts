import fc from "fast-check";
import { encodeAbiParameters, type Hex, keccak256, toBytes, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { DomainTag } from "../src/encoding/domain.ts";
import {
  EpochError,
  EpochErrorCode,
  EpochPhase,
  epochAt,
  epochBounds,
  epochPhase,
  fallbackSeed,
  revealedSeed,
  seedRevealMessage,
} from "../src/epoch.ts";
import { DEFAULT_PARAMS } from "../src/params.ts";

const genesis = 1_700_000_000_000;

describe("epoch clock", () => {
  it("numbers epochs from 1 at genesis; before genesis is epoch 0", () => {
    expect(epochAt(genesis - 1, genesis, 900)).toBe(0n);
    expect(epochAt(genesis, genesis, 900)).toBe(1n);
    expect(epochAt(genesis + 899_999, genesis, 900)).toBe(1n);
    expect(epochAt(genesis + 900_000, genesis, 900)).toBe(2n);
    expect(epochAt(genesis + 2_500, genesis, 0.5)).toBe(6n);
  });

  it("bounds contain exactly the instants epochAt maps to them, split into checking then publish", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 ** 10 }),
        fc.integer({ min: 1, max: 3_600 }),
        fc.integer({ min: 1, max: 9_999 }),
        (offset, seconds, bps) => {
          const now = genesis + offset;
          const epoch = epochAt(now, genesis, seconds);
          const b = epochBounds(epoch, genesis, seconds, bps);
          expect(b.startMs).toBeLessThanOrEqual(now);
          expect(now).toBeLessThan(b.endMs);
          expect(b.endMs - b.startMs).toBe(seconds * 1000);
          expect(b.publishStartMs).toBeGreaterThanOrEqual(b.startMs);
          expect(b.publishStartMs).toBeLessThan(b.endMs);
          expect(epochAt(b.startMs, genesis, seconds)).toBe(epoch);
          expect(epochAt(b.endMs, genesis, seconds)).toBe(epoch + 1n);
          const { phase } = epochPhase(now, genesis, seconds, bps);
          expect(phase).toBe(now < b.publishStartMs ? EpochPhase.CHECKING : EpochPhase.PUBLISH);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("uses the default 60/40 split of a 15-minute epoch", () => {
    const b = epochBounds(3n, genesis, DEFAULT_PARAMS.epochSeconds);
    expect(b).toEqual({
      epoch: 3n,
      startMs: genesis + 1_800_000,
      publishStartMs: genesis + 1_800_000 + 540_000,
      endMs: genesis + 2_700_000,
    });
    expect(epochPhase(genesis - 5, genesis, 900)).toEqual({ epoch: 0n, phase: EpochPhase.PRE_GENESIS });
    expect(epochPhase(genesis + 539_999, genesis, 900).phase).toBe(EpochPhase.CHECKING);
    expect(epochPhase(genesis + 540_000, genesis, 900).phase).toBe(EpochPhase.PUBLISH);
  });

  it("refuses bad times, lengths, epochs and splits with typed errors", () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(EpochError);
        return (e as EpochError).code;
      }
      return undefined;
    };
    expect(code(() => epochAt(Number.NaN, genesis, 900))).toBe(EpochErrorCode.INVALID_TIME);
    expect(code(() => epochAt(genesis, genesis, 0))).toBe(EpochErrorCode.INVALID_LENGTH);
    expect(code(() => epochAt(genesis, genesis, 0.0001))).toBe(EpochErrorCode.INVALID_LENGTH);
    expect(code(() => epochBounds(0n, genesis, 900))).toBe(EpochErrorCode.INVALID_EPOCH);
    expect(code(() => epochBounds(1n << 64n, genesis, 900))).toBe(EpochErrorCode.INVALID_EPOCH);
    expect(code(() => epochBounds(1n, genesis, 900, 10_000))).toBe(EpochErrorCode.INVALID_PHASE_SPLIT);
    expect(code(() => epochBounds(1n, genesis, 900, 0))).toBe(EpochErrorCode.INVALID_PHASE_SPLIT);
  });
});

describe("epoch seeds", () => {
  const prev = keccak256(toBytes("previous seed"));
  const domain = keccak256(toBytes("domain"));
  it("binds the reveal message to the domain, the epoch and the previous seed", () => {
    const m = seedRevealMessage(domain, 5n, prev);
    expect(seedRevealMessage(domain, 6n, prev)).not.toBe(m);
    expect(seedRevealMessage(prev, 5n, prev)).not.toBe(m);
    expect(seedRevealMessage(domain, 5n, domain)).not.toBe(m);
  });
  it("derives revealed and fallback seeds that differ by epoch", () => {
    const sig = toHex(new Uint8Array(256).fill(7));
    expect(revealedSeed(3n, sig)).not.toBe(revealedSeed(4n, sig));
    expect(fallbackSeed(prev, 3n)).not.toBe(fallbackSeed(prev, 4n));
    expect(fallbackSeed(prev, 3n)).not.toBe(revealedSeed(3n, sig));
  });
  it("pins the formulas EpochReports uses (revealSeed, seedOf, seedRevealMessage)", () => {
    const sig = toHex(new Uint8Array(256).fill(9));
    expect(seedRevealMessage(domain, 5n, prev)).toBe(
      keccak256(
        encodeAbiParameters(
          [{ type: "bytes32" }, { type: "bytes32" }, { type: "uint64" }, { type: "bytes32" }],
          [DomainTag.SEED_REVEAL, domain, 5n, prev],
        ),
      ),
    );
    expect(revealedSeed(5n, sig)).toBe(
      keccak256(
        encodeAbiParameters(
          [{ type: "bytes32" }, { type: "uint64" }, { type: "bytes32" }],
          [DomainTag.EPOCH_SEED, 5n, keccak256(sig)],
        ),
      ),
    );
    expect(fallbackSeed(prev, 5n)).toBe(
      keccak256(
        encodeAbiParameters(
          [{ type: "bytes32" }, { type: "bytes32" }, { type: "uint64" }],
          [DomainTag.EPOCH_SEED, prev, 5n],
        ),
      ),
    );
  });
  it("refuses malformed inputs with an EpochError", () => {
    expect(() => seedRevealMessage("0x12" as Hex, 1n, prev)).toThrow(EpochError);
    expect(() => seedRevealMessage(domain, 0n, prev)).toThrow(EpochError);
    expect(() => seedRevealMessage(domain, 1n << 64n, prev)).toThrow(EpochError);
    expect(() => fallbackSeed("0x" as Hex, 1n)).toThrow(EpochError);
  });
});
