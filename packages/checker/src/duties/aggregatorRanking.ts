import type { BlsBackend } from "@checkernet/protocol/bls/backend";
import {
  aggregatorTicket,
  MAX_AGGREGATOR_LICENSES,
  rankAggregators,
  verifySortitionProof,
  vrfOutput,
} from "@checkernet/protocol/sortition";
import type { NetworkDomain, SignedAttestation } from "@checkernet/protocol/types";
import { type Address, getAddress, type Hex } from "viem";
import type { KeyDirectory } from "../validation/keyDirectory.ts";

/** This node's place in an epoch's aggregator ranking. */
export interface AggregatorRole {
  epoch: string;
  /** 0 = leader, 1.. = backups, null = not ranked (no attestation of ours seen, or outranked). */
  rank: number | null;
  leader: Address | null;
  candidates: number;
  /** Checkers whose VRF proof was held but that were left out as known equivocators (equivocation.md). */
  barred?: Address[];
}

export interface RankingInputs {
  keys: KeyDirectory;
  bls: BlsBackend;
  domain: NetworkDomain;
  /** The epoch's seed (undefined: not read yet, nobody ranks). */
  seed: Hex | undefined;
  operator: Address;
  /** 1 + aggregatorBackups. */
  count: number;
  /**
   * Checkers barred from leading `epoch` (lower-case addresses): those this node holds equivocation
   * evidence against for the epoch or one of the epochs before it that the bar covers
   * (EquivocationBook.barredFromLeading).
   */
  barred: ReadonlySet<string>;
}

/**
 * The equivocation bar (docs/protocol/equivocation.md): a checker this node holds evidence against for the
 * epoch or one of the epochs before it that the bar covers (`barred`: EquivocationBook.barredFromLeading)
 * leads nothing, neither a report nor a re-check (recheckDuty.ts).
 */
export function isBarredFromLeading(checker: Address, barred: ReadonlySet<string>): boolean {
  return barred.has(checker.toLowerCase());
}

/**
 * Ranks the checkers whose VRF proofs for `epoch` appear in `attestations`
 * (sortition-and-aggregation.md §5, cosign.md "Who aggregates"), by their
 * weight in the epoch's snapshot (load it first with `keys.ensureEpoch`).
 * A checker barred as an equivocator is no candidate: a stolen key must not
 * lead a report whose members would refuse its attestations
 * (`AGGREGATOR_ERROR_EQUIVOCATOR_INCLUDED`) or that it could bend, so the
 * next candidate leads at once instead of one backup step later.
 */
export function rankEpochAggregators(
  epoch: bigint,
  attestations: readonly SignedAttestation[],
  i: RankingInputs,
): AggregatorRole {
  const { ranked, candidates, barred } = rankedCandidates(epoch, attestations, i);
  const me = ranked.indexOf(getAddress(i.operator));
  return {
    epoch: String(epoch),
    rank: me < 0 ? null : me,
    leader: ranked[0] ?? null,
    candidates,
    ...(barred.length === 0 ? {} : { barred }),
  };
}

/**
 * The first `i.count` checkers of the epoch's ranking, best first (the leader and its backups): a member
 * past its co-signed roots cap signs only for them (cosigner.ts).
 */
export function rankedCheckers(
  epoch: bigint,
  attestations: readonly SignedAttestation[],
  i: Omit<RankingInputs, "operator">,
): Address[] {
  return rankedCandidates(epoch, attestations, i).ranked;
}

function rankedCandidates(
  epoch: bigint,
  attestations: readonly SignedAttestation[],
  i: Omit<RankingInputs, "operator">,
): { ranked: Address[]; candidates: number; barred: Address[] } {
  const proofs = new Map<Address, Hex>();
  for (const s of attestations) proofs.set(getAddress(s.attestation.checker), s.vrfProof);
  const candidates: { checker: Address; ticket: bigint }[] = [];
  const barred: Address[] = [];
  for (const [checker, proof] of proofs) {
    const rec = i.keys.getChecker(checker, epoch);
    if (rec === undefined || rec.licenses <= 0 || i.seed === undefined) continue;
    // Gossip validation checked these already; a stored one from elsewhere is checked again.
    if (!verifySortitionProof(i.bls, rec.publicKey, epoch, i.seed, i.domain, proof)) continue;
    if (isBarredFromLeading(checker, i.barred)) {
      barred.push(checker);
      continue;
    }
    const ticket = aggregatorTicket(vrfOutput(proof), Math.min(rec.licenses, MAX_AGGREGATOR_LICENSES));
    candidates.push({ checker, ticket });
  }
  const ranked = rankAggregators(candidates, i.count).map((c) => c.checker);
  return { ranked, candidates: candidates.length, barred };
}
