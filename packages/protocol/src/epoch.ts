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

/** The first epoch of a network, the one that starts at genesis (on-chain too: `EpochClock.sol`). */
export const FIRST_EPOCH = 1n;

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
  return FIRST_EPOCH + BigInt(Math.floor((nowMs - genesisMs) / len));
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
  if (typeof epoch !== "bigint" || epoch < FIRST_EPOCH || epoch > UINT64_MAX) {
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
  const startMs = genesisMs + Number(epoch - FIRST_EPOCH) * len;
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
 * The message the seed proposer of epoch e - 1 signs to reveal the seed of
 * epoch e, equal to `EpochReports.seedRevealMessage(e)`:
 * keccak256(abi.encode(SEED_REVEAL_TAG, domainSeparator, uint64 e, bytes32 seedOf(e - 1))).
 * Its BLS signature is unique (a VRF output), so the proposer's only choice is
 * to reveal it or to withhold it.
 */
export function seedRevealMessage(domainSeparatorHex: Hex, epoch: bigint, previousSeed: Hex): Hex {
  checkSeedInput("domainSeparator", domainSeparatorHex);
  checkSeedInput("previousSeed", previousSeed);
  if (typeof epoch !== "bigint" || epoch < 1n || epoch >= 1n << 64n) {
    throw new EpochError(EpochErrorCode.INVALID_SEED_INPUT, "epoch must be a uint64 of at least 1", {
      epoch: String(epoch),
    });
  }
  return keccak256(
    encodeAbiParameters(
      [{ type: "bytes32" }, { type: "bytes32" }, { type: "uint64" }, { type: "bytes32" }],
      [DomainTag.SEED_REVEAL, domainSeparatorHex, epoch, previousSeed],
    ),
  );
}

/**
 * The seed of epoch e once its reveal landed, as `EpochReports.revealSeed`
 * stores it: keccak256(abi.encode(EPOCH_SEED_TAG, uint64 e, keccak256(signature))),
 * where `signature` is the 256-byte EIP-2537 G2 encoding of the reveal.
 */
export function revealedSeed(epoch: bigint, signatureEip2537: Hex): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: "bytes32" }, { type: "uint64" }, { type: "bytes32" }],
      [DomainTag.EPOCH_SEED, epoch, keccak256(signatureEip2537)],
    ),
  );
}

/**
 * The seed of an epoch whose reveal did not land: keccak256(abi.encode(EPOCH_SEED_TAG,
 * bytes32 anchorSeed, uint64 e)), where anchorSeed is the last revealed seed
 * before e (or the genesis seed), as `EpochReports.seedOf` derives it.
 */
export function fallbackSeed(anchorSeed: Hex, epoch: bigint): Hex {
  checkSeedInput("anchorSeed", anchorSeed);
  return keccak256(
    encodeAbiParameters(
      [{ type: "bytes32" }, { type: "bytes32" }, { type: "uint64" }],
      [DomainTag.EPOCH_SEED, anchorSeed, epoch],
    ),
  );
}

function checkSeedInput(field: string, v: Hex): void {
  if (!isHex(v, { strict: true }) || v.length !== 66) {
    throw new EpochError(EpochErrorCode.INVALID_SEED_INPUT, `${field} must be 32 bytes of hex`, {
      field,
      value: String(v),
    });
  }
}
