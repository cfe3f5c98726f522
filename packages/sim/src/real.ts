import { type BlsBackend, generateSecretKey, loadBlsBackend } from "@checkernet/protocol/bls/index";
import { ReasonCode } from "@checkernet/protocol/challenges/common";
import { pingSchedule, type ReceivedPong, verifyLatency } from "@checkernet/protocol/challenges/latency";
import {
  commitRows,
  generateMatmul,
  openedRowCount,
  openRows,
  sampleRows,
  solveMatmul,
  verifyMatmul,
} from "@checkernet/protocol/challenges/matmul";
import {
  answerVram,
  generateVramBlock,
  verifyVram,
  vramBlockCount,
  vramDatasetSeed,
} from "@checkernet/protocol/challenges/vram";
import { attestationSigningRoot } from "@checkernet/protocol/encoding/attestation";
import { reportSigningRoot } from "@checkernet/protocol/encoding/report";
import { buildReport, licenseParticipation } from "@checkernet/protocol/scoring/report";
import {
  aggregatorTicket,
  attestationSeats,
  rankAggregators,
  sortitionMessage,
  verifySortitionProof,
  vrfOutput,
} from "@checkernet/protocol/sortition";
import { bytesToHex, type Hex, keccak256 } from "viem";
import type { Seat } from "./committee.ts";
import type { EpochBatch } from "./engine/batch.ts";
import { noteFraud } from "./engine/fraud.ts";
import { Simulation } from "./engine.ts";
import { Prng } from "./prng.ts";
import {
  type Attestation,
  ChallengeKind,
  CheckResult,
  computeVerdict,
  gpuClass,
  type NetworkDomain,
  type WeightedAttestation,
} from "./protocol.ts";
import type { Scenario } from "./scenario/schema.ts";
import type { VerdictColumns, VerdictEngine } from "./verdicts.ts";
import { checkerAddress } from "./world.ts";

/** The devnet's chain id and a fixed report-contract address: signatures are bound to this domain. */
const SIM_DOMAIN: NetworkDomain = {
  chainId: 31_337n,
  verifyingContract: "0x5151515151515151515151515151515151515151",
};

/**
 * The real-signature mode, for small networks (≤ 50 checkers, ≤ 10
 * providers): every step the modelled mode replaces by a distribution runs
 * the protocol code instead.
 * - Sortition: each checker signs its epoch VRF with BLS; committees are
 *   attestationSeats over the real outputs; the aggregator
 *   ranking is aggregatorTicket + rankAggregators.
 * - Challenges: honest checkers run verifyLatency on the pings of pingSchedule,
 *   verifyMatmul on a real (small) product the provider computes, commits and
 *   opens, and verifyVram on a real walk over generated blocks; the clock
 *   readings (RTTs, elapsed times) come from the network model.
 * - Attestations are BLS-signed; the aggregator checks every signature in one
 *   batch, every VRF proof, and that the revealed ticket gives the claimed seats,
 *   and drops what fails.
 * - Verdicts from computeVerdict on the signed attestations; the epoch report
 *   from buildReport (Merkle roots of results and rewards), co-signed by the
 *   report committee and checked with fastAggregateVerify.
 */
export class RealSimulation extends Simulation {
  private bls!: BlsBackend;
  private secretKeys: Uint8Array[] = [];
  private publicKeys: Uint8Array[] = [];
  private checkerAddrs: `0x${string}`[] = [];
  private vrfProofs: Uint8Array[] = [];
  private vrfOutputs: Hex[] = [];
  private epochSeed: Hex = `0x${"00".repeat(32)}`;
  /** Signed attestations of each batch, by attestation index (batches overlap: epoch e settles after e+1 is attested). */
  private readonly signed = new WeakMap<EpochBatch, Map<number, Attestation>>();
  private vramBlocks = new Map<string, Uint8Array>();
  /** The last matmul run opened a wrong row (verifyMatmul's WRONG_ROW). */
  private wrongRowSeen = false;

