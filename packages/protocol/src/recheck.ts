import {
  type Address,
  encodeAbiParameters,
  getAddress,
  type Hex,
  hexToBytes,
  keccak256,
  toBytes,
} from "viem";
import type { BlsBackend, SignatureSet } from "./bls/backend.ts";
import { checkLength, checkRange, defineCodec } from "./encoding/codec.ts";
import { domainSeparator } from "./encoding/domain.ts";
import { ProtocolError } from "./errors.ts";
import { type ChallengeKind, CheckResult, type NetworkDomain, Verdict } from "./types.ts";

/**
 * Re-checks (docs/protocol/recheck.md). When a provider contests a slash, the
 * contract draws a re-check committee for the slash; each member re-runs the
 * provider's challenge in the re-check epoch and signs a RecheckResult. The
 * results are signed under their own domain tag, not as attestations, so a
 * member that also sits on the provider's regular committee in that epoch
 * never signs two attestations for one (epoch, provider). The committee's
 * verdict (`recheckVerdict`) becomes the header the contract resolves with.
 */

/** keccak256("checkernet.v1.recheck-result"): the signing tag of one member's re-check result. */
export const RECHECK_RESULT_TAG: Hex = keccak256(toBytes("checkernet.v1.recheck-result"));

/** keccak256("checkernet.v1.recheck-time"): what a re-check member signs to draw the epoch it tests in. */
export const RECHECK_TIME_TAG: Hex = keccak256(toBytes("checkernet.v1.recheck-time"));

/**
 * The message whose BLS signature draws a re-check member's private run epoch:
 * keccak256(abi.encode(RECHECK_TIME_TAG, domainSeparator, slashing, uint256 slashId)).
 */
export function recheckTimeMessage(domainSeparatorHex: Hex, slashing: Address, slashId: bigint): Uint8Array {
  return hexToBytes(
    keccak256(
      encodeAbiParameters(
        [{ type: "bytes32" }, { type: "bytes32" }, { type: "address" }, { type: "uint256" }],
        [RECHECK_TIME_TAG, domainSeparatorHex, getAddress(slashing), slashId],
      ),
    ),
  );
}

/**
 * The epoch in which a re-check member tests the provider:
 * recheckEpoch + uint256(keccak256(signature)) % windowEpochs, where `signature` is the member's BLS signature
 * over `recheckTimeMessage`. BLS signatures are unique and only the member can make its own, so the provider
 * cannot learn when each member tests it (nor can the member pick its epoch); every epoch of the window sees
 * about a window's share of the committee, and a provider that serves honestly in only some of them is caught
 * in the others.
 */
export function recheckRunEpoch(signature: Uint8Array, recheckEpoch: bigint, windowEpochs: bigint): bigint {
  if (windowEpochs < 1n) {
    throw new RecheckError(
      RecheckErrorCode.INVALID_WINDOW,
      "the re-check window must be at least one epoch",
      {
        windowEpochs: String(windowEpochs),
      },
    );
  }
  return recheckEpoch + (BigInt(keccak256(signature)) % windowEpochs);
}

/**
 * Verdict rules of a re-check, apart from the epoch rules (ProtocolParams) on purpose: the re-check is the
 * appeal, the burden of proof lies with the accusers, and a network may tune how easily its regular
 * committees propose a slash without lowering the bar a re-check must clear to confirm one.
 */
export interface RecheckRules {
  /** Distinct members that must report before any verdict other than INCONCLUSIVE. */
  minResults: number;
  /**
   * The re-check upholds the failure when failing seats · 10000 > this · the committee's seats (every seat
   * of the committee, reported or not: a result a leader leaves out counts as a pass).
   */
  failureQuorumBps: number;
  /**
   * Per-window-epoch rule: the re-check also upholds when at least this many distinct members whose run
   * epoch (`recheckRunEpoch`) is one epoch of the window report FAIL or TIMEOUT. Applied only when the
   * caller passes the members' run epochs; 0 or absent turns it off. The default is the smallest count
   * whose false-uphold bound against a colluding third stays ≤ 10^-9 for `epochWindow` (`npm run params`,
   * docs/PARAMETERS.md "Re-check verdict"); it is only valid for that window.
   */
  minEpochFailures?: number;
  /** The re-check window (recheckWindowEpochs) `minEpochFailures` was computed for. */
  epochWindow?: number;
}

