/** A temporary name next to `file` that no other writer uses: process id, thread id and 48 random bits. */
export function temporaryNameFor(file: string): string;
/** Writes `text` to the cache entry `file` whole or not at all; false when it could not (nothing fails). */
export function writeCacheEntry(file: string, text: string): boolean;
