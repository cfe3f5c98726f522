import fc from "fast-check";
import type { Address, Hex } from "viem";
import { expect } from "vitest";
import type { Codec } from "../../src/encoding/codec.ts";
import { DecodeError } from "../../src/errors.ts";
import { answerKeyAddress } from "../../src/fraud/answerSigning.ts";

/** The parties of the transcripts these tests record: a provider, its checker, the registry they sign for. */
export const PROVIDER: Address = "0x1111111111111111111111111111111111111111";
export const CHECKER: Address = "0x2222222222222222222222222222222222222222";
export const REGISTRY: Address = "0x3333333333333333333333333333333333333333";
/** The provider's answer key, and another one (a forger's). */
export const KEY: Hex = `0x${"4b".repeat(32)}`;
export const OTHER_KEY: Hex = `0x${"4c".repeat(32)}`;
/** The signing domain of the answer key (ProviderRegistry on the Hardhat chain id). */
export const DOMAIN = { chainId: 31337n, verifyingContract: REGISTRY };
/** What a checker knows of the provider's answer key: its address and domain. */
export const ANSWER = { key: answerKeyAddress(KEY), ...DOMAIN };

/**
 * Flips one random byte of the value's encoding: the decoder must either
 * refuse it with a DecodeError or decode a *different* value whose canonical
 * encoding is exactly the mutated bytes (so no two byte strings mean the same thing).
 */
export function expectMutationRejected<T>(codec: Codec<T>, value: T, runs = 20): void {
  const bytes = codec.encode(value);
  fc.assert(
    fc.property(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, xor) => {
      const mutated = bytes.slice();
      mutated[at] = (mutated[at] as number) ^ xor;
      let decoded: T;
      try {
        decoded = codec.decode(mutated);
      } catch (e) {
        expect(e).toBeInstanceOf(DecodeError);
        return;
      }
      expect(codec.encode(decoded)).toEqual(mutated);
    }),
    { numRuns: runs },
  );
  const longer = new Uint8Array(bytes.length + 32);
  longer.set(bytes);
  expect(() => codec.decode(longer)).toThrow(DecodeError);
}