/**
 * Defaults: 3 distinct members; more than two thirds of the committee's seats failing, or 44 distinct
 * members failing in one epoch of a 3-epoch window (135 seats, a third colluding, honest members failing
 * an honest provider 2 % of the time, the colluders' seed bias × 3: false uphold ≤ 7.4·10^-10).
 */
export const DEFAULT_RECHECK_RULES: Readonly<RecheckRules> = Object.freeze({
  minResults: 3,
  failureQuorumBps: 6_666,
  minEpochFailures: 44,
  epochWindow: 3,
});

/** One member's finding on the contested provider. */
export interface RecheckResult {
  slashId: bigint;
  provider: Address;
  /** The epoch the re-check ran in (the slash's recheckEpoch). */
  recheckEpoch: bigint;
  checker: Address;
  kind: ChallengeKind;
  result: CheckResult;
  latencyP50Us: number;
  /** Hash of the challenge transcript the member keeps as evidence. */
  transcriptHash: Hex;
  /** The epoch of the window the member tested in: recheckRunEpoch(timeSignature, recheckEpoch, window). */
  runEpoch: bigint;
  /**
   * The member's BLS signature (96 bytes) over recheckTimeMessage, which draws `runEpoch`: anyone holding the
   * member's key verifies it, so the run epochs the per-window-epoch rule counts by cannot be made up. Bound
   * under the result's signature with every other field.
   */
  timeSignature: Hex;
}

export interface SignedRecheckResult {
  result: RecheckResult;
  /** BLS signature (96-byte G2, compressed) over recheckResultSigningRoot. */
  signature: Hex;
}

const UINT64_MAX = (1n << 64n) - 1n;

/**
 * The fields a result has carried since /checkernet/recheck/1.0.0, in their ABI order. 2.0.0 appended the run
 * epoch and the time signature; the frozen 1.0.0 layout (recheckLegacy.ts) is these fields alone.
 */
export const RECHECK_RESULT_BASE_FIELDS = [
  { name: "slashId", type: "uint256" },
  { name: "provider", type: "address" },
  { name: "recheckEpoch", type: "uint64" },
  { name: "checker", type: "address" },
  { name: "kind", type: "uint8" },
  { name: "result", type: "uint8" },
  { name: "latencyP50Us", type: "uint32" },
  { name: "transcriptHash", type: "bytes32" },
] as const;

const RECHECK_RESULT_ABI = [
  {
    type: "tuple",
    components: [
      ...RECHECK_RESULT_BASE_FIELDS,
      { name: "runEpoch", type: "uint64" },
      { name: "timeSignature", type: "bytes" },
    ],
  },
] as const;

/** The fields of RECHECK_RESULT_BASE_FIELDS as a codec decodes them. */
interface RecheckResultBaseAbi {
  slashId: bigint;
  provider: Address;
  recheckEpoch: bigint;
  checker: Address;
  kind: number;
  result: number;
  latencyP50Us: number;
  transcriptHash: Hex;
}

/**
 * Checks and reads the fields every result format shares (the 2.0.0 codec below, the 1.0.0 one in
 * recheckLegacy.ts), so that both formats hold a decoded field to the same rule.
 */
export function recheckResultBaseFromAbi(codec: string, f: RecheckResultBaseAbi) {
  checkRange(codec, "kind", f.kind, 0, 2);
  checkRange(codec, "result", f.result, 0, 2);
  checkRange(codec, "recheckEpoch", f.recheckEpoch, 1n, UINT64_MAX);
  return {
    slashId: f.slashId,
    provider: getAddress(f.provider),
    recheckEpoch: f.recheckEpoch,
    checker: getAddress(f.checker),
    kind: f.kind as ChallengeKind,
    result: f.result as CheckResult,
    latencyP50Us: f.latencyP50Us,
    transcriptHash: f.transcriptHash,
  };
}