  static async create(scenario: Scenario): Promise<RealSimulation> {
    const sim = new this(scenario);
    sim.bls = await loadBlsBackend("auto");
    const rng = Prng.derive(scenario.seed, "keys");
    for (let c = 0; c < sim.world.checkers.count; c++) {
      const sk = generateSecretKey(rng.bytes(32));
      sim.secretKeys.push(sk);
      sim.publicKeys.push(sim.bls.publicKey(sk));
      sim.checkerAddrs.push(checkerAddress(c));
    }
    sim.count("blsBackendBlst", sim.bls.name === "blst" ? 1 : 0);
    return sim;
  }

  private count(key: string, n = 1): void {
    this.extraTotals[key] = (this.extraTotals[key] ?? 0) + n;
  }

  protected override beginEpoch(epoch: number, seed: Hex): void {
    this.epochSeed = seed;
    const msg = sortitionMessage(BigInt(epoch), seed, SIM_DOMAIN);
    this.vrfProofs = this.secretKeys.map((sk) => this.bls.sign(sk, msg));
    this.vrfOutputs = this.vrfProofs.map((proof) => vrfOutput(proof));
    this.count("vrfEvaluations", this.vrfProofs.length);
  }

  protected override drawCommittee(
    _epoch: number,
    provider: number,
    k: number,
    _rng: Prng,
    out: Seat[],
  ): Seat[] {
    out.length = 0;
    const addr = this.providerAddr(provider);
    const total = this.world.checkers.totalLicenses;
    for (let c = 0; c < this.world.checkers.count; c++) {
      const licenses = this.world.checkers.licenses[c] as number;
      const seats = attestationSeats(this.vrfOutputs[c] as Hex, addr, { licenses, totalLicenses: total }, k);
      if (seats > 0) out.push({ checker: c, seats });
    }
    return out;
  }

  protected override rankAggregators(_epoch: number, _rng: Prng, count: number): number[] {
    const candidates = this.checkerAddrs.map((checker, i) => ({
      checker,
      ticket: aggregatorTicket(this.vrfOutputs[i] as Hex, this.world.checkers.licenses[i] as number),
      i,
    }));
    return rankAggregators(candidates, count).map((c) => c.i);
  }

  /** Runs the three challenges with the protocol's verifiers; the clock readings come from the network model. */
  protected override runHonest(
    batch: EpochBatch,
    i: number,
    rng: Prng,
    c: number,
    p: number,
    kind: number,
  ): void {
    const w = this.world;
    const params = this.params;
    const state = this.withoutGpu(p);
    batch.attP50[i] = 0;
    batch.attP95[i] = 0;
    if (!state.online) {
      batch.attResult[i] = CheckResult.TIMEOUT;
      return;
    }
    const runSeed = rng.bytes(32);
    const claimedRegion = w.regionIds[w.providers.claimedRegion[p] as number] as string;
    const checkerRegion = w.regionIds[w.checkers.region[c] as number] as string;
    const pings = pingSchedule(runSeed, params);
    const rtts = this.net.pingRtts(rng, this.pathBase(c, p));
    const pongs: ReceivedPong[] = [];
    pings.forEach((ping, k) => {
      const rtt = rtts[k];
      if (rtt !== null && rtt !== undefined) pongs.push({ seq: ping.seq, nonce: ping.nonce, rttUs: rtt });
    });
    const lat = verifyLatency({ pings, pongs, claimedRegion, checkerRegion, params });
    this.count("latencyRunsVerified");
    batch.attP50[i] = lat.p50Us;
    batch.attP95[i] = lat.p95Us;
    let result: number = lat.result;
    // Lost pings skip the workload (as in the modelled mode); a slow p95 (also TIMEOUT) does not.
    const lost = lat.reasons.some((r) => r.code === ReasonCode.TOO_MANY_LOST);
    if (state.broken) result = CheckResult.FAIL;
    else if (!lost) {
      const rttMs = lat.p50Us / 1000;
      const claimedGpu = w.providers.claimedGpu[p] as string;
      const actualGpu = w.providers.actualGpu[p] as string;
      const work =
        kind === ChallengeKind.MATMUL
          ? this.matmulRun(rng, runSeed, state, claimedGpu, actualGpu, rttMs)
          : this.vramRun(rng, p, state, claimedGpu, actualGpu, rttMs);
      // A wrong opened row under the provider's commitment is a fraud proof (one per provider and epoch).
      if (kind === ChallengeKind.MATMUL && this.wrongRowSeen) noteFraud(this, batch, p, c);
      if (work === CheckResult.FAIL || result === CheckResult.FAIL) result = CheckResult.FAIL;
      else if (work === CheckResult.TIMEOUT) result = CheckResult.TIMEOUT;
    }
    batch.attResult[i] = result;
  }

