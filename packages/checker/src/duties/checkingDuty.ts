import type { BlsBackend } from "@checkernet/protocol/bls/backend";
import { challengeKindForEpoch } from "@checkernet/protocol/challenges/transcript";
import { attestationSigningRoot } from "@checkernet/protocol/encoding/attestation";
import type { ProtocolParams } from "@checkernet/protocol/params";
import { attestationSeats, sortitionMessage, vrfOutput } from "@checkernet/protocol/sortition";
import {
  type Attestation,
  CheckResult,
  type NetworkDomain,
  type SignedAttestation,
} from "@checkernet/protocol/types";
import { type Logger, sleep } from "@checkernet/runtime";
import { peerIdFromString } from "@libp2p/peer-id";
import { type Address, bytesToHex, type Hex } from "viem";
import type { EpochClock } from "../chain/clock.ts";
import { type ChallengeClient, randomRunSeed } from "../challenges/client.ts";
import { OwnLagAbstention } from "../challenges/ownLagAbstention.ts";
import type { CheckerDb } from "../db/checkerDb.ts";
import { SlashingProtectionError } from "../db/errors.ts";
import { type CheckerFaults, liesAbout, NO_FAULTS, vouchesPass } from "../faults/faults.ts";
import type { Metrics } from "../metrics/index.ts";
import type { KeyDirectory } from "../validation/keyDirectory.ts";
import {
  isUnusable,
  type ProviderDirectory,
  type ProviderEntry,
  type ProviderRecord,
  type UnusableProvider,
} from "../validation/providerDirectory.ts";
import type { EpochContext } from "../validation/sortition.ts";
import { keepFraudProof } from "./fraudProofKeeper.ts";
import { challengeTaskFor, noRunReason, unusableEntryOutcome } from "./memberCheck.ts";

export interface CheckingDutyComponents {
  clock: EpochClock;
  epochs: EpochContext;
  keys: KeyDirectory;
  providers: ProviderDirectory;
  client: ChallengeClient;
  db: CheckerDb;
  bls: BlsBackend;
  logger: Logger;
  /** Publishes one signed attestation (the gossip service). */
  publish(signed: SignedAttestation, signingRoot: Hex): Promise<unknown>;
  /** Makes the provider's addresses known to libp2p before dialing (peerStore merge). */
  addPeerAddresses?(peerId: string, multiaddrs: string[]): Promise<void>;
  metrics?: Metrics;
}

export interface CheckingDutyInit {
  /** The operator's registry address (Attestation.checker). */
  checker: Address;
  secretKey: Uint8Array;
  domain: NetworkDomain;
  params: ProtocolParams;
  /** Source of secret run seeds; crypto.getRandomValues by default. */
  randomSeed?: () => Hex;
  /** Adversarial test modes (faults/faults.ts); honest when absent. */
  faults?: CheckerFaults;
}

export interface EpochDutyResult {
  epoch: bigint;
  /** Providers whose committee this checker sits on. */
  seats: { provider: Address; seats: number }[];
  attestations: SignedAttestation[];
  skipped: { provider: Address; reason: string }[];
}

/**
 * Share of the remaining checking phase over which a checker spreads the
 * start of its runs. Half: the latest start still leaves the other half for
 * the run itself (pings and a CPU-reference walk or product take 2-3 s, a
 * GPU's workload milliseconds) and, for a provider that was only late, a
 * second run (secondChance.ts) before the publish phase: at 20 s devnet
 * epochs about 85 % of runs have room for one.
 */
export const CHECK_SPREAD_FRACTION = 0.5;

/**
 * One epoch of checking, as the design orders it: evaluate the VRF once,
 * find the committees this checker sits on, run each provider's challenge,
 * keep the transcript as evidence, sign through the slashing-protection
 * record, and publish only in the publish phase (so revealing one seat does
 * not warn the other providers). A restart inside an epoch re-publishes what
 * was already signed instead of running (and signing) again.
 */
export class CheckingDuty {
  private readonly components: CheckingDutyComponents;
  private readonly init: CheckingDutyInit;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  /** Aborted by stop(): runs not started yet are skipped, the wait for the publish phase ends. */
  private abort = new AbortController();
  private lastEpoch = 0n;
  /** The last completed epoch's duty, for `checker status`. */
  lastResult: EpochDutyResult | undefined;

