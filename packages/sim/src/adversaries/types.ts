/**
 * The adversary interface. An adversary is a module that, given a group's
 * strategy from the scenario, returns the group's behaviour (or nothing when
 * the strategy does not ask for it). The engine calls the behaviours of each
 * group through the hooks below, in registry order (`registry.ts`); a group
 * with no adversary is honest. Every random draw comes from the stream the
 * hook is given, so a behaviour's draws are reproducible per (seed, epoch,
 * provider). Hooks are called unbound: a behaviour keeps its state in closures.
 */

import type { EpochBatch } from "../engine/batch.ts";
import type { Books } from "../engine/books.ts";
import type { ProviderState } from "../engine/providerState.ts";
import type { NetworkModel } from "../network.ts";
import type { Prng } from "../prng.ts";
import type { CheckerStrategy, ProviderStrategy, Scenario } from "../scenario/schema.ts";
import type { World } from "../world.ts";

/** What a module may read when it builds a group's behaviour. */
export interface AdversarySetup {
  readonly scenario: Scenario;
  readonly world: World;
  readonly net: NetworkModel;
  /** Index of a provider group by name (the targets of lies and censorship). */
  providerGroupIndex(name: string): number;
}

/** A claim that waits for the others' published attestations; the behaviour's `publish` fills it in. */
export const DEFERRED = 255;

/** A provider's offer to buy "pass" attestations. */
export interface BribeOffer {
  /** Under private sortition, the fraction of all bribable checkers paid up front. */
  fraction: number;
  tokensPerCheckerEpoch: number;
  /** Most tokens it pays per epoch (Infinity: no budget). Under public sortition the seats bribed stop here. */
  budgetPerEpoch: number;
}

/** What a checker sees when its seat in provider p's committee comes up (one object, reused per seat). */
export interface SeatView {
  epoch: number;
  provider: number;
  providerGroup: number;
  providerActor: number;
  /** The provider's bribe offer, if it makes one. */
  offer: BribeOffer | undefined;
  checker: number;
  checkerActor: number;
  books: Books;
}

/** Fills in the DEFERRED attestations of one committee, attestations [start, end) of the batch. */
export type PublishPhase = (batch: EpochBatch, start: number, end: number) => void;

export interface CheckerBehaviour {
  /** Bribes can buy this group's attestations (private bribes are priced by the number of such checkers). */
  readonly bribable?: boolean;
  /**
   * Instead of running the challenge: the CheckResult it attests (the engine
   * fabricates plausible latencies), DEFERRED, or undefined to leave the seat
   * to the next behaviour and in the end to an honest run.
   */
  claim?(seat: SeatView): number | undefined;
  /** Resolves this behaviour's DEFERRED claims once the committee has published. */
  readonly publish?: PublishPhase;
  /** As an aggregator candidate: whether it misses its turn (the backups step in after a timeout). */
  missesTurn?(rng: Prng): boolean;
  /** As the aggregator: indices of the included attestations it drops from the report. */
  censor?(batch: EpochBatch): number[];
  /** As a report-committee member: co-signs reports that drop attestations. */
  readonly cosignsCensored?: boolean;
}

export interface CheckerAdversary {
  /** The strategy field that switches it on. */
  readonly name: string;
  create(strategy: CheckerStrategy, setup: AdversarySetup): CheckerBehaviour | undefined;
}

/** One checker group's behaviours, flattened for the hot loop. */
export interface CheckerPlan {
  readonly actor: number;
  /** Members bribes can buy (0 unless the group is bribable). */
  readonly bribableMembers: number;
  readonly claims: readonly ((seat: SeatView) => number | undefined)[];
  readonly publish: readonly (PublishPhase | undefined)[];
  readonly missesTurn: readonly ((rng: Prng) => boolean)[];
  readonly censor: ((batch: EpochBatch) => number[]) | undefined;
  readonly cosignsCensored: boolean;
}

export interface ProviderBehaviour {
  /** Before the epoch's sampling draw: availability and faults (sets `state.online`, `state.broken`). */
  beforeSampling?(p: number, state: ProviderState, rng: Prng, epoch: number): void;
  /** After the sampling draw: whether it cheats this epoch (sets `state.cheating`). */
  afterSampling?(p: number, state: ProviderState, rng: Prng, sampled: boolean): void;
  /** Faulty in every epoch by what it is (no GPU, not where it claims, a weaker GPU). */
  misbehaves?(p: number): boolean;
  /** Has no GPU: does no work, commits nothing to a matmul, answers VRAM walks from nothing. */
  readonly noGpu?: boolean;
  /** Base RTT (µs) from checker c to provider p's answers, when it is not the direct path. */
  route?(c: number, p: number): number;
  /** Whether it contests a pending slash (default: only when it was honest). */
  contests?(deserved: boolean): boolean;
  readonly bribeOffer?: BribeOffer;
  /** After every committee of the epoch is drawn (private bribes are paid here). */
  afterAttest?(p: number, actor: number, books: Books, checkers: readonly CheckerPlan[]): void;
}

export interface ProviderAdversary {
  /** The strategy field that switches it on. */
  readonly name: string;
  create(strategy: ProviderStrategy, setup: AdversarySetup): ProviderBehaviour | undefined;
}

/** One provider group's behaviours, flattened for the hot loop. */
export interface ProviderPlan {
  readonly actor: number;
  readonly beforeSampling: readonly NonNullable<ProviderBehaviour["beforeSampling"]>[];
  readonly afterSampling: readonly NonNullable<ProviderBehaviour["afterSampling"]>[];
  readonly misbehaves: readonly ((p: number) => boolean)[];
  readonly noGpu: boolean;
  readonly route: ((c: number, p: number) => number) | undefined;
  readonly contests: (deserved: boolean) => boolean;
  readonly bribeOffer: BribeOffer | undefined;
  readonly afterAttest: readonly NonNullable<ProviderBehaviour["afterAttest"]>[];
}
