import {
  type Address,
  bytesToHex,
  encodeAbiParameters,
  getAddress,
  type Hex,
  hexToBigInt,
  hexToBytes,
  isAddress,
  isHex,
  keccak256,
  toBytes,
} from "viem";
import type { BlsBackend } from "./bls/backend.ts";
import { keccakBlockInto } from "./challenges/keccak-block.ts";
import { DomainTag, domainSeparator } from "./encoding/domain.ts";
import { ProtocolError } from "./errors.ts";
import type { NetworkDomain } from "./types.ts";

/**
 * Private, verifiable sortition (docs/protocol/sortition-and-aggregation.md).
 *
 * A checker evaluates one VRF per epoch, `vrfProof = BLS_sign(sk, sortitionMessage(epoch, seed, domain))`.
 * BLS signatures are deterministic and unique per (key, message), so the proof
 * is a VRF: nobody can predict `vrfOutput(vrfProof)` without the secret key,
 * and anyone can check it against the registered public key. Every per-role
 * ticket is derived from that one output by hashing, so a checker pays one
 * signature per epoch however many providers it is assigned.
 */

/** Why a sortition input was refused. String values go into metric labels. */
export const SortitionErrorCode = {
  INVALID_EPOCH: "SORTITION_ERROR_INVALID_EPOCH",
  INVALID_SEED: "SORTITION_ERROR_INVALID_SEED",
  INVALID_ADDRESS: "SORTITION_ERROR_INVALID_ADDRESS",
  INVALID_TICKET: "SORTITION_ERROR_INVALID_TICKET",
  INVALID_WEIGHT: "SORTITION_ERROR_INVALID_WEIGHT",
  PRECISION_LIMIT: "SORTITION_ERROR_PRECISION_LIMIT",
  DUPLICATE_CANDIDATE: "SORTITION_ERROR_DUPLICATE_CANDIDATE",
} as const;
export type SortitionErrorCode = (typeof SortitionErrorCode)[keyof typeof SortitionErrorCode];

export class SortitionError extends ProtocolError<SortitionErrorCode> {
  override name = "SortitionError";
}

const UINT64_MAX = (1n << 64n) - 1n;
const TWO_256 = 1n << 256n;

/**
 * Tag of the aggregator-role ticket. Not in `DomainTag` because it is never
 * signed, only hashed; it keeps aggregator tickets independent of provider
 * tickets derived from the same VRF output.
 */
export const AGGREGATOR_TICKET_TAG: Hex = keccak256(toBytes("checkernet.v1.aggregator"));
const AGGREGATOR_TICKET_TAG_BYTES = hexToBytes(AGGREGATOR_TICKET_TAG);

/**
 * Extra bits of precision kept below 2^-256 in the binomial CDF, on top of what
 * the smallest probability needs (see `committeeSeats`). 64 bits make the
 * truncation error of the whole CDF below 2^-300, far below one ticket step.
 */
const CDF_GUARD_BITS = 64n;
/** Refuse inputs whose CDF would need integers above ~1 MB: no sane parameter set gets close. */
const MAX_CDF_GUARD_BITS = 1n << 23n;
/** The aggregator ticket hashes once per license; a bound keeps a forged weight from costing much. */
export const MAX_AGGREGATOR_LICENSES = 1 << 16;

function checkEpoch(epoch: bigint): void {
  if (typeof epoch !== "bigint" || epoch < 0n || epoch > UINT64_MAX) {
    throw new SortitionError(SortitionErrorCode.INVALID_EPOCH, "epoch must be a uint64", {
      epoch: String(epoch),
    });
  }
}

function checkBytes32(field: string, value: Hex): void {
  if (!isHex(value, { strict: true }) || value.length !== 66) {
    throw new SortitionError(SortitionErrorCode.INVALID_SEED, `${field} must be 32 bytes of hex`, {
      field,
      value: String(value),
    });
  }
}

function checkAddress(field: string, value: Address): Address {
  if (typeof value !== "string" || !isAddress(value, { strict: false })) {
    throw new SortitionError(SortitionErrorCode.INVALID_ADDRESS, `${field} is not an address`, {
      field,
      value: String(value),
    });
  }
  return getAddress(value);
}

function checkCount(field: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new SortitionError(SortitionErrorCode.INVALID_WEIGHT, `${field} must be an integer >= ${min}`, {
      field,
      value: String(value),
    });
  }
}

/**
 * The 32 bytes a checker signs to evaluate its VRF for an epoch:
 * keccak256(abi.encode(SORTITION_TAG, domainSeparator(domain), uint64 epoch, bytes32 seed)).
 *
 * @example
 * const proof = bls.sign(sk, sortitionMessage(12n, seed, domain));
 */
