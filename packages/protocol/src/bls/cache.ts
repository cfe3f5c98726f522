import { bytesToHex } from "@noble/hashes/utils.js";

/**
 * Decompressing and subgroup-checking a public key costs about as much as
 * hashing a message (noble: milliseconds; blst: ~0.1 ms), and a node checks
 * the same few hundred registered keys over and over. Lodestar keeps a
 * deserialized pubkey cache for the same reason. Only keys that passed
 * KeyValidate are stored, so a hit is as good as a fresh check.
 */
const PUBLIC_KEY_CACHE_SIZE = 4096;

/** A bounded map from encoded key to decoded point; the least recently used entry leaves first. */
export function createDecodeCache<T>(decode: (bytes: Uint8Array) => T, maxEntries = PUBLIC_KEY_CACHE_SIZE) {
  const entries = new Map<string, T>();
  return (bytes: Uint8Array): T => {
    const id = bytesToHex(bytes);
    const hit = entries.get(id);
    if (hit !== undefined) {
      entries.delete(id);
      entries.set(id, hit);
      return hit;
    }
    const value = decode(bytes);
    entries.set(id, value);
    if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    return value;
  };
}
