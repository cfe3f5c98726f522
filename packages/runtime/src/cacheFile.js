// Writes of the launchers' module cache (packages/checker/bin/ts-hooks.js and minifyWhitespace.js,
// packages/provider/bin/ts-hooks.js): the stripped TypeScript and the minified library modules, one file
// each, read back at every later start. Plain JavaScript: the hooks load it before any TypeScript can load.
//
// Many writers may make the same entry at once: a node's main thread and its worker threads load the same
// modules, and two processes (a devnet's nodes, a test's) start from one checkout. Each writes a temporary
// file of its own (process id, thread id and random bytes in its name) and renames it onto the entry:
// rename(2) in one directory replaces the entry whole, so a reader sees the old file, none, or a complete
// new one. One shared temporary name let two threads of one process write into the same file while one of
// them renamed it: an entry cut short, a syntax error at every later start.
import { randomBytes } from "node:crypto";
import { renameSync, unlinkSync, writeFileSync } from "node:fs";
import { threadId } from "node:worker_threads";

/** A temporary name next to `file` that no other writer uses: process id, thread id and 48 random bits. */
export function temporaryNameFor(file) {
  return `${file}.${process.pid}.${threadId}.${randomBytes(6).toString("hex")}.tmp`;
}

/**
 * Writes `text` to the cache entry `file` whole or not at all; false when it could not (a read-only or full
 * disk, the directory gone): the caller only goes without the cache, nothing fails. A temporary file left
 * by a failed write is removed.
 */
export function writeCacheEntry(file, text) {
  const tmp = temporaryNameFor(file);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
    return true;
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // Never created.
    }
    return false;
  }
}