export function sortitionMessage(epoch: bigint, seed: Hex, domain: NetworkDomain): Uint8Array {
  checkEpoch(epoch);
  checkBytes32("seed", seed);
  return hexToBytes(
    keccak256(
      encodeAbiParameters(
        [{ type: "bytes32" }, { type: "bytes32" }, { type: "uint64" }, { type: "bytes32" }],
        [DomainTag.SORTITION, domainSeparator(domain), epoch, seed],
      ),
    ),
  );
}

/** The VRF output: keccak256 of the 96-byte compressed proof. */
export function vrfOutput(vrfProof: Uint8Array | Hex): Hex {
  return keccak256(typeof vrfProof === "string" ? hexToBytes(vrfProof) : vrfProof);
}

/** A checker's ticket for one provider: uint256(keccak256(abi.encode(bytes32 vrfOut, address provider))). */
export function providerTicket(vrfOut: Hex, provider: Address): bigint {
  checkBytes32("vrfOut", vrfOut);
  const p = checkAddress("provider", provider);
  return hexToBigInt(keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "address" }], [vrfOut, p])));
}

/**
 * How many seats a checker holding `licenses` of `totalLicenses` delegated
 * licenses wins on a committee of expected size `expectedSize`: Algorand's
 * binomial sortition. Each license is an independent trial with
 * p = expectedSize / totalLicenses, so seats ~ Binomial(licenses, p) and the
 * total committee size ~ Binomial(totalLicenses, p) with mean expectedSize,
 * whatever way licenses are split between keys (splitting gains nothing).
 *
 * The ticket, read as u = ticket / 2^256, picks the smallest j with
 * u < CDF(j). The CDF is computed in exact integer arithmetic with
 * S = 256 + G fractional bits, so every implementation gets the same seats:
 *   q = T - k;  G = 64 + ceil(n·k·1443 / (1000·q))
 *   pmf(0)   = fixedPointPower(q / T, n, S)   (see below; ≈ (q/T)^n · 2^S)
 *   pmf(j+1) = floor(pmf(j) · (n - j) · k / ((j + 1) · q))
 *   seats    = min { j : ticket · 2^G < pmf(0) + … + pmf(j) }, or n if none
 * G bounds -log2 pmf(0) = n·log2(T/q) ≤ n·k/q·log2(e) (log2 e < 1.443), so
 * pmf(0) keeps at least 64 significant bits; truncation leaves the CDF short
 * of 1 by less than (n + 1)·2^-S, a sliver that falls to the last bucket.
 * When k ≥ T every license is a seat.
 *
 * @param ticket uint256 from `providerTicket`
 * @param licenses the checker's delegated licenses (0 ⇒ 0 seats)
 * @param totalLicenses all delegated licenses in the epoch (≥ licenses, ≥ 1)
 * @param expectedSize the committee size k (params.committeeSize, or × recheckCommitteeMultiplier for re-checks)
 * @returns seats won; 0 means not on the committee
 */
export function committeeSeats(
  ticket: bigint,
  licenses: number,
  totalLicenses: number,
  expectedSize: number,
): number {
  if (typeof ticket !== "bigint" || ticket < 0n || ticket >= TWO_256) {
    throw new SortitionError(SortitionErrorCode.INVALID_TICKET, "ticket must be a uint256", {
      ticket: String(ticket),
    });
  }
  checkCount("licenses", licenses, 0);
  checkCount("totalLicenses", totalLicenses, 1);
  checkCount("expectedSize", expectedSize, 1);
  if (licenses > totalLicenses) {
    throw new SortitionError(SortitionErrorCode.INVALID_WEIGHT, "licenses exceed totalLicenses", {
      licenses,
      totalLicenses,
    });
  }
  if (licenses === 0) return 0;
  if (expectedSize >= totalLicenses) return licenses;

  const n = BigInt(licenses);
  const total = BigInt(totalLicenses);
  const k = BigInt(expectedSize);
  const q = total - k;
  const guard = CDF_GUARD_BITS + (n * k * 1443n + 1000n * q - 1n) / (1000n * q);
  if (guard > MAX_CDF_GUARD_BITS) {
    throw new SortitionError(
      SortitionErrorCode.PRECISION_LIMIT,
      "sortition weights need more precision than allowed",
      {
        licenses,
        totalLicenses,
        expectedSize,
      },
    );
  }
  const scaleBits = 256n + guard;
  const target = ticket << guard;
  let pmf = fixedPointPower(q, total, n, scaleBits);
  let cdf = pmf;
  for (let j = 0n; j < n; j++) {
    if (target < cdf) return Number(j);
    pmf = (pmf * (n - j) * k) / ((j + 1n) * q);
    cdf += pmf;
  }
  return licenses;
}

