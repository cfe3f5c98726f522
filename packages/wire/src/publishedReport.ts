import type {
  CountedAttestation,
  PublishedReport,
  ReportInputs,
  ReportParams,
} from "@checkernet/protocol/explain";
import type { Beneficiary, ResultLeaf, RewardLeaf } from "@checkernet/protocol/merkle/leaves";
import type { CheckResult, ReportHeader, Verdict } from "@checkernet/protocol/types";
import { type Address, getAddress, type Hash, type Hex, isAddress, isHex } from "viem";
import { WirePackageError } from "./errors.ts";

/**
 * The wire and HTTP form of a published report: JSON with bigints as
 * decimal strings. One shape for `GET /reports/<epoch>` and
 * `/checkernet/reports/1.0.0`, parsed strictly: a peer's answer is
 * untrusted until `verifyPublishedReport` ties it to the on-chain roots.
 * Pure encoding, but transport-shaped (JSON with string bigints, size
 * limits against lying peers), so it lives beside the reports protocol
 * rather than in @checkernet/protocol, which holds the report itself.
 */

/** A published report with where it came from on-chain (null when this node did not submit it). */
export interface PublishedReportWithTx extends PublishedReport {
  txHash: Hash | null;
  gasUsed: bigint | null;
}

export const PUBLISHED_REPORT_LIMITS = {
  /** Providers per report: the co-sign protocol's 4096 attestations over k = 8 seats cover 512; leave room. */
  maxProviders: 4_096,
  /** Attestations per provider: a committee is about k = 8; re-check committees are a few times that. */
  maxAttestationsPerProvider: 256,
  /** Reward leaves: every provider plus every license. */
  maxRewards: 4_096 + 65_536,
  /** Operators and licenses per operator. */
  maxCheckers: 16_384,
  maxLicensesPerChecker: 65_536,
  /** Accusers per result leaf (uint16 attestation count bounds it; a committee is far smaller). */
  maxAccusers: 256,
} as const;

export class PublishedReportError extends WirePackageError<"PUBLISHED_REPORT_ERROR_MALFORMED"> {
  override name = "PublishedReportError";
  constructor(message: string) {
    super("PUBLISHED_REPORT_ERROR_MALFORMED", message);
  }
}

/** JSON-ready object: bigints as decimal strings, `inputs: null` when absent. */
export function publishedReportToJson(r: PublishedReportWithTx): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify({ ...r, inputs: r.inputs ?? null }, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
  ) as Record<string, unknown>;
}

// --- strict parsing ---

type Json = Record<string, unknown>;

function fail(path: string, what: string): never {
  throw new PublishedReportError(`${path}: ${what}`);
}
function obj(v: unknown, path: string): Json {
  if (typeof v !== "object" || v === null || Array.isArray(v)) fail(path, "must be an object");
  return v as Json;
}
function arr(v: unknown, path: string, max: number): unknown[] {
  if (!Array.isArray(v)) fail(path, "must be an array");
  if (v.length > max) fail(path, `has ${v.length} entries, at most ${max} allowed`);
  return v;
}
function int(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
    fail(path, `must be an integer in [${min}, ${max}]`);
  return v;
}
const UINT256_MAX = (1n << 256n) - 1n;
function big(v: unknown, path: string, max = UINT256_MAX): bigint {
  if (typeof v !== "string" || !/^\d{1,78}$/.test(v)) fail(path, "must be a decimal string");
  const n = BigInt(v);
  if (n > max) fail(path, "is out of range");
  return n;
}
function address(v: unknown, path: string): Address {
  if (typeof v !== "string" || !isAddress(v, { strict: false })) fail(path, "must be an address");
  return getAddress(v);
}
function bytes32(v: unknown, path: string): Hex {
  if (typeof v !== "string" || !isHex(v, { strict: true }) || v.length !== 66)
    fail(path, "must be 32 bytes of hex");
  return v.toLowerCase() as Hex;
}

function parseHeader(v: unknown): ReportHeader {
  const h = obj(v, "header");
  return {
    epoch: big(h.epoch, "header.epoch", (1n << 64n) - 1n),
    seed: bytes32(h.seed, "header.seed"),
    resultsRoot: bytes32(h.resultsRoot, "header.resultsRoot"),
    rewardsRoot: bytes32(h.rewardsRoot, "header.rewardsRoot"),
    totalRewards: big(h.totalRewards, "header.totalRewards"),
    providerCount: int(h.providerCount, "header.providerCount", 0, 0xffff_ffff),
    attestationCount: int(h.attestationCount, "header.attestationCount", 0, 0xffff_ffff),
  };
}