  constructor(components: CheckingDutyComponents, init: CheckingDutyInit) {
    this.components = components;
    this.init = init;
  }

  /** Runs every epoch from the current one on, until stop(). */
  start(): void {
    if (this.timer !== undefined) return;
    this.abort = new AbortController();
    const tick = () => {
      const epoch = this.components.clock.currentEpoch();
      if (epoch > this.lastEpoch && epoch >= 1n && this.running === undefined) {
        this.lastEpoch = epoch;
        this.running = this.runEpoch(epoch)
          .catch((e: unknown) =>
            this.components.logger.error({ err: e, epoch: String(epoch) }, "epoch duty failed"),
          )
          .finally(() => {
            this.running = undefined;
          });
      }
      this.timer = setTimeout(tick, 250);
    };
    tick();
  }

  /**
   * Stops the loop and waits for the epoch in progress: runs already started finish (within their deadlines)
   * and what they signed stays in the database; runs not started and the publication are skipped (a restart
   * in the same epoch publishes what was signed).
   */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await this.running;
  }

  async runEpoch(epoch: bigint, options: { waitForPublishPhase?: boolean } = {}): Promise<EpochDutyResult> {
    const { keys, providers, bls, logger } = this.components;
    const { params, domain, checker } = this.init;
    const result: EpochDutyResult = { epoch, seats: [], attestations: [], skipped: [] };
    const seed = await this.awaitSeed(epoch);
    // The epoch's own license snapshot (weights fixed on-chain an activation delay ahead) and checking set;
    // without them (RPC down) the duty abstains rather than seat on another epoch's set.
    const held = (await keys.ensureEpoch?.(epoch)) ?? true;
    const me = keys.getChecker(checker, epoch);
    if (seed === undefined || !held || me === undefined || me.licenses <= 0) {
      logger.info(
        {
          epoch: String(epoch),
          seedKnown: seed !== undefined,
          checkingSetHeld: held,
          licensesInSnapshot: me?.licenses ?? 0,
        },
        "no duty this epoch",
      );
      return result;
    }
    const vrfProof = bls.sign(this.init.secretKey, sortitionMessage(epoch, seed, domain));
    const vrfOut = vrfOutput(vrfProof);
    const weight = { licenses: me.licenses, totalLicenses: keys.totalLicenses(epoch) };
    // The epoch's checking set (held since ensureEpoch): every node seats committees on the same providers,
    // whatever their entries say (one that cannot be challenged is attested TIMEOUT, memberCheck.ts).
    const members = providers.providers(epoch);
    const mine = members
      .map((p) => ({ p, seats: attestationSeats(vrfOut, p.address, weight, params.committeeSize) }))
      .filter((x) => x.seats > 0);
    result.seats = mine.map((x) => ({ provider: x.p.address, seats: x.seats }));
    logger.info({ epoch: String(epoch), seats: mine.length }, "committee seats");
    for (const p of members.filter(isUnusable)) {
      logger.warn(
        { epoch: String(epoch), provider: p.address, field: p.unusable.field, reason: p.unusable.reason },
        "provider registry entry not usable: its committees attest TIMEOUT without a run",
      );
    }

    // Providers are challenged concurrently: each run mostly waits on the network. Each run starts
    // at a random point of the first part of the checking phase, so a provider cannot tell when its
    // checks come and a committee's challenges seldom queue on its device (those that do are timed
    // from their admission, challenges/admission.ts).
    const spreadMs = (options.waitForPublishPhase ?? true) ? this.spreadWindowMs(epoch) : 0;
    const signal = this.abort.signal;
    const signed = await Promise.all(
      mine.map(({ p }) =>
        sleep(Math.floor(Math.random() * spreadMs), signal)
          .then(() => {
            if (signal.aborted) throw new Error("the node is stopping");
            return this.checkProvider(epoch, seed, p, bytesToHex(vrfProof));
          })
          .catch((e: unknown) => {
            result.skipped.push({ provider: p.address, reason: (e as Error).message });
            // Abstaining is this checker doing its job on a stalled machine, not a failure.
            if (e instanceof OwnLagAbstention)
              logger.info({ provider: p.address, reason: e.message }, "abstained");
            else logger.warn({ err: e, provider: p.address }, "provider check failed");
            return undefined;
          }),
      ),
    );
    result.attestations = signed.filter((s): s is SignedAttestation => s !== undefined);

    if (options.waitForPublishPhase ?? true) {
      const { publishStartMs } = this.components.clock.bounds(epoch);
      await sleep(publishStartMs - this.components.clock.nowMs(), signal);
    }
    if (signal.aborted) {
      this.lastResult = result;
      return result;
    }
    for (const s of result.attestations) {
      const root = bytesToHex(attestationSigningRoot(s.attestation, domain));
      await this.components.publish(s, root).catch((e: unknown) => logger.warn({ err: e }, "publish failed"));
    }
    this.lastResult = result;
    return result;
  }

  /** Milliseconds from now over which this epoch's runs may start: CHECK_SPREAD_FRACTION of what is left of the checking phase. */
  private spreadWindowMs(epoch: bigint): number {
    const { clock } = this.components;
    const { publishStartMs } = clock.bounds(epoch);
    return Math.max(0, (publishStartMs - clock.nowMs()) * CHECK_SPREAD_FRACTION);
  }

  /**
   * The epoch's seed, waiting for the chain to produce it when the epoch has
   * just begun (the chain's clock and the periodic refresh lag the wall
   * clock by a block or a refresh): up to a quarter of the checking phase,
   * after which the epoch is skipped rather than checked too late. A read
   * of a hung RPC is not awaited past that time either (issue 14: one hung
   * seed read held the duty 41 s, into the next epoch); it ends within its
   * own deadline in the background (chain/transport.ts).
   */
  private async awaitSeed(epoch: bigint): Promise<Hex | undefined> {
    const { epochs, clock } = this.components;
    const { startMs, publishStartMs } = clock.bounds(epoch);
    const giveUpMs = startMs + (publishStartMs - startMs) / 4;
    // A duty that starts after the give-up time (a node started mid-epoch) still reads a seed that is
    // there: a live RPC answers the read's two calls well within a second, even on a busy devnet.
    const readByMs = Math.max(giveUpMs, clock.nowMs() + 1_000);
    const readBy = async (read: Promise<Hex | undefined>) => {
      const done = new AbortController();
      const waitMs = readByMs - clock.nowMs();
      const late = sleep(waitMs, AbortSignal.any([done.signal, this.abort.signal])).then(() => undefined);
      return Promise.race([read.catch(() => undefined), late]).finally(() => done.abort());
    };
    for (;;) {
      const known = epochs.seed(epoch);
      const read = known === undefined ? epochs.ensureSeed?.(epoch) : undefined;
      const seed = known ?? (read === undefined ? undefined : await readBy(read));
      if (
        seed !== undefined ||
        epochs.ensureSeed === undefined ||
        clock.nowMs() >= giveUpMs ||
        this.abort.signal.aborted
      )
        return seed;
      await sleep(250, this.abort.signal);
    }
  }

  private async checkProvider(
    epoch: bigint,
    seed: Hex,
    p: ProviderEntry,
    vrfProof: Hex,
  ): Promise<SignedAttestation> {
    const { db, bls } = this.components;
    const { params, domain, checker } = this.init;
    // Already signed before a restart: publish that, never run and sign again.
    if ((await db.getSlashingRecord(epoch, p.address)) !== undefined) {
      const own = await db.getAttestation(epoch, p.address, checker);
      if (own !== undefined) return own;
    }
    const kind = challengeKindForEpoch(seed, p.address, epoch, params);
    const att = isUnusable(p)
      ? await this.unusableAttestation(epoch, p, kind)
      : await this.runAttestation(epoch, p, kind);
    try {
      return await db.signAttestationSafely(att, domain, vrfProof, (root) =>
        bls.sign(this.init.secretKey, root),
      );
    } catch (e) {
      if (e instanceof SlashingProtectionError) {
        const own = await db.getAttestation(epoch, p.address, checker);
        if (own !== undefined) return own;
      }
      throw e;
    }
  }

  /**
   * A member whose registry entry cannot be challenged: TIMEOUT, no dial (memberCheck.ts says why). Its reason is
   * kept first, as a run's transcript is: the evidence served for it says which registry field to fix.
   */
  private async unusableAttestation(
    epoch: bigint,
    p: UnusableProvider,
    kind: Attestation["kind"],
  ): Promise<Attestation> {
    const outcome = unusableEntryOutcome(p);
    await this.components.db.putNoRunReason(epoch, p.address, noRunReason(p));
    const vouch = vouchesPass(this.init.faults ?? NO_FAULTS);
    if (vouch) {
      this.components.logger.warn(
        { epoch: String(epoch), provider: p.address, measured: outcome.reason.code },
        "FAULT MODE vouch-pass: attesting PASS whatever was measured",
      );
    }
    return {
      epoch,
      provider: p.address,
      checker: this.init.checker,
      kind,
      result: vouch ? CheckResult.PASS : outcome.result,
      latencyP50Us: outcome.p50Us,
      latencyP95Us: outcome.p95Us,
      throughput: outcome.throughput,
      transcriptHash: outcome.transcriptHash,
    };
  }

  /** Runs the epoch's challenge against `p` and keeps its transcript: the attestation to sign. */
  private async runAttestation(
    epoch: bigint,
    p: ProviderRecord,
    kind: Attestation["kind"],
  ): Promise<Attestation> {
    const { db, client, clock } = this.components;
    const { params, checker } = this.init;
    const freshSeed = this.init.randomSeed ?? randomRunSeed;
    // The provider's answer key for the epoch: its matmul commitment must then be signed by it.
    const answerKey = await this.components.providers.answerKeyAt?.(p.address, epoch);
    await this.components.addPeerAddresses?.(p.peerId, p.multiaddrs);
    const run = await client.run(
      { peer: peerIdFromString(p.peerId) },
      // Sized to the claimed class: a GPU gets the protocol's sizes, the CPU reference a budgeted fraction.
      challengeTaskFor(p, params, { epoch, checker, kind, seed: freshSeed(), answerKey }),
      // A provider that was only late is run once more before the publish phase (secondChance.ts).
      {
        freshSeed,
        endByMs: clock.bounds(epoch).publishStartMs,
        nowMs: () => clock.nowMs(),
        signal: this.abort.signal,
      },
    );
    const lie = liesAbout(this.init.faults ?? NO_FAULTS, p.address);
    if (lie) {
      this.components.logger.warn(
        { epoch: String(epoch), provider: p.address, measured: run.outcome.result },
        "FAULT MODE lie-fail: attesting FAIL whatever was measured",
      );
    }
    const vouch = vouchesPass(this.init.faults ?? NO_FAULTS);
    if (vouch && run.outcome.result !== CheckResult.PASS) {
      this.components.logger.warn(
        { epoch: String(epoch), provider: p.address, measured: run.outcome.result },
        "FAULT MODE vouch-pass: attesting PASS whatever was measured",
      );
    }
    // Only a lying checker (fault mode) attests a run its own lag could have failed.
    if (run.abstain !== undefined && !lie && !vouch) throw new OwnLagAbstention(p.address, run.abstain);
    // A wrong row under the provider's signed commitment is objective: keep the proof for FraudProofs.
    if (!lie && !vouch && run.outcome.result === CheckResult.FAIL) {
      await keepFraudProof(this.components, this.init.params, run.transcript, run.outcome.reasons);
    }
    const att: Attestation = {
      epoch,
      provider: p.address,
      checker,
      kind,
      result: lie ? CheckResult.FAIL : vouch ? CheckResult.PASS : run.outcome.result,
      latencyP50Us: run.outcome.p50Us,
      latencyP95Us: Math.max(run.outcome.p95Us, run.outcome.p50Us),
      throughput: run.outcome.throughput,
      transcriptHash: run.transcriptHash,
    };
    // Evidence first: nothing is ever signed without its transcript on disk.
    await db.putTranscript(run.transcriptHash, run.encodedTranscript);
    return att;
  }
}
