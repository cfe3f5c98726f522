import { signedAttestationCodec } from "@checkernet/protocol/encoding/attestation";
import { reportSigningRoot } from "@checkernet/protocol/encoding/report";
import type { ReportInputs } from "@checkernet/protocol/explain";
import { checkReport, type EpochReport } from "@checkernet/protocol/scoring/report";
import { type SignedAttestation, Verdict } from "@checkernet/protocol/types";
import type { PeerId } from "@libp2p/interface";
import { type Address, bytesToHex, getAddress, type Hex } from "viem";
import { getOperatorPeerId } from "../chain/actions/getOperatorPeerId.ts";
import { getReportCommittee } from "../chain/actions/getReportCommittee.ts";
import type { CosignRequest } from "../network/reqresp/cosign.ts";
import {
  type ReportRecord,
  ReportRole,
  ReportStatus,
  readReportRecord,
  writeReportRecord,
} from "../reports/aggregatorRecords.ts";
import { cosignedRoots, signedRoots, writeCosignedReport } from "../reports/cosignedReports.ts";
import { validateAttestation } from "../validation/attestation.ts";
import { directVerifier } from "../validation/bls/batchVerifier.ts";
import { AttestationError } from "../validation/errors/attestationError.ts";
import type { AggregatorComponents, AggregatorInit } from "./aggregatorTypes.ts";
import { DutyError } from "./leader/errors.ts";

/**
 * The member's rule's bounds (docs/protocol/cosign.md, "The member's rule"): how far a member's
 * view may differ from the report it co-signs.
 */
const COSIGN_TOLERANCE = {
  /**
   * Attestations of the request a member does not hold that it will verify (two BLS checks each, at
   * most): a member that lacks more has missed the epoch's gossip and refuses rather than spend
   * seconds verifying. 1,024 × 2 pairings is ~2 s on a laptop, inside the 20 s answer limit.
   */
  maxUnseen: 1_024,
  /**
   * How long a member that lacks attestations of a request first syncs the epoch from its peers
   * (attestation-sync.md): a quarter of the leader's shortest wait for its answer (max(2 s, backup
   * step)), 3.5× the slowest sync measured (41–141 ms); what it has not validated by then it
   * verifies from the request, as before.
   */
  syncDeadlineMs: 500,
  /**
   * Valid attestations the member holds that the report may leave out: late gossip reaches a member
   * after the leader built. At most 1 in 20 of the member's view (at least one): an aggregator
   * cannot drop more than that without losing the member's co-signature.
   */
  omittedPerMember: 20,
  /**
   * Distinct (results root, rewards root) pairs a member co-signs, and keeps, per epoch for anyone who asks
   * (docs/protocol/cosign.md, "What a member keeps"). An honest epoch needs a few: the leader's report, a
   * backup's, a rebuild from a fuller view. Past the cap only the epoch's ranked aggregators are served.
   */
  maxRootsPerEpoch: 8,
  /** Past maxRootsPerEpoch, the roots one ranked aggregator may have kept for it in the epoch, at most. */
  rootsPerRankedAggregator: 2,
} as const;

/** The most held attestations a report may omit for a member whose view holds `held`. */
function maxOmitted(held: number): number {
  return Math.max(1, Math.ceil(held / COSIGN_TOLERANCE.omittedPerMember));
}