/** A checker's weight in one epoch's snapshot, as the seat draw reads it. */
export interface SeatWeight {
  /** The checker's delegated licenses in the snapshot (0 ⇒ 0 seats). */
  licenses: number;
  /** All delegated licenses of the snapshot. */
  totalLicenses: number;
}

/**
 * The seats a checker holds on one provider's committee: the draw every
 * attestation is weighed with, the checker's own duty computes, and gossip and
 * co-signers check. The ticket is `providerTicket(vrfOut, provider)`; a total
 * below the checker's own licenses (a snapshot read before the checker's
 * licenses were counted) is raised to them, so the draw never refuses a weight
 * the directory reported.
 *
 * @param vrfOut `vrfOutput(vrfProof)` of the checker's epoch proof
 * @param expectedSize the committee size k (params.committeeSize)
 * @returns seats won; 0 means not on the committee
 */
export function attestationSeats(
  vrfOut: Hex,
  provider: Address,
  weight: SeatWeight,
  expectedSize: number,
): number {
  return committeeSeats(
    providerTicket(vrfOut, provider),
    weight.licenses,
    Math.max(weight.totalLicenses, weight.licenses),
    expectedSize,
  );
}

/** Bits of the fixed-point power kept beyond the CDF scale, dropped at the end. */
const POWER_WORK_BITS = 64n;

/**
 * floor((num/den)^e · 2^scaleBits), computed left-to-right by square and
 * multiply in fixed point with W = scaleBits + 64 fractional bits, flooring
 * after every product, then dropping the 64 work bits. Exact integer powers
 * would cost n·log2(T) bits (milliseconds for a 10,000-license operator);
 * this costs log2(n) products of ~W-bit numbers, and its relative error,
 * below (n·T/q + 2·log2 n)·2^-(W-G+64), is far under one part in 2^256.
 */
function fixedPointPower(num: bigint, den: bigint, e: bigint, scaleBits: bigint): bigint {
  const w = scaleBits + POWER_WORK_BITS;
  const base = (num << w) / den;
  let r = 1n << w;
  for (let bit = BigInt(e.toString(2).length) - 1n; bit >= 0n; bit--) {
    r = (r * r) >> w;
    if ((e >> bit) & 1n) r = (r * base) >> w;
  }
  return r >> POWER_WORK_BITS;
}

/**
 * A checker's ticket for the aggregator role, weighted by licenses: the
 * minimum over license slots i < licenses of
 * uint256(keccak256(abi.encode(AGGREGATOR_TICKET_TAG, vrfOut, uint256 i))).
 * The minimum of w uniform draws is below another holder's minimum of v
 * draws with probability w / (w + v), so the odds of leading are exactly
 * proportional to licenses and splitting licenses across keys gains nothing.
 *
 * @param licenses the checker's delegated licenses (default 1, up to MAX_AGGREGATOR_LICENSES)
 */
export function aggregatorTicket(vrfOut: Hex, licenses = 1): bigint {
  checkBytes32("vrfOut", vrfOut);
  checkCount("licenses", licenses, 1);
  if (licenses > MAX_AGGREGATOR_LICENSES) {
    throw new SortitionError(
      SortitionErrorCode.INVALID_WEIGHT,
      "too many licenses for an aggregator ticket",
      {
        licenses,
        max: MAX_AGGREGATOR_LICENSES,
      },
    );
  }
  // abi.encode(bytes32 tag, bytes32 vrfOut, uint256 i) is the two words and i big-endian in the third: one
  // 96-byte buffer, its last bytes rewritten per slot and hashed in place (keccakBlockInto), the digests
  // compared as bytes. A checker with 1,000 licenses took ~35 ms a ranking through viem's encoder and
  // bigints, and every node ranks each epoch (docs/footprint.md).
  const input = new Uint8Array(96);
  input.set(AGGREGATOR_TICKET_TAG_BYTES, 0);
  input.set(hexToBytes(vrfOut), 32);
  const digest = new Uint8Array(32);
  const best = new Uint8Array(32);
  for (let i = 0; i < licenses; i++) {
    input[92] = i >>> 24;
    input[93] = (i >>> 16) & 0xff;
    input[94] = (i >>> 8) & 0xff;
    input[95] = i & 0xff;
    keccakBlockInto(input, 0, 96, digest, 0);
    if (i === 0 || lessThan(digest, best)) best.set(digest);
  }
  // (bytesToHex and hexToBigInt: viem names the checker's worker thread resolves, challenges/workerModules.ts.)
  return hexToBigInt(bytesToHex(best));
}

