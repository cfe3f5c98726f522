import { describe, expect, it } from "vitest";
import { createDecodeCache } from "../../src/bls/cache.ts";

describe("createDecodeCache", () => {
  it("decodes each key once, keeps at most maxEntries and evicts the least recently used", () => {
    const decoded: number[] = [];
    const decode = createDecodeCache((bytes) => {
      decoded.push(bytes[0]!);
      return bytes[0]! * 10;
    }, 2);
    const key = (n: number) => new Uint8Array([n]);
    expect(decode(key(1))).toBe(10);
    expect(decode(key(2))).toBe(20);
    expect(decode(key(1))).toBe(10); // hit; 1 is now the most recent
    expect(decode(key(3))).toBe(30); // evicts 2
    expect(decode(key(1))).toBe(10); // still cached
    expect(decode(key(2))).toBe(20); // decoded again
    expect(decoded).toEqual([1, 2, 3, 2]);
  });

  it("does not cache failures", () => {
    let calls = 0;
    const decode = createDecodeCache((): number => {
      calls++;
      throw new Error("bad key");
    });
    expect(() => decode(new Uint8Array([1]))).toThrow("bad key");
    expect(() => decode(new Uint8Array([1]))).toThrow("bad key");
    expect(calls).toBe(2);
  });
});
