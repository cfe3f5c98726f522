import type { Address } from "viem";
import { ProtocolError } from "./errors.ts";
import type { ResultLeaf } from "./merkle/leaves.ts";
import type { ProtocolParams } from "./params.ts";
import type { ProviderVerdict } from "./scoring/verdict.ts";
import { Verdict } from "./types.ts";

/**
 * Contest rules (docs/protocol/sortition-and-aggregation.md, "Contests").
 * A FAIL result leaf puts a pending slash on the provider. Within
 * params.contestWindowEpochs of the report the provider may contest it
 * with params.contestBond; the contract then asks for a re-check by a
 * committee params.recheckCommitteeMultiplier times larger, in a later
 * epoch. The re-check's verdict on the provider resolves the contest.
 */

export const ContestOutcome = {
  /** The re-check passed the provider: no slash, bond back, the leaf's accusers (FAIL attesters) penalized. */
  OVERTURNED: "OVERTURNED",
  /** The re-check failed the provider too: slash executed, bond forfeited. */
  UPHELD: "UPHELD",
  /** No re-check yet and its deadline has not passed. */
  PENDING: "PENDING",
  /** The re-check was inconclusive or never came: no slash, bond back, nobody penalized. */
  DEFAULT_OVERTURNED: "DEFAULT_OVERTURNED",
} as const;
export type ContestOutcome = (typeof ContestOutcome)[keyof typeof ContestOutcome];

export const ContestErrorCode = {
  NOT_SLASHABLE: "CONTEST_ERROR_NOT_SLASHABLE",
  WINDOW_CLOSED: "CONTEST_ERROR_WINDOW_CLOSED",
  STALE_RECHECK: "CONTEST_ERROR_STALE_RECHECK",
  INVALID_EPOCH: "CONTEST_ERROR_INVALID_EPOCH",
} as const;
export type ContestErrorCode = (typeof ContestErrorCode)[keyof typeof ContestErrorCode];

export class ContestError extends ProtocolError<ContestErrorCode> {
  override name = "ContestError";
}

export interface ContestResolution {
  outcome: ContestOutcome;
  /** Bond returned to the provider (the whole bond, or 0). */
  bondRefund: bigint;
  /** Bond kept by the protocol (burned or redistributed by the contract); bondRefund + bondForfeited = bond once resolved. */
  bondForfeited: bigint;
  /** Stake taken from the provider (the leaf's slashAmount on UPHELD, else 0). */
  slashExecuted: bigint;
  /**
   * Checkers to penalize for a false accusation: the leaf's accusers on OVERTURNED, else none. The accusers are
   * the checkers that attested FAIL (scoring/verdict.ts, `isAccusation`); a TIMEOUT is about the provider's
   * availability in the accused epoch, which a later re-check cannot refute, so it is never penalized.
   */
  penalizedCheckers: Address[];
}

export interface ResolveContestInput {
  /** The contested FAIL leaf, as proven against the report's resultsRoot. */
  original: ResultLeaf;
  /** The re-check committee's verdict on the provider, once its report has landed. */
  recheck: ProviderVerdict | undefined;
  currentEpoch: bigint;
  /** Epoch in which the contest was filed (bond posted). */
  contestEpoch: bigint;
  /** Epoch of the contested report; when given, the contest window is enforced. */
  reportEpoch?: bigint;
  /** Epoch of the re-check report; when given, it must be after contestEpoch. */
  recheckEpoch?: bigint;
  params: Pick<ProtocolParams, "contestBond" | "contestWindowEpochs" | "recheckDeadlineEpochs">;
}