/** a < b as big-endian unsigned integers of equal length. */
function lessThan(a: Uint8Array, b: Uint8Array): boolean {
  for (let k = 0; k < a.length; k++) {
    if (a[k] !== b[k]) return (a[k] as number) < (b[k] as number);
  }
  return false;
}

export interface AggregatorCandidate {
  checker: Address;
  ticket: bigint;
}

/**
 * The epoch's aggregator and its backups: lowest ticket first, ties broken
 * by ascending address. Returns at most `count` entries (the leader, then the
 * backups in the order they step in on timeout). Extra fields on candidates
 * are kept.
 */
export function rankAggregators<C extends AggregatorCandidate>(candidates: readonly C[], count: number): C[] {
  checkCount("count", count, 0);
  const seen = new Set<string>();
  const keyed = candidates.map((c) => {
    const checker = checkAddress("checker", c.checker);
    if (typeof c.ticket !== "bigint" || c.ticket < 0n || c.ticket >= TWO_256) {
      throw new SortitionError(SortitionErrorCode.INVALID_TICKET, "ticket must be a uint256", {
        checker,
        ticket: String(c.ticket),
      });
    }
    const key = checker.toLowerCase();
    if (seen.has(key)) {
      throw new SortitionError(
        SortitionErrorCode.DUPLICATE_CANDIDATE,
        "checker appears twice among candidates",
        {
          checker,
        },
      );
    }
    seen.add(key);
    return { c, key };
  });
  keyed.sort((a, b) =>
    a.c.ticket < b.c.ticket ? -1 : a.c.ticket > b.c.ticket ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
  );
  return keyed.slice(0, count).map((k) => k.c);
}

/**
 * Checks a revealed VRF proof against the checker's registered BLS key.
 * Never throws for malformed keys, proofs or seeds: returns false.
 */
export function verifySortitionProof(
  bls: BlsBackend,
  publicKey: Uint8Array | Hex,
  epoch: bigint,
  seed: Hex,
  domain: NetworkDomain,
  vrfProof: Uint8Array | Hex,
): boolean {
  let message: Uint8Array;
  let pk: Uint8Array;
  let proof: Uint8Array;
  try {
    message = sortitionMessage(epoch, seed, domain);
    pk = typeof publicKey === "string" ? hexToBytes(publicKey) : publicKey;
    proof = typeof vrfProof === "string" ? hexToBytes(vrfProof) : vrfProof;
  } catch {
    return false;
  }
  if (pk.length !== 48 || proof.length !== 96) return false;
  return bls.verify(pk, message, proof);
}

/**
 * Candidate `draw` for one seat of a report committee, computed identically by
 * the contract (`CheckerRegistry.committeeAt`): uint256(keccak256(abi.encode(
 * REPORT_COMMITTEE_TAG, bytes32 seed, uint256 nonce, uint256 seat, uint256 draw))) % licenseCount
 * — an index into the snapshot's license array. The report committee of a
 * committee period is drawn with the seed and snapshot of the period's first
 * epoch, with nonce = that epoch; the first candidate whose operator is not
 * jailed takes the seat. Seats are drawn with replacement: a license may hold
 * several seats, and quorum counts seats.
 */
export function reportCommitteeSeat(
  seed: Hex,
  epoch: bigint,
  seat: number,
  activeLicenseCount: number,
  draw = 0,
): number {
  checkBytes32("seed", seed);
  checkEpoch(epoch);
  checkCount("seat", seat, 0);
  checkCount("activeLicenseCount", activeLicenseCount, 1);
  const h = hexToBigInt(
    keccak256(
      encodeAbiParameters(
        [
          { type: "bytes32" },
          { type: "bytes32" },
          { type: "uint256" },
          { type: "uint256" },
          { type: "uint256" },
        ],
        [DomainTag.REPORT_COMMITTEE, seed, epoch, BigInt(seat), BigInt(draw)],
      ),
    ),
  );
  return Number(h % BigInt(activeLicenseCount));
}

/** Seats 0..size-1 of the report committee (license indices, possibly repeated). */
export function reportCommittee(
  seed: Hex,
  epoch: bigint,
  size: number,
  activeLicenseCount: number,
): number[] {
  checkCount("size", size, 1);
  const out: number[] = [];
  for (let seat = 0; seat < size; seat++)
    out.push(reportCommitteeSeat(seed, epoch, seat, activeLicenseCount));
  return out;
}
