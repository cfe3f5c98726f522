import { type Address, getAddress, type Hex, isAddress, isHex } from "viem";
import { ProtocolError } from "../errors.ts";
import type { ResultLeaf, RewardLeaf } from "../merkle/leaves.ts";
import {
  buildResultsTree,
  buildRewardsTree,
  EMPTY_ROOT,
  type ResultsTree,
  type RewardsTree,
} from "../merkle/trees.ts";
import type { ProtocolParams } from "../params.ts";
import { slashAmount, splitEpochRewards } from "../rewards.ts";
import { type ReportHeader, Verdict } from "../types.ts";
import { computeVerdict, type ProviderVerdict, type WeightedAttestation } from "./verdict.ts";

/**
 * Report construction (docs/protocol/sortition-and-aggregation.md, "Report").
 * The aggregator and every co-signing follower run the same function on the
 * same attestation set; the output is a pure function of the set, not of
 * input order, so honest members produce identical header bytes.
 */

export const ReportErrorCode = {
  MISMATCH: "REPORT_ERROR_MISMATCH",
  INVALID_INPUT: "REPORT_ERROR_INVALID_INPUT",
  DUPLICATE_PROVIDER: "REPORT_ERROR_DUPLICATE_PROVIDER",
  WRONG_PROVIDER: "REPORT_ERROR_WRONG_PROVIDER",
  WRONG_EPOCH: "REPORT_ERROR_WRONG_EPOCH",
  DUPLICATE_LICENSE: "REPORT_ERROR_DUPLICATE_LICENSE",
  LICENSE_OVERCLAIM: "REPORT_ERROR_LICENSE_OVERCLAIM",
} as const;
export type ReportErrorCode = (typeof ReportErrorCode)[keyof typeof ReportErrorCode];

export class ReportError extends ProtocolError<ReportErrorCode> {
  override name = "ReportError";
}

/** What the aggregator knows about one provider in the epoch. */
export interface ProviderEpochInput {
  /** The epoch's valid attestations about this provider, each with its checker's seats. */
  attestations: readonly WeightedAttestation[];
  /** The provider's stake (sets its reward weight and its slash amount). */
  stake: bigint;
}

export interface LicenseParticipation {
  licenseId: bigint;
  /** The operator the license is delegated to. */
  checker: Address;
  /** Participation credited to the license; see `licenseParticipation`. */
  countedAttestations: number;
}

export interface BuildReportInput {
  epoch: bigint;
  seed: Hex;
  /** Every provider to report on (one result leaf each, INCONCLUSIVE when nobody attested). */
  perProvider:
    | ReadonlyMap<Address, ProviderEpochInput>
    | readonly (ProviderEpochInput & { provider: Address })[];
  licenseParticipation: readonly LicenseParticipation[];
  params: ProtocolParams;
}

export interface EpochReport {
  header: ReportHeader;
  /** One per provider, ascending by address. */
  results: ResultLeaf[];
  /** The full verdicts, aligned with `results`. */
  verdicts: ProviderVerdict[];
  /** Providers ascending by address, then licenses ascending by id (zero amounts omitted). */
  rewards: RewardLeaf[];
  /** Undefined when there are no results (the header then carries EMPTY_ROOT). */
  resultsTree: ResultsTree | undefined;
  /** Undefined when there are no rewards (the header then carries EMPTY_ROOT). */
  rewardsTree: RewardsTree | undefined;
}

const UINT64_MAX = (1n << 64n) - 1n;
const UINT32_MAX = 0xffff_ffff;

function sortedProviders(
  perProvider: BuildReportInput["perProvider"],
): (ProviderEpochInput & { provider: Address })[] {
  const entries: (ProviderEpochInput & { provider: Address })[] =
    perProvider instanceof Map
      ? [...perProvider.entries()].map(([provider, v]) => ({ ...v, provider }))
      : [...(perProvider as readonly (ProviderEpochInput & { provider: Address })[])];
  const seen = new Set<string>();
  const out = entries.map((e) => {
    if (typeof e.provider !== "string" || !isAddress(e.provider, { strict: false })) {
      throw new ReportError(ReportErrorCode.INVALID_INPUT, "provider is not an address", {
        provider: String(e.provider),
      });
    }
    const provider = getAddress(e.provider);
    if (seen.has(provider)) {
      throw new ReportError(ReportErrorCode.DUPLICATE_PROVIDER, "provider listed twice", { provider });
    }
    seen.add(provider);
    return { ...e, provider };
  });
  out.sort((a, b) => (a.provider.toLowerCase() < b.provider.toLowerCase() ? -1 : 1));
  return out;
}

