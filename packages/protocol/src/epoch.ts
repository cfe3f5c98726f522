import { encodeAbiParameters, type Hex, isHex, keccak256 } from "viem";
import { DomainTag } from "./encoding/domain.ts";
import { ProtocolError } from "./errors.ts";
import { DEFAULT_PARAMS } from "./params.ts";

/**
 * Epoch clock and epoch randomness. Pure: the current time and the genesis
 * time are arguments, never read from a clock here.
 *
 * Epoch 0 is "before genesis" and is never reported (report headers require
 * epoch ≥ 1). Epoch e ≥ 1 covers [genesis + (e-1)·L, genesis + e·L) where L is
 * the epoch length, and is split into two phases (docs/protocol/sortition-and-aggregation.md):
 *   CHECKING [start, publishStart): committee members run their challenges and
 *            keep their attestations to themselves, so revealing one seat does
 *            not warn the checker's other providers;
 *   PUBLISH  [publishStart, end): attestations are gossiped, the aggregator
 *            builds the report and the report committee co-signs it.
 */

export const EpochErrorCode = {
  INVALID_TIME: "EPOCH_ERROR_INVALID_TIME",
  INVALID_LENGTH: "EPOCH_ERROR_INVALID_LENGTH",
  INVALID_EPOCH: "EPOCH_ERROR_INVALID_EPOCH",
  INVALID_PHASE_SPLIT: "EPOCH_ERROR_INVALID_PHASE_SPLIT",
  INVALID_SEED_INPUT: "EPOCH_ERROR_INVALID_SEED_INPUT",
} as const;
export type EpochErrorCode = (typeof EpochErrorCode)[keyof typeof EpochErrorCode];

export class EpochError extends ProtocolError<EpochErrorCode> {
  override name = "EpochError";
}

export const EpochPhase = {
  /** Before genesis: nothing to do yet. */
  PRE_GENESIS: "PRE_GENESIS",
  CHECKING: "CHECKING",
  PUBLISH: "PUBLISH",
} as const;
export type EpochPhase = (typeof EpochPhase)[keyof typeof EpochPhase];

export interface EpochBounds {
  epoch: bigint;
  /** First millisecond of the epoch (inclusive). */
  startMs: number;
  /** First millisecond of the publish phase (inclusive); the checking phase ends here. */
  publishStartMs: number;
  /** First millisecond of the next epoch (exclusive end). */
  endMs: number;
}

const UINT64_MAX = (1n << 64n) - 1n;

function epochLengthMs(epochSeconds: number): number {
  const ms = epochSeconds * 1000;
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    throw new EpochError(
      EpochErrorCode.INVALID_LENGTH,
      "epochSeconds must be positive, in whole milliseconds",
      {
        epochSeconds,
      },
    );
  }
  return ms;
}

function checkTime(field: string, value: number): void {
  if (!Number.isSafeInteger(value)) {
    throw new EpochError(EpochErrorCode.INVALID_TIME, `${field} must be an integer number of milliseconds`, {
      field,
      value,
    });
  }
}

/**
 * The epoch containing `nowMs`: 0 before genesis, else 1 + floor((now - genesis) / L).
 *
 * @example
 * epochAt(Date.now(), genesisMs, params.epochSeconds)
 */
export function epochAt(nowMs: number, genesisMs: number, epochSeconds: number): bigint {
  checkTime("nowMs", nowMs);
  checkTime("genesisMs", genesisMs);
  const len = epochLengthMs(epochSeconds);
  if (nowMs < genesisMs) return 0n;
  return 1n + BigInt(Math.floor((nowMs - genesisMs) / len));
}

/**
 * Start, publish-phase start and end of epoch ≥ 1. The checking phase is the
 * first floor(L · checkingPhaseBps / 10000) milliseconds.
 */
export function epochBounds(
  epoch: bigint,
  genesisMs: number,
  epochSeconds: number,
  checkingPhaseBps: number = DEFAULT_PARAMS.checkingPhaseBps,
): EpochBounds {
  checkTime("genesisMs", genesisMs);
  const len = epochLengthMs(epochSeconds);
  if (typeof epoch !== "bigint" || epoch < 1n || epoch > UINT64_MAX) {
    throw new EpochError(
      EpochErrorCode.INVALID_EPOCH,
      "epoch must be a uint64 ≥ 1 (epoch 0 is before genesis)",
      {
        epoch: String(epoch),
      },
    );
  }
  if (!Number.isInteger(checkingPhaseBps) || checkingPhaseBps <= 0 || checkingPhaseBps >= 10_000) {
    throw new EpochError(EpochErrorCode.INVALID_PHASE_SPLIT, "checkingPhaseBps must be in (0, 10000)", {
      checkingPhaseBps,
    });
  }
  const startMs = genesisMs + Number(epoch - 1n) * len;
  const endMs = startMs + len;
  if (!Number.isSafeInteger(endMs)) {
    throw new EpochError(EpochErrorCode.INVALID_EPOCH, "epoch lies beyond representable time", {
      epoch: String(epoch),
    });
  }
  const publishStartMs = startMs + Math.floor((len * checkingPhaseBps) / 10_000);
  return { epoch, startMs, publishStartMs, endMs };
}

/** Which epoch and phase `nowMs` falls in; `bounds` is absent before genesis. */
export function epochPhase(
  nowMs: number,
  genesisMs: number,
  epochSeconds: number,
  checkingPhaseBps: number = DEFAULT_PARAMS.checkingPhaseBps,
): { epoch: bigint; phase: EpochPhase; bounds?: EpochBounds } {
  const epoch = epochAt(nowMs, genesisMs, epochSeconds);
  if (epoch === 0n) return { epoch, phase: EpochPhase.PRE_GENESIS };
  const bounds = epochBounds(epoch, genesisMs, epochSeconds, checkingPhaseBps);
  return { epoch, phase: nowMs < bounds.publishStartMs ? EpochPhase.CHECKING : EpochPhase.PUBLISH, bounds };
}

/**
 * The next epoch's randomness, as the contract derives it when it accepts a
 * report: keccak256(abi.encode(EPOCH_SEED_TAG, bytes32 prevSeed,
 * bytes32 aggregateSignatureHash, uint256 prevrandao)), where
 * aggregateSignatureHash = keccak256(the report's 96-byte aggregate signature)
 * and prevrandao is the block's. The signature is unique for the signer set
 * and report, and prevrandao is fixed by the beacon chain, so neither the
 * aggregator nor the proposer alone chooses the seed.
 */
export function nextEpochSeed(prevSeed: Hex, aggregateSignatureHash: Hex, prevrandao: bigint): Hex {
  for (const [field, v] of [
    ["prevSeed", prevSeed],
    ["aggregateSignatureHash", aggregateSignatureHash],
  ] as const) {
    if (!isHex(v, { strict: true }) || v.length !== 66) {
      throw new EpochError(EpochErrorCode.INVALID_SEED_INPUT, `${field} must be 32 bytes of hex`, {
        field,
        value: String(v),
      });
    }
  }
  if (typeof prevrandao !== "bigint" || prevrandao < 0n || prevrandao >= 1n << 256n) {
    throw new EpochError(EpochErrorCode.INVALID_SEED_INPUT, "prevrandao must be a uint256", {
      prevrandao: String(prevrandao),
    });
  }
  return keccak256(
    encodeAbiParameters(
      [{ type: "bytes32" }, { type: "bytes32" }, { type: "bytes32" }, { type: "uint256" }],
      [DomainTag.EPOCH_SEED, prevSeed, aggregateSignatureHash, prevrandao],
    ),
  );
}