/** Why the duty or the co-signer refused. */
export const AggregatorErrorCode = {
  NOT_ON_COMMITTEE: "AGGREGATOR_ERROR_NOT_ON_COMMITTEE",
  INVALID_ATTESTATION: "AGGREGATOR_ERROR_INVALID_ATTESTATION",
  CONFLICTING_ATTESTATION: "AGGREGATOR_ERROR_CONFLICTING_ATTESTATION",
  /** The request carries an attestation by a checker this member holds equivocation evidence against. */
  EQUIVOCATOR_INCLUDED: "AGGREGATOR_ERROR_EQUIVOCATOR_INCLUDED",
  /** The request carries more attestations this member lacks than it verifies (COSIGN_TOLERANCE.maxUnseen). */
  TOO_MANY_UNSEEN: "AGGREGATOR_ERROR_TOO_MANY_UNSEEN",
  /** The report omits more valid attestations the member holds than maxOmitted allows. */
  TOO_MANY_OMITTED: "AGGREGATOR_ERROR_TOO_MANY_OMITTED",
  /** Adding the valid attestations the report omits would change a provider's verdict. */
  OMISSION_CHANGES_VERDICT: "AGGREGATOR_ERROR_OMISSION_CHANGES_VERDICT",
  UNKNOWN_SEED: "AGGREGATOR_ERROR_UNKNOWN_SEED",
  QUORUM_NOT_REACHED: "AGGREGATOR_ERROR_QUORUM_NOT_REACHED",
  /** The member co-signed COSIGN_TOLERANCE.maxRootsPerEpoch roots of the epoch, and the requester is no ranked aggregator (or used its share). */
  TOO_MANY_ROOTS: "AGGREGATOR_ERROR_TOO_MANY_ROOTS",
} as const;
export type AggregatorErrorCode = (typeof AggregatorErrorCode)[keyof typeof AggregatorErrorCode];

export class AggregatorError extends DutyError<AggregatorErrorCode> {
  override name = "AggregatorError";
}

/** What the co-signer uses of the aggregator duty. */
export interface CosignerHost {
  readonly components: AggregatorComponents;
  readonly init: AggregatorInit;
  buildFromView(
    epoch: bigint,
    attestations: readonly SignedAttestation[],
  ): Promise<EpochReport & { inputs: ReportInputs }>;
  seedOf(epoch: bigint): Promise<Hex>;
  rankedAggregators(epoch: bigint, attestations: readonly SignedAttestation[]): Promise<Address[]>;
}

const slotKey = (a: SignedAttestation["attestation"]) =>
  `${a.provider.toLowerCase()}:${a.checker.toLowerCase()}`;
const bytesOf = (s: SignedAttestation) => bytesToHex(signedAttestationCodec.encode(s));

const verdictName = (v: Verdict) => Object.entries(Verdict).find(([, n]) => n === v)?.[0] ?? String(v);

/** The first provider whose verdict differs between the report and the fuller view, if any. */
function changedVerdict(
  report: EpochReport,
  fuller: EpochReport,
): { provider: string; inReport: string; withOmitted: string } | undefined {
  const inReport = new Map(report.results.map((l) => [l.provider.toLowerCase(), l.verdict]));
  for (const leaf of fuller.results) {
    const v = inReport.get(leaf.provider.toLowerCase());
    if (v !== leaf.verdict) {
      return {
        provider: leaf.provider,
        inReport: v === undefined ? "absent" : verdictName(v),
        withOmitted: verdictName(leaf.verdict),
      };
    }
  }
  return undefined;
}

/** A view with every attestation of the epoch's known equivocators left out. */
export function withoutEquivocators(
  attestations: readonly SignedAttestation[],
  equivocators: ReadonlySet<string>,
): SignedAttestation[] {
  if (equivocators.size === 0) return [...attestations];
  return attestations.filter((s) => !equivocators.has(s.attestation.checker.toLowerCase()));
}

/**
 * The co-signer's side (docs/protocol/cosign.md, "The member's rule"). The member signs the report
 * built from the request's attestations when
 *  - it sits on the epoch's report committee;
 *  - every request attestation it holds is byte-identical to its copy, every one it lacks (at most
 *    COSIGN_TOLERANCE.maxUnseen) passes validateAttestation(), and none is by a checker it holds
 *    equivocation evidence against (such a checker's attestations count for nobody);
 *  - the report omits at most maxOmitted(|view|) of the valid attestations it holds;
 *  - the header equals the report rebuilt from the request's attestations.
 * A request attestation that differs from the member's copy is, when valid, equivocation evidence:
 * the member hands the pair to its equivocation book and refuses that report (the next aggregator
 * leaves the equivocator out).
 */