function parseResult(v: unknown, i: number): ResultLeaf {
  const p = `results[${i}]`;
  const r = obj(v, p);
  return {
    provider: address(r.provider, `${p}.provider`),
    verdict: int(r.verdict, `${p}.verdict`, 0, 2) as Verdict,
    scoreBps: int(r.scoreBps, `${p}.scoreBps`, 0, 0xffff_ffff),
    medianLatencyUs: int(r.medianLatencyUs, `${p}.medianLatencyUs`, 0, 0xffff_ffff),
    attestations: int(r.attestations, `${p}.attestations`, 0, 0xffff),
    failures: int(r.failures, `${p}.failures`, 0, 0xffff),
    slashAmount: big(r.slashAmount, `${p}.slashAmount`),
    accusers: arr(r.accusers, `${p}.accusers`, PUBLISHED_REPORT_LIMITS.maxAccusers).map((a, j) =>
      address(a, `${p}.accusers[${j}]`),
    ),
  };
}

function parseReward(v: unknown, i: number): RewardLeaf {
  const p = `rewards[${i}]`;
  const r = obj(v, p);
  return {
    beneficiary: int(r.beneficiary, `${p}.beneficiary`, 0, 1) as Beneficiary,
    id: big(r.id, `${p}.id`),
    amount: big(r.amount, `${p}.amount`),
  };
}

function parseParams(v: unknown): ReportParams {
  const p = obj(v, "inputs.params");
  const bps = (k: string) => int(p[k], `inputs.params.${k}`, 0, 10_000);
  return {
    epochRewardPool: big(p.epochRewardPool, "inputs.params.epochRewardPool"),
    providerShareBps: bps("providerShareBps"),
    slashBps: bps("slashBps"),
    failureQuorumBps: bps("failureQuorumBps"),
    scoreLatencyWeightBps: bps("scoreLatencyWeightBps"),
    minAttestations: int(p.minAttestations, "inputs.params.minAttestations", 0, 0xffff),
    scoreLatencyTargetUs: int(
      p.scoreLatencyTargetUs,
      "inputs.params.scoreLatencyTargetUs",
      0,
      Number.MAX_SAFE_INTEGER,
    ),
  };
}

function parseInputs(v: unknown): ReportInputs | undefined {
  if (v === null || v === undefined) return undefined;
  const o = obj(v, "inputs");
  const L = PUBLISHED_REPORT_LIMITS;
  return {
    providers: arr(o.providers, "inputs.providers", L.maxProviders).map((pv, i) => {
      const p = `inputs.providers[${i}]`;
      const e = obj(pv, p);
      return {
        provider: address(e.provider, `${p}.provider`),
        stake: big(e.stake, `${p}.stake`),
        attestations: arr(e.attestations, `${p}.attestations`, L.maxAttestationsPerProvider).map(
          (av, j): CountedAttestation => {
            const q = `${p}.attestations[${j}]`;
            const a = obj(av, q);
            return {
              checker: address(a.checker, `${q}.checker`),
              seats: int(a.seats, `${q}.seats`, 1, 1 << 20),
              result: int(a.result, `${q}.result`, 0, 2) as CheckResult,
              latencyP50Us: int(a.latencyP50Us, `${q}.latencyP50Us`, 0, Number.MAX_SAFE_INTEGER),
            };
          },
        ),
      };
    }),
    licensesByChecker: arr(o.licensesByChecker, "inputs.licensesByChecker", L.maxCheckers).map((lv, i) => {
      const p = `inputs.licensesByChecker[${i}]`;
      const l = obj(lv, p);
      return {
        checker: address(l.checker, `${p}.checker`),
        licenseIds: arr(l.licenseIds, `${p}.licenseIds`, L.maxLicensesPerChecker).map((id, j) =>
          big(id, `${p}.licenseIds[${j}]`),
        ),
      };
    }),
    params: parseParams(o.params),
  };
}

/**
 * Parses the JSON form (already JSON.parse'd) strictly.
 * @throws PublishedReportError naming the first bad field
 */
export function parsePublishedReport(json: unknown): PublishedReportWithTx {
  const o = obj(json, "report");
  const L = PUBLISHED_REPORT_LIMITS;
  const inputs = parseInputs(o.inputs);
  const txHash = o.txHash === null || o.txHash === undefined ? null : (bytes32(o.txHash, "txHash") as Hash);
  const gasUsed = o.gasUsed === null || o.gasUsed === undefined ? null : big(o.gasUsed, "gasUsed");
  return {
    header: parseHeader(o.header),
    results: arr(o.results, "results", L.maxProviders).map(parseResult),
    rewards: arr(o.rewards, "rewards", L.maxRewards).map(parseReward),
    ...(inputs === undefined ? {} : { inputs }),
    txHash,
    gasUsed,
  };
}
