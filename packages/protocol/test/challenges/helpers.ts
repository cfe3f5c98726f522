import fc from "fast-check";
import { expect } from "vitest";
import type { Codec } from "../../src/encoding/codec.ts";
import { DecodeError } from "../../src/errors.ts";

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