  private matmulRun(
    rng: Prng,
    runSeed: Uint8Array,
    state: { ghost: boolean; cheating: boolean },
    claimedGpu: string,
    actualGpu: string,
    rttMs: number,
  ): number {
    this.wrongRowSeen = false;
    const n = this.params.matmulSize;
    const seed = bytesToHex(keccak256(runSeed, "bytes"));
    const { a, b } = generateMatmul(seed, n);
    // The provider: a ghost has no GPU and never commits; a cheater's GPU is elsewhere and it commits garbage.
    const measuredMs = this.net.matmulElapsedMs(rng, actualGpu, rttMs);
    if (state.ghost) {
      return verifyMatmul({
        seed,
        n,
        classId: claimedGpu,
        commitment: null,
        requestedRows: [],
        randomness: runSeed,
        openings: null,
        measuredMs,
        networkRttMs: rttMs,
        params: this.params,
      }).result;
    }
    const c = state.cheating ? new Int32Array(n * n).fill(7) : solveMatmul(a, b, n);
    const { root, tree } = commitRows(c, n);
    const randomness = rng.bytes(32);
    const rows = sampleRows(randomness, root, n, openedRowCount(n, this.params));
    const openings = openRows(tree, c, rows);
    const out = verifyMatmul({
      seed,
      n,
      classId: claimedGpu,
      commitment: { root, elapsedMs: Math.floor(measuredMs - rttMs) },
      requestedRows: rows,
      randomness,
      openings,
      measuredMs,
      networkRttMs: rttMs,
      params: this.params,
    });
    this.count("matmulRunsVerified");
    this.wrongRowSeen = out.reasons.some((r) => r.code === ReasonCode.WRONG_ROW);
    return out.result;
  }

  private vramRun(
    rng: Prng,
    p: number,
    state: { ghost: boolean; cheating: boolean },
    claimedGpu: string,
    actualGpu: string,
    rttMs: number,
  ): number {
    const params = this.params;
    const blockSize = params.vramBlockSize;
    const datasetSeed = vramDatasetSeed(this.providerAddr(p), this.epochSeed);
    const request = {
      seed: datasetSeed,
      blockSize,
      blockCount: vramBlockCount(gpuClass(claimedGpu).vramBytes, blockSize, params),
      nonce: bytesToHex(rng.bytes(32)),
      steps: params.vramWalkSteps,
    };
    // Blocks are generated on demand and memoized: the simulated provider "holds" exactly what it touched.
    const block = (index: number) => {
      const key = `${datasetSeed}:${index}`;
      let b = this.vramBlocks.get(key);
      if (!b) {
        b = generateVramBlock(datasetSeed, index, blockSize);
        this.vramBlocks.set(key, b);
      }
      return b;
    };
    const response = answerVram(request, state.ghost || state.cheating ? () => rng.bytes(blockSize) : block);
    const measuredMs = this.net.vramElapsedMs(actualGpu, claimedGpu, rttMs, state.ghost || state.cheating);
    const out = verifyVram({
      request,
      response,
      randomness: rng.bytes(32),
      classId: claimedGpu,
      measuredMs,
      networkRttMs: rttMs,
      params,
    });
    this.count("vramRunsVerified");
    return out.result;
  }