/** The wire form of a signed re-check result (the recheck req/resp protocol). */
export const signedRecheckResultCodec = defineCodec({
  name: "SignedRecheckResult",
  // tuple offset + 9 static words + 2 offsets (time signature, signature) + 2 × (length word + 96 bytes)
  maxBytes: 32 + 9 * 32 + 2 * 32 + 2 * (32 + 96),
  abi: [
    {
      type: "tuple",
      components: [
        ...RECHECK_RESULT_ABI[0].components.map((c) => ({ ...c })),
        { name: "signature", type: "bytes" },
      ],
    },
  ] as const,
  toAbi: (s: SignedRecheckResult) => [{ ...s.result, signature: s.signature }] as const,
  fromAbi: ([f]) => {
    const base = recheckResultBaseFromAbi("SignedRecheckResult", f);
    checkRange("SignedRecheckResult", "runEpoch", f.runEpoch, f.recheckEpoch, UINT64_MAX);
    checkLength("SignedRecheckResult", "timeSignature", f.timeSignature, 96);
    checkLength("SignedRecheckResult", "signature", f.signature, 96);
    return {
      result: { ...base, runEpoch: f.runEpoch, timeSignature: f.timeSignature },
      signature: f.signature,
    };
  },
});

/** keccak256(abi.encode(RECHECK_RESULT_TAG, domainSeparator(domain), result)): what a member signs. */
export function recheckResultSigningRoot(result: RecheckResult, domain: NetworkDomain): Uint8Array {
  return hexToBytes(
    keccak256(
      encodeAbiParameters(
        [{ type: "bytes32" }, { type: "bytes32" }, ...RECHECK_RESULT_ABI],
        [RECHECK_RESULT_TAG, domainSeparator(domain), result],
      ),
    ),
  );
}

export const RecheckErrorCode = {
  MIXED_SLASH: "RECHECK_ERROR_MIXED_SLASH",
  DUPLICATE_CHECKER: "RECHECK_ERROR_DUPLICATE_CHECKER",
  NOT_ON_COMMITTEE: "RECHECK_ERROR_NOT_ON_COMMITTEE",
  INVALID_RULES: "RECHECK_ERROR_INVALID_RULES",
  INVALID_WINDOW: "RECHECK_ERROR_INVALID_WINDOW",
  MISSING_RUN_EPOCH: "RECHECK_ERROR_MISSING_RUN_EPOCH",
  INVALID_RUN_EPOCH: "RECHECK_ERROR_INVALID_RUN_EPOCH",
  /** A result's signature does not verify under its member's key. */
  INVALID_SIGNATURE: "RECHECK_ERROR_INVALID_SIGNATURE",
  /** A result's time signature does not verify under its member's key (over recheckTimeMessage). */
  INVALID_TIME_SIGNATURE: "RECHECK_ERROR_INVALID_TIME_SIGNATURE",
  /** A result claims a run epoch other than the one its time signature draws. */
  RUN_EPOCH_MISMATCH: "RECHECK_ERROR_RUN_EPOCH_MISMATCH",
} as const;
export type RecheckErrorCode = (typeof RecheckErrorCode)[keyof typeof RecheckErrorCode];

export class RecheckError extends ProtocolError<RecheckErrorCode> {
  override name = "RecheckError";
}

export interface RecheckVerdict {
  verdict: Verdict;
  /** Distinct members counted. */
  attestations: number;
  /** Members whose result was FAIL or TIMEOUT. */
  failures: number;
  /** Seats counted, and seats of failing members. */
  weight: number;
  failureWeight: number;
  /** Seats of the whole committee: the denominator of the two-thirds rule. */
  committeeSeats: number;
  /** Most distinct failing members in one run epoch (0 when no run epochs were given). */
  maxEpochFailures: number;
  /** Merkle root of the counted results (recheckEvidenceRoot). */
  evidenceRoot: Hex;
}