export async function cosignReport(
  duty: CosignerHost,
  request: CosignRequest,
  from?: PeerId,
): Promise<Uint8Array> {
  const { db, publicClient, bls, keys } = duty.components;
  const { header } = request;
  const epoch = header.epoch;
  const me = getAddress(duty.init.operator);
  const { seats } = await getReportCommittee(publicClient, {
    epochReports: duty.init.addresses.epochReports,
    epoch,
  });
  if (!seats.includes(me)) {
    throw new AggregatorError(
      AggregatorErrorCode.NOT_ON_COMMITTEE,
      `not on the report committee of epoch ${epoch}`,
    );
  }
  const seed = await duty.seedOf(epoch);
  await keys.ensureEpoch?.(epoch);
  const held = new Map<string, SignedAttestation>();
  for (const s of await db.attestationsOfEpoch(epoch)) held.set(slotKey(s.attestation), s);
  if (
    duty.components.attestationSync !== undefined &&
    request.attestations.some((s) => !held.has(slotKey(s.attestation)))
  ) {
    // The request names attestations this member never saw (it restarted, or its mesh is re-forming):
    // it first fetches the epoch's from its peers, through the gossip rules, then judges.
    await duty.components.attestationSync.syncEpoch(epoch, { deadlineMs: COSIGN_TOLERANCE.syncDeadlineMs });
    for (const s of await db.attestationsOfEpoch(epoch)) held.set(slotKey(s.attestation), s);
  }
  // The gossip rules, with the seed this node holds for the epoch and no seen cache: what the
  // request carries was never gossiped to us.
  const rules = {
    domain: duty.init.domain,
    keys,
    verifier: directVerifier(bls),
    committeeSize: duty.init.params.committeeSize,
    epochs: { seed: () => seed },
  };
  const unseen = request.attestations.filter((s) => !held.has(slotKey(s.attestation)));
  const maxUnseen = duty.init.cosignMaxUnseen ?? COSIGN_TOLERANCE.maxUnseen;
  if (unseen.length > maxUnseen) {
    throw new AggregatorError(
      AggregatorErrorCode.TOO_MANY_UNSEEN,
      `the request holds ${unseen.length} attestations this node lacks; it verifies at most ${maxUnseen}`,
    );
  }
  const accepted: SignedAttestation[] = [];
  const inReport = new Set<string>();
  for (const s of request.attestations) {
    const a = s.attestation;
    const k = slotKey(a);
    inReport.add(k);
    const mine = held.get(k);
    if (mine !== undefined && bytesOf(mine) === bytesOf(s)) continue;
    try {
      await validateAttestation(rules, s, { expectedEpoch: epoch });
    } catch (e) {
      if (!(e instanceof AttestationError)) throw e;
      throw new AggregatorError(
        AggregatorErrorCode.INVALID_ATTESTATION,
        `the request holds an invalid attestation by ${a.checker} on ${a.provider} (${e.type.code})`,
        { cause: e },
      );
    }
    if (mine !== undefined) {
      // Both verify: the checker signed two attestations for one slot.
      await duty.components.equivocations?.onConflict(mine, s);
      throw new AggregatorError(
        AggregatorErrorCode.CONFLICTING_ATTESTATION,
        `the request's attestation by ${a.checker} on ${a.provider} differs from the one this node holds (equivocation)`,
      );
    }
    accepted.push(s);
  }
  const equivocators = duty.components.equivocations?.equivocators(epoch) ?? new Set<string>();
  const excluded = request.attestations.find((s) => equivocators.has(s.attestation.checker.toLowerCase()));
  if (excluded !== undefined) {
    throw new AggregatorError(
      AggregatorErrorCode.EQUIVOCATOR_INCLUDED,
      `the request holds an attestation by ${excluded.attestation.checker}, who equivocated in epoch ${epoch}`,
    );
  }
  const view = withoutEquivocators([...held.values()], equivocators);
  const omitted = view.filter((s) => !inReport.has(slotKey(s.attestation)));
  if (omitted.length > maxOmitted(view.length)) {
    throw new AggregatorError(
      AggregatorErrorCode.TOO_MANY_OMITTED,
      `the report omits ${omitted.length} of the ${view.length} valid attestations this node holds; at most ${maxOmitted(view.length)} may be missing`,
    );
  }
  const local = await duty.buildFromView(epoch, request.attestations);
  checkReport(header, local);
  if (omitted.length > 0) {
    // The tolerance is for gossip that reached the leader late, not for choosing outcomes: an
    // aggregator that leaves out the one FAIL that makes a verdict would shield a cheat (or, leaving
    // out a PASS, slash an honest provider) within maxOmitted.
    const flipped = changedVerdict(
      local,
      await duty.buildFromView(epoch, [...request.attestations, ...omitted]),
    );
    if (flipped !== undefined) {
      throw new AggregatorError(
        AggregatorErrorCode.OMISSION_CHANGES_VERDICT,
        `the report omits ${omitted.length} valid attestation(s) this node holds, and with them ${flipped.provider}'s verdict would be ${flipped.withOmitted}, not ${flipped.inReport}`,
      );
    }
  }
  // Keep what we verified and the leaves we co-signed: they serve evidence and reward proofs.
  if (accepted.length > 0) await db.putAttestations(accepted);
  const record: ReportRecord = {
    epoch,
    role: ReportRole.COSIGNER,
    status: ReportStatus.COSIGNED,
    header: local.header,
    results: local.results,
    rewards: local.rewards,
    inputs: local.inputs,
    updatedMs: Date.now(),
  };
  await keepCosigned(duty, record, from?.toString(), [...view, ...accepted]);
  // The epoch's record stays the first report co-signed; the others are found by their roots (reportSync.ts).
  if ((await readReportRecord(db, epoch)) === undefined) await writeReportRecord(db, record);
  return bls.sign(duty.init.secretKey, reportSigningRoot(header, duty.init.domain));
}