  /** The key checker c signs attestations with (a test swaps it to forge signatures). */
  protected attestationKey(c: number): Uint8Array {
    return this.secretKeys[c] as Uint8Array;
  }

  /**
   * Signs every attestation with its checker's key, then validates as the
   * aggregator does: one batch verification of all signatures, each VRF
   * proof against the registered key, and the seats the revealed ticket gives.
   */
  protected override afterAttest(batch: EpochBatch): void {
    const epoch = BigInt(batch.epoch);
    const atts: { i: number; attestation: Attestation; signature: Uint8Array }[] = [];
    for (let p = 0; p < this.world.providers.count; p++) {
      const ranges: [number, number][] = [[batch.provStart[p] as number, batch.provEnd[p] as number]];
      for (const r of batch.rechecks) if (r.slash.provider === p) ranges.push([r.start, r.end]);
      for (const [start, end] of ranges) {
        for (let i = start; i < end; i++) {
          const c = batch.attChecker[i] as number;
          const p50 = batch.attP50[i] as number;
          const attestation: Attestation = {
            epoch,
            provider: this.providerAddr(p),
            checker: this.checkerAddrs[c] as `0x${string}`,
            kind: batch.attKind[i] as ChallengeKind,
            result: batch.attResult[i] as CheckResult,
            latencyP50Us: p50,
            latencyP95Us: Math.max(p50, batch.attP95[i] as number),
            throughput: 0n,
            transcriptHash: keccak256(
              Prng.derive(this.scenario.seed, "transcript", batch.epoch, i).bytes(32),
            ),
          };
          const signature = this.bls.sign(
            this.attestationKey(c),
            attestationSigningRoot(attestation, SIM_DOMAIN),
          );
          atts.push({ i, attestation, signature });
        }
      }
    }
    this.count("attestationsSigned", atts.length);
    const delivered = atts.filter((a) => batch.included[a.i]);
    const batchOk = this.bls.verifyBatch(
      delivered.map((a) => ({
        publicKey: this.publicKeys[batch.attChecker[a.i] as number] as Uint8Array,
        message: attestationSigningRoot(a.attestation, SIM_DOMAIN),
        signature: a.signature,
      })),
    );
    this.count("attestationSignaturesVerified", delivered.length);
    const proofOk = new Map<number, boolean>();
    let invalid = 0;
    for (const a of delivered) {
      const c = batch.attChecker[a.i] as number;
      let ok =
        batchOk ||
        this.bls.verify(
          this.publicKeys[c] as Uint8Array,
          attestationSigningRoot(a.attestation, SIM_DOMAIN),
          a.signature,
        );
      if (!proofOk.has(c)) {
        proofOk.set(
          c,
          verifySortitionProof(
            this.bls,
            this.publicKeys[c] as Uint8Array,
            epoch,
            this.epochSeed,
            SIM_DOMAIN,
            this.vrfProofs[c] as Uint8Array,
          ),
        );
        this.count("vrfProofsVerified");
      }
      ok &&= proofOk.get(c) === true;
      // The revealed output must give the seats the attestation claims (regular committee size; re-checks use the larger one).
      const isRecheck = batch.rechecks.some((r) => a.i >= r.start && a.i < r.end);
      const k = this.params.committeeSize * (isRecheck ? this.params.recheckCommitteeMultiplier : 1);
      const weight = {
        licenses: this.world.checkers.licenses[c] as number,
        totalLicenses: this.world.checkers.totalLicenses,
      };
      ok &&=
        attestationSeats(vrfOutput(this.vrfProofs[c] as Uint8Array), a.attestation.provider, weight, k) ===
        batch.attSeats[a.i];
      if (!ok) {
        batch.included[a.i] = 0;
        invalid++;
      }
    }
    this.count("invalidAttestations", invalid);
    this.signed.set(batch, new Map(atts.map((a) => [a.i, a.attestation])));
  }