/**
 * The re-check committee's verdict on the contested provider.
 *
 * Each member's result weighs the seats it holds in the committee
 * (`committee` lists the operator of every seat, as
 * `Slashing.recheckCommittee` returns it), so an operator counts as often as
 * the contract's seat draw picked its licenses.
 *
 * - INCONCLUSIVE when fewer than rules.minResults distinct members reported
 *   (the contract then cancels the slash without penalty).
 * - FAIL (the slash is upheld) when failing seats · 10000 > rules.failureQuorumBps · the committee's seats
 *   (`committee.length`): a seat that did not report, or whose result a leader left out, counts as a
 *   pass, so leaving PASS results out can never turn a PASS into a FAIL. FAIL and TIMEOUT both fail.
 * - FAIL as well, when `runEpochs` (each member's `recheckRunEpoch`, keyed by checker address: recheckRunEpochs
 *   draws them from results verified by verifyRecheckResults) is given
 *   and rules.minEpochFailures > 0, when at least minEpochFailures distinct members of one run epoch
 *   failed: a provider that cheats in one epoch of the window and serves in the others fails about a
 *   window's share of the members, short of two thirds (docs/protocol/recheck.md, "Verdict rules").
 * - PASS (the slash is overturned, the accusers penalized) otherwise.
 *
 * @throws RecheckError MIXED_SLASH when results are about different slashes,
 *   providers or epochs; DUPLICATE_CHECKER; NOT_ON_COMMITTEE when a result's
 *   checker holds no seat; MISSING_RUN_EPOCH when `runEpochs` lacks a member; INVALID_RUN_EPOCH when one
 *   lies outside [recheckEpoch, recheckEpoch + rules.epochWindow).
 */
export function recheckVerdict(
  results: readonly SignedRecheckResult[],
  committee: readonly Address[],
  rules: RecheckRules = DEFAULT_RECHECK_RULES,
  runEpochs?: ReadonlyMap<string, bigint>,
): RecheckVerdict {
  checkRules(rules);
  const seats = new Map<string, number>();
  for (const operator of committee) {
    const k = operator.toLowerCase();
    seats.set(k, (seats.get(k) ?? 0) + 1);
  }
  const epochRule = runEpochs !== undefined && (rules.minEpochFailures ?? 0) > 0;
  const window = BigInt(rules.epochWindow ?? 1);
  const epochFailures = new Map<bigint, number>();
  const first = results[0]?.result;
  const seen = new Set<string>();
  let weight = 0;
  let failureWeight = 0;
  let failures = 0;
  for (const { result: r } of results) {
    if (
      first === undefined ||
      r.slashId !== first.slashId ||
      r.recheckEpoch !== first.recheckEpoch ||
      r.provider.toLowerCase() !== first.provider.toLowerCase()
    ) {
      throw new RecheckError(RecheckErrorCode.MIXED_SLASH, "results are about different re-checks", {
        checker: r.checker,
        slashId: String(r.slashId),
      });
    }
    const k = r.checker.toLowerCase();
    if (seen.has(k)) {
      throw new RecheckError(RecheckErrorCode.DUPLICATE_CHECKER, "a member reported twice", {
        checker: r.checker,
      });
    }
    seen.add(k);
    const w = seats.get(k);
    if (w === undefined) {
      throw new RecheckError(RecheckErrorCode.NOT_ON_COMMITTEE, "a result from outside the committee", {
        checker: r.checker,
      });
    }
    weight += w;
    if (r.result !== CheckResult.PASS) {
      failureWeight += w;
      failures += 1;
    }
    if (epochRule) {
      const e = runEpoch(runEpochs, k, r.recheckEpoch, window);
      if (r.result !== CheckResult.PASS) epochFailures.set(e, (epochFailures.get(e) ?? 0) + 1);
    }
  }
  const maxEpochFailures = Math.max(0, ...epochFailures.values());
  let verdict: Verdict;
  if (results.length < rules.minResults) verdict = Verdict.INCONCLUSIVE;
  else if (failureWeight * 10_000 > rules.failureQuorumBps * committee.length) verdict = Verdict.FAIL;
  else if (epochRule && maxEpochFailures >= (rules.minEpochFailures ?? 0)) verdict = Verdict.FAIL;
  else verdict = Verdict.PASS;
  return {
    verdict,
    attestations: results.length,
    failures,
    weight,
    failureWeight,
    committeeSeats: committee.length,
    maxEpochFailures,
    evidenceRoot: recheckEvidenceRoot(results),
  };
}

