import type { Address } from "viem";
import type { CheckerDb } from "../db/checkerDb.ts";

/** The db meta key of the slash keeper's scan position. */
const CURSOR_KEY = "slash-keeper/cursor";

/**
 * Where the slash keeper's scan of Slashing's ids stands, kept in the node's db so that a restart goes on
 * from there instead of reading every slash since id 1 again (review5 L4: 100,000 slashes were 1,563 looks,
 * about 3 h at 900-s epochs, before a new one was watched): every id below `next` was read, and `open` lists
 * those that still needed work then (pending, contested, or cancelled with accusers maybe left to penalize).
 */
export interface KeeperCursor {
  next: bigint;
  open: bigint[];
}

/**
 * The cursor stored for `slashing`; undefined when none is, it was kept for another Slashing contract (a new
 * deployment under the same data directory), or it does not parse: the scan then starts from id 1.
 */
export async function loadKeeperCursor(db: CheckerDb, slashing: Address): Promise<KeeperCursor | undefined> {
  const raw = await db.getMeta(CURSOR_KEY);
  if (raw === undefined) return undefined;
  try {
    const stored = JSON.parse(raw) as { slashing: string; next: string; open: string[] };
    if (stored.slashing.toLowerCase() !== slashing.toLowerCase()) return undefined;
    return { next: BigInt(stored.next), open: stored.open.map((id) => BigInt(id)) };
  } catch {
    return undefined;
  }
}

/** The stored form of `cursor` for `slashing` (compared with the last one written, so a quiet look writes nothing). */
export function encodeKeeperCursor(slashing: Address, cursor: KeeperCursor): string {
  return JSON.stringify({
    slashing: slashing.toLowerCase(),
    next: String(cursor.next),
    open: cursor.open.map(String),
  });
}

export async function saveKeeperCursor(db: CheckerDb, encoded: string): Promise<void> {
  await db.putMeta(CURSOR_KEY, encoded);
}