  /** Verdicts from computeVerdict on the signed attestations (real addresses), in the engine's segment order. */
  protected override async batchVerdicts(batch: EpochBatch, _engine: VerdictEngine): Promise<VerdictColumns> {
    const segments: WeightedAttestation[][] = [];
    if (batch.accepted) {
      for (let p = 0; p < this.world.providers.count; p++) {
        if (batch.sampled[p])
          segments.push(this.weighted(batch, batch.provStart[p] as number, batch.provEnd[p] as number));
      }
      for (const r of batch.rechecks) segments.push(this.weighted(batch, r.start, r.end));
    }
    const n = segments.length;
    const cols: VerdictColumns = {
      verdict: new Uint8Array(n),
      scoreBps: new Int32Array(n),
      medianLatencyUs: new Int32Array(n),
      attestations: new Int32Array(n),
      failures: new Int32Array(n),
    };
    segments.forEach((list, s) => {
      const v = computeVerdict(list, this.params);
      cols.verdict[s] = v.verdict;
      cols.scoreBps[s] = v.scoreBps;
      cols.medianLatencyUs[s] = v.medianLatencyUs;
      cols.attestations[s] = v.attestations;
      cols.failures[s] = v.failures;
    });
    return cols;
  }

  private weighted(batch: EpochBatch, start: number, end: number): WeightedAttestation[] {
    const out: WeightedAttestation[] = [];
    const signed = this.signed.get(batch);
    for (let i = start; i < end; i++) {
      const attestation = signed?.get(i);
      if (batch.included[i] && attestation) out.push({ attestation, seats: batch.attSeats[i] as number });
    }
    return out;
  }

  /**
   * Builds the epoch report with buildReport (results and rewards Merkle
   * trees), checks its verdicts equal the engine's, and has the report
   * committee co-sign the header: one aggregate signature, verified with
   * fastAggregateVerify as the contract's precompile check does.
   */
  protected override afterSettle(batch: EpochBatch, cols: VerdictColumns): void {
    if (!batch.accepted) return;
    const perProvider = [];
    for (let p = 0; p < this.world.providers.count; p++) {
      perProvider.push({
        provider: this.providerAddr(p),
        attestations: batch.sampled[p]
          ? this.weighted(batch, batch.provStart[p] as number, batch.provEnd[p] as number)
          : [],
        stake: this.world.providers.stake[p] as bigint,
      });
    }
    const licensesByChecker = new Map<`0x${string}`, bigint[]>();
    let next = 1n;
    this.checkerAddrs.forEach((addr, c) => {
      const ids: bigint[] = [];
      for (let l = 0; l < (this.world.checkers.licenses[c] as number); l++) ids.push(next++);
      licensesByChecker.set(addr, ids);
    });
    const report = buildReport({
      epoch: BigInt(batch.epoch),
      seed: batch.seed,
      perProvider,
      licenseParticipation: licenseParticipation(perProvider, licensesByChecker),
      params: this.params,
    });
    // The report sorts providers by address; ours are 0xa0…index, so the order is the index order.
    let s = 0;
    report.results.forEach((leaf, p) => {
      if (!batch.sampled[p]) return;
      if (leaf.verdict !== cols.verdict[s]) {
        throw new Error(
          `epoch ${batch.epoch}: buildReport's verdict for provider ${p} differs from the engine's`,
        );
      }
      s++;
    });
    const root = reportSigningRoot(report.header, SIM_DOMAIN);
    const signers = [...new Set(batch.reportSeats)];
    const signatures = signers.map((c) => this.bls.sign(this.secretKeys[c] as Uint8Array, root));
    const aggregate = this.bls.aggregateSignatures(signatures);
    const ok = this.bls.fastAggregateVerify(
      signers.map((c) => this.publicKeys[c] as Uint8Array),
      root,
      aggregate,
    );
    if (!ok) throw new Error(`epoch ${batch.epoch}: the report's aggregate signature does not verify`);
    this.count("reportsCoSigned");
    this.count("reportSignatures", signatures.length);
  }
}
