import { checkLength, checkRange, defineCodec } from "@checkernet/protocol/encoding/codec";
import {
  type RecheckResult,
  type SignedRecheckResult,
  signedRecheckResultCodec,
} from "@checkernet/protocol/recheck";
import type { ChallengeKind, CheckResult } from "@checkernet/protocol/types";
import { getAddress, type Hash, type Hex, hexToBytes } from "viem";
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

/** A result as /checkernet/recheck/1.0.0 signed it: no run epoch, no time signature. */
type LegacyRecheckResult = Omit<RecheckResult, "runEpoch" | "timeSignature">;

/**
 * A member's own result as read back from its db: the current (2.0.0) form, or one signed before the upgrade
 * (1.0.0). A 1.0.0 result's signature covers neither a run epoch nor a time signature, so it cannot be turned
 * into a 2.0.0 result without signing a second one; it is kept as it was signed and never served: no leader
 * or co-signer could verify it (verifyRecheckResults), and it must not count toward the per-window-epoch rule,
 * whose run epochs have to be provable.
 */
export type StoredRecheckResult =
  | { format: "2.0.0"; signed: SignedRecheckResult }
  | { format: "1.0.0"; result: LegacyRecheckResult; signature: Hex };

const UINT64_MAX = (1n << 64n) - 1n;

/** The 1.0.0 layout of a signed result (protocol/recheck.ts before the 2.0.0 protocol), to read old records. */
const legacySignedRecheckResultCodec = defineCodec({
  name: "SignedRecheckResult/1.0.0",
  // tuple offset + 8 static words + signature offset + length word + 96 bytes
  maxBytes: 10 * 32 + 32 + 96,
  abi: [
    {
      type: "tuple",
      components: [
        { name: "slashId", type: "uint256" },
        { name: "provider", type: "address" },
        { name: "recheckEpoch", type: "uint64" },
        { name: "checker", type: "address" },
        { name: "kind", type: "uint8" },
        { name: "result", type: "uint8" },
        { name: "latencyP50Us", type: "uint32" },
        { name: "transcriptHash", type: "bytes32" },
        { name: "signature", type: "bytes" },
      ],
    },
  ] as const,
  toAbi: (s: { result: LegacyRecheckResult; signature: Hex }) =>
    [{ ...s.result, signature: s.signature }] as const,
  fromAbi: ([f]) => {
    checkRange("SignedRecheckResult/1.0.0", "kind", f.kind, 0, 2);
    checkRange("SignedRecheckResult/1.0.0", "result", f.result, 0, 2);
    checkRange("SignedRecheckResult/1.0.0", "recheckEpoch", f.recheckEpoch, 1n, UINT64_MAX);
    checkLength("SignedRecheckResult/1.0.0", "signature", f.signature, 96);
    return {
      result: {
        slashId: f.slashId,
        provider: getAddress(f.provider),
        recheckEpoch: f.recheckEpoch,
        checker: getAddress(f.checker),
        kind: f.kind as ChallengeKind,
        result: f.result as CheckResult,
        latencyP50Us: f.latencyP50Us,
        transcriptHash: f.transcriptHash,
      },
      signature: f.signature,
    };
  },
});

/**
 * Reads a stored result by its shape: both codecs are strict (exact length, canonical re-encoding), and the
 * 2.0.0 form (640 bytes) is longer than the 1.0.0 one allows (448), so at most one of them accepts the bytes.
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