/**
 * Keeps the report the member is about to sign under its roots, before it signs (docs/protocol/cosign.md,
 * "What a member keeps"): a root it signed but did not keep could land with leaves no honest node holds, and
 * its FAIL verdicts would never be opened (review5 H1). Anyone's request is kept up to
 * COSIGN_TOLERANCE.maxRootsPerEpoch roots; past that the member signs only for the epoch's leader and
 * backups, each up to rootsPerRankedAggregator roots, so a stranger cannot crowd the honest ones out.
 *
 * @throws AggregatorError TOO_MANY_ROOTS past the cap
 */
async function keepCosigned(
  duty: CosignerHost,
  record: ReportRecord,
  requester: string | undefined,
  view: readonly SignedAttestation[],
): Promise<void> {
  const { db } = duty.components;
  const kept = await cosignedRoots(db, record.epoch);
  if (signedRoots(kept, record.header)) return;
  if (kept.length >= COSIGN_TOLERANCE.maxRootsPerEpoch) {
    const own = kept.filter((r) => requester !== undefined && r.requester === requester).length;
    const ranked =
      own < COSIGN_TOLERANCE.rootsPerRankedAggregator &&
      (await isRankedAggregator(duty, record.epoch, view, requester));
    if (!ranked) {
      throw new AggregatorError(
        AggregatorErrorCode.TOO_MANY_ROOTS,
        `this node co-signed ${kept.length} reports of epoch ${record.epoch}; past ${COSIGN_TOLERANCE.maxRootsPerEpoch} it signs only for the epoch's ranked aggregators, ${COSIGN_TOLERANCE.rootsPerRankedAggregator} each`,
      );
    }
  }
  await writeCosignedReport(db, record, requester);
}

/** Whether `requester` is the registered peer of one of the epoch's leader and backups, as `view` ranks them. */
async function isRankedAggregator(
  duty: CosignerHost,
  epoch: bigint,
  view: readonly SignedAttestation[],
  requester: string | undefined,
): Promise<boolean> {
  if (requester === undefined) return false;
  const { publicClient } = duty.components;
  const checkerRegistry = duty.init.addresses.checkerRegistry;
  for (const operator of await duty.rankedAggregators(epoch, view)) {
    const peer = await getOperatorPeerId(publicClient, { checkerRegistry, operator }).catch(() => null);
    if (peer === requester) return true;
  }
  return false;
}
