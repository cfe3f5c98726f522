import { createHash } from "node:crypto";
import type { CheckerDb } from "../db/checkerDb.ts";
import { type ReportSummary, readReportRecord, summarize } from "../reports/aggregatorRecords.ts";

/** Epochs /status summarizes, the current one included. */
const RECENT_EPOCHS = 8n;

interface Held {
  /** SHA-1 of the record's stored bytes: the summary is decoded again only when they change. */
  fingerprint: string;
  summary: ReportSummary;
}

/** Per database (one per node): the recent records' summaries and the bytes they were decoded from. */
const heldByDb = new WeakMap<CheckerDb, Map<bigint, Held>>();

/**
 * The summaries of the last RECENT_EPOCHS report records, newest first (a corrupt one is skipped, not fatal
 * to status). A record holds every leaf of its report: at 1,000 licenses ~130 KiB of JSON with a bigint
 * reviver, and /status (polled every second by the dashboard, every 3 s by the devnet's monitor) decoded
 * eight of them at every call (issue 15). A record is decoded once per change of its stored bytes; reading
 * and hashing them costs a fraction of that.
 */
export async function recentReportSummaries(db: CheckerDb, current: bigint): Promise<ReportSummary[]> {
  let held = heldByDb.get(db);
  if (held === undefined) {
    held = new Map();
    heldByDb.set(db, held);
  }
  const out: ReportSummary[] = [];
  for (let e = current; e >= 1n && e + RECENT_EPOCHS > current; e--) {
    const raw = await db.getReport(e).catch(() => undefined);
    if (raw === undefined) {
      held.delete(e);
      continue;
    }
    const fingerprint = createHash("sha1").update(raw).digest("base64");
    let entry = held.get(e);
    if (entry?.fingerprint !== fingerprint) {
      const record = await readReportRecord(db, e).catch(() => undefined);
      if (record === undefined) continue;
      entry = { fingerprint, summary: summarize(record) };
      held.set(e, entry);
    }
    out.push(entry.summary);
  }
  for (const e of held.keys()) if (e + RECENT_EPOCHS <= current) held.delete(e);
  return out;
}
