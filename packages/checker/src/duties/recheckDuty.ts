import { SlashStatus } from "@checkernet/contracts";
import { epochReportsAbi } from "@checkernet/contracts/generated/index";
import { type RecheckHeader, recheckSigningRoot } from "@checkernet/contracts/recheck";
import { challengeKindForEpoch } from "@checkernet/protocol/challenges/transcript";
import {
  DEFAULT_RECHECK_RULES,
  type RecheckResult,
  type RecheckRules,
  recheckResultSigningRoot,
  recheckRunEpoch,
  recheckRunEpochs,
  recheckTimeMessage,
  recheckVerdict,
  type SignedRecheckResult,
  signedRecheckResultCodec,
  verifyRecheckResults,
} from "@checkernet/protocol/recheck";
import { CheckResult } from "@checkernet/protocol/types";
import { sleep } from "@checkernet/runtime";
import { peerIdFromString } from "@libp2p/peer-id";
import { type Address, bytesToHex, getAddress, type Hex } from "viem";
import { getRecheckRequests, type RecheckRequest } from "../chain/actions/getRecheckRequests.ts";
import { getRecheckState, type RecheckState } from "../chain/actions/getRecheckState.ts";
import { type ChallengeRun, randomRunSeed } from "../challenges/client.ts";
import { OwnLagAbstention } from "../challenges/ownLagAbstention.ts";
import {
  decodeStoredRecheckResult,
  type RecheckRecord,
  readRecheckRecord,
  writeRecheckRecord,
} from "../db/recheckRecords.ts";
import { liesAbout, NO_FAULTS } from "../faults/faults.ts";
import type { RecheckCosignRequest } from "../network/reqresp/recheck.ts";
import { isUnusable, type ProviderRecord } from "../validation/providerDirectory.ts";
import { isBarredFromLeading } from "./aggregatorRanking.ts";
import { CHECK_SPREAD_FRACTION } from "./checkingDuty.ts";
import { keepFraudProof } from "./fraudProofKeeper.ts";
import { lead } from "./leader/engine.ts";
import { committeeOperators, snapshotPublicKey } from "./leader/members.ts";
import { isFinalRevert } from "./leader/submitOnce.ts";
import { defaultBackupStepMs, turnDelayMs, turnPollMs } from "./leader/timing.ts";
import { challengeTaskFor, unusableEntryOutcome } from "./memberCheck.ts";
import { RecheckDutyError, RecheckDutyErrorCode } from "./recheckErrors.ts";
import { recheckPlugin } from "./recheckPlugin.ts";
import type { RecheckComponents, RecheckInit } from "./recheckTypes.ts";

export type { RecheckInit } from "./recheckTypes.ts";

const META_SCANNED = "recheck:scannedBlock";

/**
 * The checker's part in resolving a contested slash (docs/protocol/recheck.md):
 *
 * 1. Poll `RecheckRequested` logs (a block cursor kept in the db; an RPC error
 *    only delays the next poll).
 * 2. Once the re-check epoch has begun (its seed, hence the committee, is
 *    final) and this operator holds a seat of `recheckCommittee(slashId)`: in
 *    its own private epoch of the re-check window (`runEpochOf`), re-run the
 *    workload of the accused epoch against the provider with the
 *    ChallengeClient, keep the transcript, sign a RecheckResult — once per
 *    slash, kept in the db, so a restart never signs a second one.
 * 3. Leader: the operators ranked by their first seat; rank r steps in
 *    collectDelayMs + r × backupTimeoutMs into the window's last epoch if the slash
 *    is still contested. It collects the members' signed results, builds the
 *    header with `recheckVerdict`, gathers co-signatures (members check the
 *    header against their own result and the rules) and submits
 *    `submitRecheck` once: chain state read before every attempt, one nonce
 *    for every resend.
 */
export class RecheckDuty {
  readonly components: RecheckComponents;
  readonly init: RecheckInit;
  private readonly open = new Map<bigint, RecheckRequest>();
  private readonly ownResults = new Map<bigint, Promise<SignedRecheckResult>>();
  private readonly lastLeadMs = new Map<bigint, number>();
  private readonly runEpochs = new Map<bigint, { epoch: bigint; timeSignature: Hex }>();
  private readonly busy = new Set<bigint>();
  private readonly legacyLogged = new Set<bigint>();
  private timer: NodeJS.Timeout | undefined;
  private abort = new AbortController();
  private running: Promise<unknown> = Promise.resolve();
  private scanned: bigint | undefined;

