import { type SignedRecheckResult, signedRecheckResultCodec } from "@checkernet/protocol/recheck";
import {
  type LegacySignedRecheckResult,
  legacySignedRecheckResultCodec,
} from "@checkernet/protocol/recheckLegacy";
import { type Hash, type Hex, hexToBytes } from "viem";
import type { CheckerDb } from "./checkerDb.ts";
import { CorruptRecordError } from "./errors.ts";

/** What this node did about one contested slash (db meta `recheck:<slashId>`, duties/recheckDuty.ts). */
export interface RecheckRecord {
  slashId: string;
  /**
   * This member's signed result, encoded (signedRecheckResultCodec; a node from before
   * /checkernet/recheck/2.0.0 stored the 1.0.0 encoding: decodeStoredRecheckResult reads both). Once set it
   * never changes, nor is it rewritten in another format: the bytes are what the member signed.
   */
  result?: Hex;
  status: "member" | "submitting" | "submitted" | "resolved-by-other" | "failed";
  verdict?: number;
  nonce?: number;
  txHash?: Hash;
  gasUsed?: string;
  error?: string;
}

const recordKey = (slashId: bigint) => `recheck:${slashId}`;

export async function readRecheckRecord(db: CheckerDb, slashId: bigint): Promise<RecheckRecord | undefined> {
  const raw = await db.getMeta(recordKey(slashId));
  return raw === undefined ? undefined : (JSON.parse(raw) as RecheckRecord);
}

export async function writeRecheckRecord(db: CheckerDb, record: RecheckRecord): Promise<void> {
  await db.putMeta(recordKey(BigInt(record.slashId)), JSON.stringify(record));
}

/**
 * A member's own result as read back from its db: the current (2.0.0) form, or one signed before the upgrade
 * (1.0.0). A 1.0.0 result's signature covers neither a run epoch nor a time signature, so it cannot be turned
 * into a 2.0.0 result without signing a second one; it is kept as it was signed and never served: no leader
 * or co-signer could verify it (verifyRecheckResults), and it must not count toward the per-window-epoch rule,
 * whose run epochs have to be provable.
 */
export type StoredRecheckResult =
  | { format: "2.0.0"; signed: SignedRecheckResult }
  | ({ format: "1.0.0" } & LegacySignedRecheckResult);

/**
 * Reads a stored result by its shape (protocol recheck.ts and recheckLegacy.ts): both codecs are strict (exact
 * length, canonical re-encoding), and the 2.0.0 form (640 bytes) is longer than the 1.0.0 one allows (448), so
 * at most one of them accepts the bytes.
 *
 * @throws CorruptRecordError when neither does.
 */
export function decodeStoredRecheckResult(slashId: bigint, encoded: Hex): StoredRecheckResult {
  const bytes = hexToBytes(encoded);
  try {
    return { format: "2.0.0", signed: signedRecheckResultCodec.decode(bytes) };
  } catch (current) {
    try {
      return { format: "1.0.0", ...legacySignedRecheckResultCodec.decode(bytes) };
    } catch {
      throw new CorruptRecordError("re-check result", recordKey(slashId), (current as Error).message);
    }
  }
}