/**
 * Resolves a contested slash.
 *
 *   re-check PASS                         → OVERTURNED: bond refunded, no slash, original.accusers penalized
 *   re-check FAIL                         → UPHELD: slash of original.slashAmount executed, bond forfeited
 *   re-check INCONCLUSIVE                 → DEFAULT_OVERTURNED: bond refunded, no slash, nobody penalized
 *   no re-check, currentEpoch ≤ deadline  → PENDING
 *   no re-check, currentEpoch > deadline  → DEFAULT_OVERTURNED
 *   deadline = contestEpoch + recheckDeadlineEpochs
 *
 * The default favors the provider because the burden of proof lies with the
 * accusers: the provider already paid a bond and asked to be re-examined, and
 * a re-check that cannot be formed or reach quorum is the network's failure,
 * not evidence against the provider. The accusers go unpunished for the same
 * reason: nothing showed they lied. A provider that really is faulty keeps
 * being sampled every epoch and fails again.
 *
 * On OVERTURNED only the leaf's accusers are penalized, and they are only the
 * checkers whose attestation said FAIL, a claim about what the provider sent.
 * The committee members that attested TIMEOUT (no answer, a late one, an entry
 * they could not use) counted toward the FAIL verdict but are not accusers: a
 * provider available at the re-check proves nothing about its availability in
 * the accused epoch, and jailing them would let a provider that is unreachable
 * on purpose for one epoch jail its whole honest committee for that epoch's
 * reward (docs/protocol/recheck.md, "Who is penalized").
 *
 * @throws ContestError NOT_SLASHABLE for a non-FAIL leaf, WINDOW_CLOSED, STALE_RECHECK, INVALID_EPOCH.
 */
export function resolveContest(input: ResolveContestInput): ContestResolution {
  const { original, recheck, currentEpoch, contestEpoch, reportEpoch, recheckEpoch, params } = input;
  for (const [field, v] of [
    ["currentEpoch", currentEpoch],
    ["contestEpoch", contestEpoch],
    ["reportEpoch", reportEpoch],
    ["recheckEpoch", recheckEpoch],
  ] as const) {
    if (v !== undefined && (typeof v !== "bigint" || v < 0n)) {
      throw new ContestError(ContestErrorCode.INVALID_EPOCH, `${field} must be a non-negative bigint`, {
        field,
        value: String(v),
      });
    }
  }
  if (original.verdict !== Verdict.FAIL) {
    throw new ContestError(ContestErrorCode.NOT_SLASHABLE, "only a FAIL result carries a slash to contest", {
      provider: original.provider,
      verdict: original.verdict,
    });
  }
  if (contestEpoch > currentEpoch) {
    throw new ContestError(ContestErrorCode.INVALID_EPOCH, "contest filed in the future", {
      contestEpoch: String(contestEpoch),
      currentEpoch: String(currentEpoch),
    });
  }
  if (reportEpoch !== undefined) {
    if (contestEpoch < reportEpoch || contestEpoch > reportEpoch + BigInt(params.contestWindowEpochs)) {
      throw new ContestError(ContestErrorCode.WINDOW_CLOSED, "contest filed outside the contest window", {
        provider: original.provider,
        reportEpoch: String(reportEpoch),
        contestEpoch: String(contestEpoch),
        contestWindowEpochs: params.contestWindowEpochs,
      });
    }
  }
  const deadline = contestEpoch + BigInt(params.recheckDeadlineEpochs);
  if (recheck !== undefined && recheckEpoch !== undefined && recheckEpoch <= contestEpoch) {
    throw new ContestError(
      ContestErrorCode.STALE_RECHECK,
      "re-check must come from an epoch after the contest",
      {
        provider: original.provider,
        contestEpoch: String(contestEpoch),
        recheckEpoch: String(recheckEpoch),
      },
    );
  }
  const bond = params.contestBond;
  // A re-check that lands after the deadline is ignored: the default already applied.
  const late = recheckEpoch !== undefined && recheckEpoch > deadline;
  const usable = recheck !== undefined && !late ? recheck : undefined;

  if (usable?.verdict === Verdict.PASS) {
    return {
      outcome: ContestOutcome.OVERTURNED,
      bondRefund: bond,
      bondForfeited: 0n,
      slashExecuted: 0n,
      penalizedCheckers: [...original.accusers],
    };
  }
  if (usable?.verdict === Verdict.FAIL) {
    return {
      outcome: ContestOutcome.UPHELD,
      bondRefund: 0n,
      bondForfeited: bond,
      slashExecuted: original.slashAmount,
      penalizedCheckers: [],
    };
  }
  if (usable === undefined && currentEpoch <= deadline) {
    return {
      outcome: ContestOutcome.PENDING,
      bondRefund: 0n,
      bondForfeited: 0n,
      slashExecuted: 0n,
      penalizedCheckers: [],
    };
  }
  return {
    outcome: ContestOutcome.DEFAULT_OVERTURNED,
    bondRefund: bond,
    bondForfeited: 0n,
    slashExecuted: 0n,
    penalizedCheckers: [],
  };
}