  constructor(components: RecheckComponents, init: RecheckInit) {
    this.components = components;
    this.init = init;
    if ((init.faults ?? NO_FAULTS).lieFail.size > 0) {
      components.logger.warn(
        { lieFail: [...(init.faults?.lieFail ?? [])] },
        "FAULT MODE lie-fail: this checker will report FAIL on these providers in re-checks",
      );
    }
  }

  private rules(): RecheckRules {
    return this.init.rules ?? DEFAULT_RECHECK_RULES;
  }
  private bounds(epoch: bigint) {
    return this.components.clock.bounds(epoch);
  }
  private collectDelayMs(): number {
    const b = this.bounds(1n);
    return this.init.collectDelayMs ?? b.publishStartMs - b.startMs;
  }
  backupTimeoutMs(): number {
    return this.init.backupTimeoutMs ?? Math.max(1_000, defaultBackupStepMs(this.components.clock));
  }
  start(): void {
    if (this.timer !== undefined) return;
    this.abort = new AbortController();
    const pollMs = this.init.pollMs ?? turnPollMs(this.backupTimeoutMs(), 2_000);
    const tick = () => {
      const run = this.poll().catch((e: unknown) =>
        this.components.logger.warn({ err: (e as Error).message }, "re-check poll failed"),
      );
      this.running = run;
      run.finally(() => {
        if (this.timer !== undefined) this.timer = setTimeout(tick, pollMs);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await this.running;
    await Promise.allSettled([...this.ownResults.values()]);
  }

  /** One round: new requests from the logs, then every open re-check advanced as far as it can go now. */
  async poll(): Promise<void> {
    await this.scanLogs();
    await Promise.all(
      [...this.open.values()].map(async (req) => {
        if (this.busy.has(req.slashId)) return;
        this.busy.add(req.slashId);
        try {
          if (await this.advance(req)) this.open.delete(req.slashId);
        } catch (e) {
          this.components.logger.warn(
            { slashId: String(req.slashId), err: (e as Error).message },
            "re-check step failed; retrying",
          );
        } finally {
          this.busy.delete(req.slashId);
        }
      }),
    );
  }

  private async scanLogs(): Promise<void> {
    const { publicClient, db } = this.components;
    if (this.scanned === undefined) {
      const stored = await db.getMeta(META_SCANNED);
      this.scanned = stored === undefined ? -1n : BigInt(stored);
    }
    const latest = await publicClient.getBlockNumber();
    const chunk = this.init.logChunkBlocks ?? 5_000n;
    let scanned: bigint = this.scanned;
    while (scanned < latest) {
      const fromBlock: bigint = scanned + 1n;
      const toBlock: bigint = fromBlock + chunk - 1n < latest ? fromBlock + chunk - 1n : latest;
      const requests = await getRecheckRequests(publicClient, {
        slashing: this.init.addresses.slashing,
        fromBlock,
        toBlock,
      });
      for (const r of requests) {
        this.components.logger.info(
          { slashId: String(r.slashId), provider: r.provider, recheckEpoch: String(r.recheckEpoch) },
          "re-check requested",
        );
        this.open.set(r.slashId, r);
      }
      scanned = toBlock;
      this.scanned = toBlock;
      await db.putMeta(META_SCANNED, String(toBlock));
    }
  }

  /** Advances one re-check; true when there is nothing more for this node to do. */
  private async advance(req: RecheckRequest): Promise<boolean> {
    const { clock, logger } = this.components;
    const chainEpoch = clock.currentEpoch();
    if (chainEpoch < req.recheckEpoch) return false;
    const state = await this.state(req.slashId);
    if (state.status !== SlashStatus.Contested) {
      logger.info({ slashId: String(req.slashId), status: state.status }, "re-check resolved");
      await this.markResolved(req.slashId);
      return true;
    }
    if (state.currentEpoch < state.recheckEpoch) return false;
    if (state.currentEpoch > state.resolveDeadline) return true;
    if (!state.committee.includes(getAddress(this.init.operator))) {
      logger.debug({ slashId: String(req.slashId) }, "not on the re-check committee");
      return true;
    }
    // This member tests the provider in its own private epoch of the window, not before.
    if (state.currentEpoch < this.runEpochOf(state)) return false;
    // A 1.0.0 result stored before the upgrade stands in for the run: no second result; it may still lead.
    await this.ownResult(state).catch((e: unknown) => {
      if ((e as RecheckDutyError).code !== RecheckDutyErrorCode.LEGACY_RESULT) throw e;
    });
    if (this.components.walletClient === undefined) return false;
    const ranked = this.leaders(state);
    const rank = ranked.indexOf(getAddress(this.init.operator));
    // Barred as a known equivocator: it still serves its result and co-signs, but leads nothing.
    if (rank < 0) return false;
    // The leader collects once the window's last epoch is in its publish phase: every member has run by then.
    const leadAt =
      this.bounds(state.recheckEpoch + state.windowEpochs - 1n).startMs +
      this.collectDelayMs() +
      turnDelayMs(rank, this.backupTimeoutMs());
    const now = clock.nowMs();
    // A failed round (quorum short) is tried again after every other rank had its turn.
    const again = (this.lastLeadMs.get(req.slashId) ?? -Infinity) + ranked.length * this.backupTimeoutMs();
    if (now < leadAt || now < again) return false;
    this.lastLeadMs.set(req.slashId, now);
    logger.info({ slashId: String(req.slashId), rank }, "leading the re-check");
    const done = await this.lead(state);
    return done;
  }

  state(slashId: bigint): Promise<RecheckState> {
    return getRecheckState(this.components.publicClient, {
      slashing: this.init.addresses.slashing,
      epochReports: this.init.addresses.epochReports,
      slashId,
    });
  }

  readRecord(slashId: bigint): Promise<RecheckRecord | undefined> {
    return readRecheckRecord(this.components.db, slashId);
  }
  writeRecord(record: RecheckRecord): Promise<void> {
    return writeRecheckRecord(this.components.db, record);
  }
  private async markResolved(slashId: bigint): Promise<void> {
    const r = await this.readRecord(slashId);
    if (r !== undefined && r.status !== "submitted")
      await this.writeRecord({ ...r, status: "resolved-by-other" });
  }

  /** The node's stored record of a re-check, for status and tests. */
  record(slashId: bigint): Promise<RecheckRecord | undefined> {
    return this.readRecord(slashId);
  }

  /**
   * Who leads the re-check, in order: the committee's operators by their first seat, less the known
   * equivocators (the aggregator ranking's bar, aggregatorRanking.ts: evidence for the current epoch or
   * one of the 64 before it), so a stolen key leads no re-check and the next operator steps in at once.
   */
  leaders(state: RecheckState): Address[] {
    const barred = this.components.equivocations?.barredFromLeading(state.currentEpoch) ?? new Set<string>();
    return committeeOperators(state.committee).filter((o) => !isBarredFromLeading(o, barred));
  }

  /**
   * The epoch of the window in which this member tests the provider: drawn from its own unique BLS signature
   * over the slash (`recheckRunEpoch`), so the provider cannot know it and the member cannot choose it.
   */
  runEpochOf(state: RecheckState): bigint {
    return this.timeOf(state).epoch;
  }

  /** This member's time signature over the slash and the run epoch it draws. */
  private timeOf(state: RecheckState): { epoch: bigint; timeSignature: Hex } {
    let time = this.runEpochs.get(state.slashId);
    if (time === undefined) {
      const message = recheckTimeMessage(state.domainSeparator, this.init.addresses.slashing, state.slashId);
      const signature = this.components.bls.sign(this.init.secretKey, message);
      time = {
        epoch: recheckRunEpoch(signature, state.recheckEpoch, state.windowEpochs),
        timeSignature: bytesToHex(signature),
      };
      this.runEpochs.set(state.slashId, time);
    }
    return time;
  }

  /** The latest epoch this node knows to have begun: the chain's (as read with `state`) or its own clock's. */
  private epochNow(state: RecheckState): bigint {
    const local = this.components.clock.currentEpoch();
    if (local > state.currentEpoch) return local;
    return state.currentEpoch;
  }

  /** This member's signed result: from the db, else one challenge run (shared by concurrent callers). */
  ownResult(state: RecheckState): Promise<SignedRecheckResult> {
    let p = this.ownResults.get(state.slashId);
    if (p === undefined) {
      p = this.runOwn(state);
      this.ownResults.set(state.slashId, p);
      // A failed run (e.g. the provider directory not refreshed yet) is tried again on the next poll.
      p.catch(() => this.ownResults.delete(state.slashId));
    }
    return p;
  }

  /**
   * This member's stored result. One stored by a 1.0.0 node (before the upgrade) stays in the db as it was
   * signed and is not served (LEGACY_RESULT): no 2.0.0 leader or co-signer could verify it, and re-signing its
   * finding with a run epoch would be a second result. The member's seats then count as a pass, and nothing
   * toward the per-window-epoch rule (docs/protocol/recheck.md, "Format change (2.0.0)").
   */
  private async storedResult(slashId: bigint): Promise<SignedRecheckResult | undefined> {
    const r = await this.readRecord(slashId);
    if (r?.result === undefined) return undefined;
    const stored = decodeStoredRecheckResult(slashId, r.result);
    if (stored.format === "2.0.0") return stored.signed;
    if (!this.legacyLogged.has(slashId)) {
      this.legacyLogged.add(slashId);
      this.components.logger.warn(
        { slashId: String(slashId), result: stored.result.result, code: RecheckDutyErrorCode.LEGACY_RESULT },
        "re-check result stored in the 1.0.0 format (no run epoch, no time signature): kept, not served over /checkernet/recheck/2.0.0; this member's seats count as a pass",
      );
    }
    throw new RecheckDutyError(
      RecheckDutyErrorCode.LEGACY_RESULT,
      `this member's result of slash ${slashId} was signed under /checkernet/recheck/1.0.0: kept, not served`,
    );
  }

  private async runOwn(state: RecheckState): Promise<SignedRecheckResult> {
    const stored = await this.storedResult(state.slashId);
    if (stored !== undefined) return stored;
    const { providers, db, bls, logger, publicClient } = this.components;
    const { params, operator } = this.init;
    // Any registered provider, not the checking set: one that unstakes after contesting is still re-checked.
    // Its live entry is the accused epoch's: the registry freezes class, VRAM and region while a slash of an
    // epoch it was checked in can be opened or is pending (ProviderRegistry.fieldsFrozen, review4 H2).
    const p = providers.registeredProvider(state.provider);
    if (p === undefined) throw new Error(`provider ${state.provider} is not in the registry view`);
    // The workload of the accused epoch: the provider is re-tested on what it was accused of failing.
    const accusedSeed = await publicClient.readContract({
      address: this.init.addresses.epochReports,
      abi: epochReportsAbi,
      functionName: "seedOf",
      args: [state.accusedEpoch],
    });
    const kind = challengeKindForEpoch(accusedSeed, p.address, state.accusedEpoch, params);
    const { epoch: runEpoch, timeSignature } = this.timeOf(state);
    if (this.epochNow(state) < runEpoch) {
      throw new RecheckDutyError(
        RecheckDutyErrorCode.EARLY_RESULT,
        `this member tests slash ${state.slashId} in epoch ${runEpoch}, not before`,
      );
    }
    // An unusable entry (registered so, or a class or region this release lacks) can't be tested: TIMEOUT (failing)
    // without a run, as in a regular check, so the contest is upheld, not dropped for want of results (review3 P1-1).
    const measured = isUnusable(p)
      ? { ...unusableEntryOutcome(p), run: undefined }
      : await this.rerun(p, kind, runEpoch).then((run) => ({
          ...run.outcome,
          transcriptHash: run.transcriptHash,
          run,
        }));
    const { run } = measured;
    if (isUnusable(p))
      logger.warn(
        { slashId: String(state.slashId), provider: p.address, ...p.unusable },
        "provider registry entry not usable: re-check result TIMEOUT without a run",
      );
    const lie = liesAbout(this.init.faults ?? NO_FAULTS, p.address);
    if (lie) {
      logger.warn(
        { slashId: String(state.slashId), provider: p.address, measured: run?.outcome.result },
        "FAULT MODE lie-fail: reporting FAIL in the re-check whatever was measured",
      );
    }
    // A run this member's own lag could have failed is not signed; the next poll tries again.
    if (run?.abstain !== undefined && !lie) throw new OwnLagAbstention(p.address, run.abstain);
    // A wrong signed answer caught in a re-check is as objective as one caught in a regular check: keep its
    // fraud proof (of the run's epoch) for the fraud-proof duty, which submits it to FraudProofs.
    if (run !== undefined && !lie && run.outcome.result === CheckResult.FAIL) {
      await keepFraudProof(this.components, params, run.transcript, run.outcome.reasons, "recheck");
    }
    const result: RecheckResult = {
      slashId: state.slashId,
      provider: p.address,
      recheckEpoch: state.recheckEpoch,
      checker: getAddress(operator),
      kind,
      result: lie ? CheckResult.FAIL : measured.result,
      latencyP50Us: measured.p50Us,
      transcriptHash: measured.transcriptHash,
      runEpoch,
      timeSignature,
    };
    // Evidence first: nothing is signed without its transcript on disk.
    if (run !== undefined) await db.putTranscript(run.transcriptHash, run.encodedTranscript);
    const signed: SignedRecheckResult = {
      result,
      signature: bytesToHex(
        bls.sign(this.init.secretKey, recheckResultSigningRoot(result, this.init.domain)),
      ),
    };
    // One result per slash: a concurrent or earlier one wins (the record is read again under no lock,
    // but runOwn is shared per slash inside this process, and a restart finds the stored one first).
    const again = await this.storedResult(state.slashId);
    if (again !== undefined) return again;
    await this.writeRecord({
      slashId: String(state.slashId),
      status: "member",
      result: bytesToHex(signedRecheckResultCodec.encode(signed)),
    });
    logger.info(
      { slashId: String(state.slashId), provider: p.address, result: result.result, kind },
      "re-check result signed",
    );
    return signed;
  }

  /**
   * The run of the re-check in this member's run epoch: the accused epoch's workload, sized to the class as the
   * checking duty's (challengeTaskFor), started at a random point of the first half of what is left of the
   * checking phase, as the checking duty does: a committee twice the usual size must not queue its runs on the
   * provider's one device. Nothing tells the provider this one is a re-check.
   */
  private async rerun(
    p: ProviderRecord,
    kind: RecheckResult["kind"],
    runEpoch: bigint,
  ): Promise<ChallengeRun> {
    const { providers, client, clock } = this.components;
    await this.components.addPeerAddresses?.(p.peerId, p.multiaddrs);
    const endByMs = this.bounds(runEpoch).publishStartMs;
    const spreadMs = Math.max(0, (endByMs - clock.nowMs()) * CHECK_SPREAD_FRACTION);
    await sleep(Math.floor(Math.random() * spreadMs), this.abort.signal);
    const answerKey = await providers.answerKeyAt?.(p.address, runEpoch);
    const task = { epoch: runEpoch, checker: this.init.operator, kind, seed: randomRunSeed(), answerKey };
    return client.run(
      { peer: peerIdFromString(p.peerId) },
      challengeTaskFor(p, this.init.params, task),
      // Late only: once more before the phase ends, as in the checking duty (secondChance.ts).
      { freshSeed: randomRunSeed, endByMs, nowMs: () => clock.nowMs(), signal: this.abort.signal },
    );
  }

  /** Serves a leader's RESULT_REQUEST: this member's result, waiting for a run in progress. */
  async resultFor(slashId: bigint): Promise<SignedRecheckResult> {
    const running = this.ownResults.get(slashId);
    if (running !== undefined) return running;
    const stored = await this.storedResult(slashId);
    if (stored !== undefined) return stored;
    throw new RecheckDutyError(
      RecheckDutyErrorCode.NO_OWN_RESULT,
      `no re-check result for slash ${slashId} here`,
    );
  }

  /**
   * Checks results (the leader each one it collects, a co-signer all of a request's at once): each about
   * this slash's re-check, from a committee member, run in an epoch that has begun (EARLY_RESULT), its
   * signature and time signature valid under the member's key and its run epoch the one its time signature
   * draws (verifyRecheckResults: one BLS batch; RecheckError INVALID_SIGNATURE, INVALID_TIME_SIGNATURE,
   * RUN_EPOCH_MISMATCH).
   */
  verifyResults(state: RecheckState, results: readonly SignedRecheckResult[]): void {
    const now = this.epochNow(state);
    const keyed = results.map((s) => {
      const r = s.result;
      const pk = snapshotPublicKey(this.components.keys, getAddress(r.checker), state.recheckEpoch);
      const ok =
        r.slashId === state.slashId &&
        getAddress(r.provider) === state.provider &&
        r.recheckEpoch === state.recheckEpoch &&
        state.committee.includes(getAddress(r.checker)) &&
        pk !== undefined;
      if (!ok) {
        throw new RecheckDutyError(
          RecheckDutyErrorCode.INVALID_RESULT,
          `invalid re-check result from ${r.checker} for slash ${state.slashId}`,
        );
      }
      if (r.runEpoch > now) {
        throw new RecheckDutyError(
          RecheckDutyErrorCode.EARLY_RESULT,
          `re-check result from ${r.checker} for slash ${state.slashId} claims run epoch ${r.runEpoch}, not begun (epoch ${now})`,
        );
      }
      return { signed: s, publicKey: pk };
    });
    verifyRecheckResults(
      this.components.bls,
      {
        domain: this.init.domain,
        domainSeparator: state.domainSeparator,
        slashing: this.init.addresses.slashing,
        slashId: state.slashId,
        windowEpochs: state.windowEpochs,
      },
      keyed,
    );
  }

  /**
   * The header the rules give for verified results: the one call of recheckVerdict, for the leader and
   * every co-signer alike, with the members' run epochs drawn from their time signatures (the
   * per-window-epoch rule; recheckRunEpochs leaves it out when the rules were computed for another window).
   */
  headerOf(state: RecheckState, results: readonly SignedRecheckResult[]): RecheckHeader {
    const rules = this.rules();
    const v = recheckVerdict(
      results,
      state.committee,
      rules,
      recheckRunEpochs(results, state.windowEpochs, rules),
    );
    return {
      slashId: state.slashId,
      provider: state.provider,
      accusedEpoch: state.accusedEpoch,
      recheckEpoch: state.recheckEpoch,
      verdict: v.verdict,
      attestations: v.attestations,
      failures: v.failures,
      evidenceRoot: v.evidenceRoot,
    };
  }

  /**
   * The member's side of co-signing: refuse unless the slash is contested, this
   * operator sits on its committee, every result is a member's valid signed
   * result, this member's own result is among them unchanged, and the header
   * is what the rules give for those results.
   */
  async cosign(request: RecheckCosignRequest): Promise<Uint8Array> {
    const { header, results } = request;
    const state = await this.state(header.slashId);
    if (state.status !== SlashStatus.Contested) {
      throw new RecheckDutyError(
        RecheckDutyErrorCode.NOT_CONTESTED,
        `slash ${header.slashId} is not contested`,
      );
    }
    const me = getAddress(this.init.operator);
    if (!state.committee.includes(me)) {
      throw new RecheckDutyError(
        RecheckDutyErrorCode.NOT_ON_COMMITTEE,
        `not on the re-check committee of slash ${header.slashId}`,
      );
    }
    const own = await this.resultFor(header.slashId);
    await this.components.keys.ensureEpoch?.(state.recheckEpoch);
    const ownBytes = bytesToHex(signedRecheckResultCodec.encode(own));
    const theirs = results.find((s) => getAddress(s.result.checker) === me);
    if (theirs === undefined || bytesToHex(signedRecheckResultCodec.encode(theirs)) !== ownBytes) {
      throw new RecheckDutyError(
        RecheckDutyErrorCode.OWN_RESULT_MISSING,
        "the request leaves out or alters this member's own result",
      );
    }
    this.verifyResults(state, results);
    const expected = this.headerOf(state, results);
    const same =
      header.provider.toLowerCase() === expected.provider.toLowerCase() &&
      header.accusedEpoch === expected.accusedEpoch &&
      header.recheckEpoch === expected.recheckEpoch &&
      header.verdict === expected.verdict &&
      header.attestations === expected.attestations &&
      header.failures === expected.failures &&
      header.evidenceRoot === expected.evidenceRoot;
    if (!same) {
      throw new RecheckDutyError(
        RecheckDutyErrorCode.HEADER_MISMATCH,
        `header (verdict ${header.verdict}, ${header.failures}/${header.attestations} failing) differs from the rules' (verdict ${expected.verdict}, ${expected.failures}/${expected.attestations})`,
      );
    }
    return this.components.bls.sign(
      this.init.secretKey,
      recheckSigningRoot(header, state.domainSeparator, this.init.addresses.slashing),
    );
  }

  /** One leader round; true once the slash is resolved (by us or anyone). */
  private async lead(state: RecheckState): Promise<boolean> {
    const wallet = this.components.walletClient;
    if (wallet === undefined) return false;
    const { bls, logger, publicClient } = this.components;
    const led = await lead(
      {
        bls,
        logger,
        publicClient,
        wallet,
        self: { operator: getAddress(this.init.operator), secretKey: this.init.secretKey },
      },
      recheckPlugin(this, state, wallet),
      { attempts: this.init.submitAttempts, retryBaseMs: this.init.retryBaseMs, signal: this.abort.signal },
    );
    if (led.kind !== "submitted") return false;
    const { outcome } = led;
    if (outcome.kind === "refused") return isFinalRevert(outcome.revert);
    return outcome.kind !== "gave-up";
  }
}