function checkRules(rules: RecheckRules): void {
  const epochRule = rules.minEpochFailures ?? 0;
  const window = rules.epochWindow ?? 1;
  if (
    !Number.isSafeInteger(rules.minResults) ||
    rules.minResults < 1 ||
    !Number.isSafeInteger(rules.failureQuorumBps) ||
    rules.failureQuorumBps < 0 ||
    rules.failureQuorumBps >= 10_000 ||
    !Number.isSafeInteger(epochRule) ||
    epochRule < 0 ||
    !Number.isSafeInteger(window) ||
    window < 1
  ) {
    throw new RecheckError(
      RecheckErrorCode.INVALID_RULES,
      "minResults ≥ 1, failureQuorumBps in [0, 10000), minEpochFailures ≥ 0 and epochWindow ≥ 1",
      {
        minResults: rules.minResults,
        failureQuorumBps: rules.failureQuorumBps,
        minEpochFailures: epochRule,
        epochWindow: window,
      },
    );
  }
}

function runEpoch(
  runEpochs: ReadonlyMap<string, bigint>,
  checker: string,
  recheckEpoch: bigint,
  window: bigint,
) {
  const e = runEpochs.get(checker) ?? runEpochs.get(getAddress(checker));
  if (e === undefined) {
    throw new RecheckError(RecheckErrorCode.MISSING_RUN_EPOCH, "no run epoch for a member's result", {
      checker,
    });
  }
  if (e < recheckEpoch || e >= recheckEpoch + window) {
    throw new RecheckError(RecheckErrorCode.INVALID_RUN_EPOCH, "a run epoch outside the re-check window", {
      checker,
      runEpoch: String(e),
      recheckEpoch: String(recheckEpoch),
      window: String(window),
    });
  }
  return e;
}

/** What a re-check's results are verified against: the slash, its window, and the signing domains. */
export interface RecheckContext {
  /** The network domain results are signed under (recheckResultSigningRoot). */
  domain: NetworkDomain;
  /** EpochReports.domainSeparator, mixed into recheckTimeMessage. */
  domainSeparator: Hex;
  slashing: Address;
  slashId: bigint;
  /** Slashing.recheckWindowEpochs: the window the run epochs are drawn over. */
  windowEpochs: bigint;
}

/** The run epoch a result's time signature draws; a result claiming another is refused (RUN_EPOCH_MISMATCH). */
function drawnRunEpoch(r: RecheckResult, windowEpochs: bigint): bigint {
  const drawn = recheckRunEpoch(hexToBytes(r.timeSignature), r.recheckEpoch, windowEpochs);
  if (drawn !== r.runEpoch) {
    throw new RecheckError(
      RecheckErrorCode.RUN_EPOCH_MISMATCH,
      "a result claims a run epoch its time signature does not draw",
      { checker: r.checker, claimed: String(r.runEpoch), drawn: String(drawn) },
    );
  }
  return drawn;
}

/**
 * Verifies members' signed results of one re-check, each under its member's registered key: the result's
 * signature (recheckResultSigningRoot) and its time signature (recheckTimeMessage of the slash), all in one
 * BlsBackend.verifyBatch; when the batch fails, each set alone, to name the result at fault. Each result's
 * claimed run epoch must be the one its time signature draws. The aggregator (on each result it collects)
 * and every co-signer (on all of a request's results) call this before counting results.
 *
 * @throws RecheckError RUN_EPOCH_MISMATCH; INVALID_SIGNATURE; INVALID_TIME_SIGNATURE
 */