/**
 * Credits each license with its operator's counted seats: an operator whose
 * attestations in the report carry W seats in total, and which runs licenses
 * l_1 < … < l_m, gives each floor(W / m) and one more to the first W mod m
 * licenses by id. Seats, not attestation counts, because an operator with
 * m licenses wins about m times the seats; crediting per attestation would
 * pay an operator with many licenses once per license for the same work.
 *
 * @param licensesByChecker the operator → delegated license ids map of the epoch (from the license registry)
 */
export function licenseParticipation(
  perProvider: BuildReportInput["perProvider"],
  licensesByChecker: ReadonlyMap<Address, readonly bigint[]>,
): LicenseParticipation[] {
  const seats = new Map<string, number>();
  for (const p of sortedProviders(perProvider)) {
    for (const { attestation, seats: s } of p.attestations) {
      const key = attestation.checker.toLowerCase();
      seats.set(key, (seats.get(key) ?? 0) + s);
    }
  }
  const out: LicenseParticipation[] = [];
  for (const [checkerRaw, ids] of licensesByChecker) {
    const checker = getAddress(checkerRaw);
    const w = seats.get(checker.toLowerCase()) ?? 0;
    const sorted = [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const m = sorted.length;
    if (m === 0) continue;
    sorted.forEach((licenseId, i) => {
      const countedAttestations = Math.floor(w / m) + (i < w % m ? 1 : 0);
      if (countedAttestations > 0) out.push({ licenseId, checker, countedAttestations });
    });
  }
  out.sort((a, b) => (a.licenseId < b.licenseId ? -1 : a.licenseId > b.licenseId ? 1 : 0));
  return out;
}

/**
 * Builds the epoch report: verdicts, result leaves, reward leaves, both
 * trees and the header the report committee signs.
 *
 * - Providers are sorted by address and licenses by id, and both trees sort
 *   their leaves by hash, so permuting any input list changes nothing.
 * - slashAmount = slashAmount(stake) for FAIL leaves, 0 otherwise.
 * - A license's countedAttestations may not exceed its operator's counted
 *   seats in this report, summed over all its licenses (LICENSE_OVERCLAIM),
 *   so an aggregator cannot credit participation that is not in the report.
 * - header.totalRewards = Σ reward amounts (≤ epochRewardPool);
 *   header.attestationCount = Σ attestations over results.
 *
 * @throws ReportError, VerdictError, RewardError on inconsistent input.
 */
export function buildReport(input: BuildReportInput): EpochReport {
  const { epoch, seed, params } = input;
  if (typeof epoch !== "bigint" || epoch < 1n || epoch > UINT64_MAX) {
    throw new ReportError(ReportErrorCode.INVALID_INPUT, "epoch must be a uint64 ≥ 1", {
      epoch: String(epoch),
    });
  }
  if (!isHex(seed, { strict: true }) || seed.length !== 66) {
    throw new ReportError(ReportErrorCode.INVALID_INPUT, "seed must be 32 bytes of hex", {
      seed: String(seed),
    });
  }

  const providers = sortedProviders(input.perProvider);
  const results: ResultLeaf[] = [];
  const verdicts: ProviderVerdict[] = [];
  const rewardInputs = [];
  const checkerSeats = new Map<string, number>();
  let attestationCount = 0;
  for (const p of providers) {
    for (const { attestation: a } of p.attestations) {
      if (a.provider.toLowerCase() !== p.provider.toLowerCase()) {
        throw new ReportError(ReportErrorCode.WRONG_PROVIDER, "attestation filed under another provider", {
          provider: p.provider,
          attestationProvider: a.provider,
          checker: a.checker,
        });
      }
      if (a.epoch !== epoch) {
        throw new ReportError(ReportErrorCode.WRONG_EPOCH, "attestation is for another epoch", {
          epoch: String(epoch),
          attestationEpoch: String(a.epoch),
          checker: a.checker,
        });
      }
    }
    const v = computeVerdict(p.attestations, params);
    for (const { attestation: a, seats } of p.attestations) {
      const key = a.checker.toLowerCase();
      checkerSeats.set(key, (checkerSeats.get(key) ?? 0) + seats);
    }
    results.push({
      provider: p.provider,
      verdict: v.verdict,
      scoreBps: v.scoreBps,
      medianLatencyUs: v.medianLatencyUs,
      attestations: v.attestations,
      failures: v.failures,
      slashAmount: v.verdict === Verdict.FAIL ? slashAmount(p.stake, params) : 0n,
      accusers: v.accusers,
    });
    verdicts.push(v);
    rewardInputs.push({ provider: p.provider, verdict: v.verdict, scoreBps: v.scoreBps, stake: p.stake });
    attestationCount += v.attestations;
  }
  if (results.length > UINT32_MAX || attestationCount > UINT32_MAX) {
    throw new ReportError(ReportErrorCode.INVALID_INPUT, "report exceeds uint32 counts", {
      providers: results.length,
      attestationCount,
    });
  }

  const claimed = new Map<string, number>();
  const seenLicenses = new Set<bigint>();
  for (const l of input.licenseParticipation) {
    if (seenLicenses.has(l.licenseId)) {
      throw new ReportError(ReportErrorCode.DUPLICATE_LICENSE, "license listed twice", {
        licenseId: String(l.licenseId),
      });
    }
    seenLicenses.add(l.licenseId);
    if (typeof l.checker !== "string" || !isAddress(l.checker, { strict: false })) {
      throw new ReportError(ReportErrorCode.INVALID_INPUT, "license checker is not an address", {
        licenseId: String(l.licenseId),
        checker: String(l.checker),
      });
    }
    const key = l.checker.toLowerCase();
    const total = (claimed.get(key) ?? 0) + l.countedAttestations;
    claimed.set(key, total);
    const available = checkerSeats.get(key) ?? 0;
    if (total > available) {
      throw new ReportError(
        ReportErrorCode.LICENSE_OVERCLAIM,
        "licenses claim more participation than the report holds",
        {
          checker: getAddress(l.checker),
          licenseId: String(l.licenseId),
          claimed: total,
          available,
        },
      );
    }
  }

  const rewards = splitEpochRewards(
    { providers: rewardInputs, licenses: input.licenseParticipation },
    params,
  );
  const resultsTree = results.length > 0 ? buildResultsTree(results) : undefined;
  const rewardsTree = rewards.length > 0 ? buildRewardsTree(rewards) : undefined;
  const header: ReportHeader = {
    epoch,
    seed: seed.toLowerCase() as Hex,
    resultsRoot: (resultsTree?.root ?? EMPTY_ROOT) as Hex,
    rewardsRoot: (rewardsTree?.root ?? EMPTY_ROOT) as Hex,
    totalRewards: rewards.reduce((s, r) => s + r.amount, 0n),
    providerCount: results.length,
    attestationCount,
  };
  return { header, results, verdicts, rewards, resultsTree, rewardsTree };
}

/** Header fields in the order checkReport compares them. */
export const REPORT_HEADER_FIELDS = [
  "epoch",
  "seed",
  "resultsRoot",
  "rewardsRoot",
  "totalRewards",
  "providerCount",
  "attestationCount",
] as const satisfies readonly (keyof ReportHeader)[];

/**
 * A follower's check before co-signing: the proposed header must equal the
 * one it built itself from the same attestation set. Returns normally when
 * equal; throws ReportError MISMATCH naming the first differing field.
 */
export function checkReport(proposed: ReportHeader, local: ReportHeader | Pick<EpochReport, "header">): void {
  const mine: ReportHeader = "header" in local ? local.header : local;
  for (const field of REPORT_HEADER_FIELDS) {
    const a = proposed[field];
    const b = mine[field];
    const equal =
      typeof a === "string" && typeof b === "string" ? a.toLowerCase() === b.toLowerCase() : a === b;
    if (!equal) {
      throw new ReportError(ReportErrorCode.MISMATCH, `proposed report differs in ${field}`, {
        field,
        expected: String(b),
        actual: String(a),
      });
    }
  }
}