export function verifyRecheckResults(
  bls: BlsBackend,
  context: RecheckContext,
  results: readonly { signed: SignedRecheckResult; publicKey: Uint8Array }[],
): void {
  const time = recheckTimeMessage(context.domainSeparator, context.slashing, context.slashId);
  const sets: { set: SignatureSet; code: RecheckErrorCode; checker: Address }[] = [];
  for (const { signed, publicKey } of results) {
    const r = signed.result;
    drawnRunEpoch(r, context.windowEpochs);
    sets.push(
      {
        set: {
          publicKey,
          message: recheckResultSigningRoot(r, context.domain),
          signature: hexToBytes(signed.signature),
        },
        code: RecheckErrorCode.INVALID_SIGNATURE,
        checker: r.checker,
      },
      {
        set: { publicKey, message: time, signature: hexToBytes(r.timeSignature) },
        code: RecheckErrorCode.INVALID_TIME_SIGNATURE,
        checker: r.checker,
      },
    );
  }
  if (sets.length === 0 || safely(() => bls.verifyBatch(sets.map((s) => s.set)))) return;
  for (const { set, code, checker } of sets) {
    if (!bls.verify(set.publicKey, set.message, set.signature)) {
      const what = code === RecheckErrorCode.INVALID_SIGNATURE ? "signature" : "time signature";
      throw new RecheckError(code, `a result's ${what} does not verify under its member's key`, { checker });
    }
  }
}

function safely(f: () => boolean): boolean {
  try {
    return f();
  } catch {
    return false;
  }
}

/**
 * The run epochs `recheckVerdict`'s per-window-epoch rule counts by, keyed by member (lower-case address),
 * each drawn from the member's time signature (verify the signatures first: verifyRecheckResults).
 * Undefined, so that the two-thirds rule alone applies, when the rules' per-epoch rule is off or was
 * computed for another window than the slash's (`rules.epochWindow` ≠ `windowEpochs`): its threshold is
 * valid for its window only (with a shorter one each epoch holds more members, and a colluding third alone
 * could reach it).
 *
 * @throws RecheckError RUN_EPOCH_MISMATCH
 */
export function recheckRunEpochs(
  results: readonly SignedRecheckResult[],
  windowEpochs: bigint,
  rules: RecheckRules = DEFAULT_RECHECK_RULES,
): Map<string, bigint> | undefined {
  if ((rules.minEpochFailures ?? 0) <= 0 || BigInt(rules.epochWindow ?? 1) !== windowEpochs) return undefined;
  return new Map(
    results.map((s) => [s.result.checker.toLowerCase(), drawnRunEpoch(s.result, windowEpochs)] as const),
  );
}

/**
 * Commitment to the results a re-check header was built from: the keccak256
 * of the sorted (by checker) hashes of each encoded signed result, chained as
 * a binary Merkle tree with sorted pairs (OpenZeppelin's commutative hashing),
 * the zero hash when there is none. Anyone holding the results recomputes it.
 */
export function recheckEvidenceRoot(results: readonly SignedRecheckResult[]): Hex {
  let level = [...results]
    .sort((a, b) => (a.result.checker.toLowerCase() < b.result.checker.toLowerCase() ? -1 : 1))
    .map((s) => keccak256(signedRecheckResultCodec.encode(s)));
  if (level.length === 0) return `0x${"00".repeat(32)}`;
  while (level.length > 1) {
    const next: Hex[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const a = level[i] as Hex;
      const b = level[i + 1];
      if (b === undefined) next.push(a);
      else next.push(keccak256(a < b ? `${a}${b.slice(2)}` : `${b}${a.slice(2)}`));
    }
    level = next;
  }
  return level[0] as Hex;
}
