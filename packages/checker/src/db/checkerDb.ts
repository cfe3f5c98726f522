import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { attestationSigningRoot, signedAttestationCodec } from "@checkernet/protocol/encoding/attestation";
import type { Attestation, NetworkDomain, SignedAttestation } from "@checkernet/protocol/types";
import type { NoRunReason } from "@checkernet/wire";
import { Level } from "level";
import { type Address, bytesToHex, type Hex, hexToBytes, zeroHash } from "viem";
import type { Metrics } from "../metrics/index.ts";
import { CorruptRecordError, SlashingProtectionError } from "./errors.ts";
import { attestationKey, epochKey, epochRange, slashingKey } from "./keys.ts";

type Db = Level<string, Uint8Array>;
function subOf(db: Db, name: string) {
  return db.sublevel<string, Uint8Array>(name, { keyEncoding: "utf8", valueEncoding: "view" });
}
type Sub = ReturnType<typeof subOf>;

/** What the slashing-protection record keeps per (epoch, provider) this operator signed. */
export interface SlashingRecord {
  signingRoot: Hex;
  signature: Hex;
}

export interface CheckerDbOptions {
  /** Node data directory; the database lives in `<dataDir>/db`. */
  dataDir: string;
  metrics?: Metrics;
}

/** Where a stored fraud proof stands (duties/fraudProofDuty.ts). */
export type FraudProofStatus =
  /** Built and stored; not landed yet (no wallet, no contract, or retrying after RPC errors). */
  | "pending"
  /** Our transaction landed: the provider was slashed for the epoch. */
  | "landed"
  /** The provider was already fraud-slashed for that epoch (someone else's proof): done. */
  | "already-slashed"
  /** The contract refused the proof (not RPC): kept for the record, never sent again. */
  | "rejected"
  /** The epoch left the contract's window before a proof landed. */
  | "expired";

/** One matmul fraud proof per (provider, epoch), as this node built it from its own run. */
export interface FraudProofRecord {
  epoch: bigint;
  provider: Address;
  /** encodeMatmulFraudProof of the proof. */
  proof: Hex;
  status: FraudProofStatus;
  /** Transactions sent for it (each one that was refused or failed counts). */
  attempts: number;
  tx: Hex | null;
  error: string | null;
}

/**
 * One VRAM fraud proof per (provider, epoch) (fraud/vramFraud.ts): off chain only, kept as contest and
 * report evidence, never submitted. `proof` is its JSON (epoch as a decimal string, payloads as hex).
 */
export interface VramFraudProofRecord {
  epoch: bigint;
  provider: Address;
  proof: string;
}

/** Where stored equivocation evidence stands (duties/equivocationDuty.ts). */
type EquivocationStatus =
  /** Stored (and gossiped); not landed on chain yet. */
  | "pending"
  /** Our slashEquivocation landed. */
  | "landed"
  /** The checker was already slashed for that epoch (someone else's evidence): done. */
  | "already-slashed"
  /** The contract refused the evidence (not RPC): kept for the record, never sent again. */
  | "rejected";

/**
 * Equivocation evidence (protocol/equivocation.ts), one per (epoch, checker): the first verified pair
 * this node met, by gossip validation, a co-sign request or the evidence topic.
 */
export interface EquivocationRecord {
  epoch: bigint;
  checker: Address;
  /** equivocationId of the pair. */
  id: Hex;
  /** equivocationCodec encoding of the pair. */
  evidence: Hex;
  status: EquivocationStatus;
  attempts: number;
  tx: Hex | null;
  error: string | null;
}

/** Signs a 32-byte signing root with the operator's BLS key. */
export type AttestationSigner = (signingRoot: Uint8Array) => Uint8Array | Promise<Uint8Array>;

/**
 * The node's level database: attestations heard on gossip, our own challenge
 * transcripts (evidence), reports, and the slashing-protection record. Writes
 * that belong together go in one atomic batch; writes that must survive a
 * crash (slashing protection) are synced to disk before the call returns.
 */
export class CheckerDb {
  readonly location: string;
  private readonly db: Db;
  private readonly attestations: Sub;
  private readonly transcripts: Sub;
  private readonly noRunReasons: Sub;
  private readonly reports: Sub;
  private readonly cosigned: Sub;
  private readonly slashing: Sub;
  private readonly meta: Sub;
  private readonly fraudProofs: Sub;
  private readonly vramFraudProofs: Sub;
  private readonly equivocations: Sub;
  private readonly metrics: Metrics | undefined;
  /** Per-(epoch, provider) promise chains: two concurrent sign requests never race past the check. */
  private readonly locks = new Map<string, Promise<unknown>>();

  private constructor(location: string, db: Db, metrics: Metrics | undefined) {
    this.location = location;
    this.db = db;
    const sub = (name: string) => subOf(db, name);
    this.attestations = sub("attestations");
    this.transcripts = sub("transcripts");
    this.noRunReasons = sub("no-run-reasons");
    this.reports = sub("reports");
    this.cosigned = sub("cosigned-reports");
    this.slashing = sub("slashing");
    this.meta = sub("meta");
    this.fraudProofs = sub("fraud-proofs");
    this.vramFraudProofs = sub("vram-fraud-proofs");
    this.equivocations = sub("equivocations");
    this.metrics = metrics;
  }

  static async open(options: CheckerDbOptions): Promise<CheckerDb> {
    mkdirSync(options.dataDir, { recursive: true });
    const location = join(options.dataDir, "db");
    // LevelDB's 8 MiB block cache and 4 MiB write buffer are sized for big stores; this one is small (docs/footprint.md).
    const db = new Level<string, Uint8Array>(location, {
      keyEncoding: "utf8",
      valueEncoding: "view",
      cacheSize: 1 << 20,
      writeBufferSize: 1 << 20,
    });
    await db.open();
    return new CheckerDb(location, db, options.metrics);
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  // --- slashing protection -------------------------------------------------

  async getSlashingRecord(epoch: bigint, provider: Address): Promise<SlashingRecord | undefined> {
    const key = slashingKey(epoch, provider);
    const raw = await this.slashing.get(key);
    if (raw === undefined) return undefined;
    try {
      const rec = JSON.parse(new TextDecoder().decode(raw)) as SlashingRecord;
      if (!/^0x[0-9a-f]{64}$/.test(rec.signingRoot) || !/^0x[0-9a-f]{192}$/.test(rec.signature)) {
        throw new Error("fields have the wrong shape");
      }
      return rec;
    } catch (e) {
      throw new CorruptRecordError("slashing-protection", key, (e as Error).message);
    }
  }

  /**
   * Signs `attestation` unless that would be slashable. The first request for
   * an (epoch, provider) signs and stores the signature together with our own
   * signed attestation in one synced batch; a repeat of the same attestation
   * returns the stored signature (so a restart re-publishes, never re-signs
   * differently); a different attestation is refused.
   *
   * The signature is released only after the record is on disk: a crash in
   * between loses an unpublished signature, never protection.
   *
   * @example
   * const signed = await db.signAttestationSafely(att, domain, vrfProof, (root) => bls.sign(sk, root));
   */
  async signAttestationSafely(
    attestation: Attestation,
    domain: NetworkDomain,
    vrfProof: Hex,
    sign: AttestationSigner,
  ): Promise<SignedAttestation> {
    const key = slashingKey(attestation.epoch, attestation.provider);
    return this.withLock(key, async () => {
      const root = bytesToHex(attestationSigningRoot(attestation, domain));
      const existing = await this.getSlashingRecord(attestation.epoch, attestation.provider);
      if (existing !== undefined) {
        if (existing.signingRoot !== root) {
          this.metrics?.slashingProtectionRefusals.inc();
          throw new SlashingProtectionError({
            epoch: attestation.epoch,
            provider: attestation.provider,
            signedRoot: existing.signingRoot,
            requestedRoot: root,
          });
        }
        return { attestation, signature: existing.signature, vrfProof };
      }
      const signature = bytesToHex(await sign(hexToBytes(root)));
      const signed: SignedAttestation = { attestation, signature, vrfProof };
      const record: SlashingRecord = { signingRoot: root, signature };
      await this.db.batch(
        [
          {
            type: "put",
            sublevel: this.slashing,
            key,
            value: new TextEncoder().encode(JSON.stringify(record)),
          },
          {
            type: "put",
            sublevel: this.attestations,
            key: attestationKey(attestation.epoch, attestation.provider, attestation.checker),
            value: signedAttestationCodec.encode(signed),
          },
        ] as never,
        { sync: true },
      );
      this.metrics?.dbWrites.inc({ kind: "slashing_protection" });
      return signed;
    });
  }

  // --- attestations --------------------------------------------------------

  async putAttestation(signed: SignedAttestation): Promise<void> {
    const a = signed.attestation;
    await this.attestations.put(
      attestationKey(a.epoch, a.provider, a.checker),
      signedAttestationCodec.encode(signed),
    );
    this.metrics?.dbWrites.inc({ kind: "attestation" });
  }

  async putAttestations(signed: readonly SignedAttestation[]): Promise<void> {
    await this.attestations.batch(
      signed.map((s) => ({
        type: "put" as const,
        key: attestationKey(s.attestation.epoch, s.attestation.provider, s.attestation.checker),
        value: signedAttestationCodec.encode(s),
      })),
    );
    this.metrics?.dbWrites.inc({ kind: "attestation" });
  }

  async getAttestation(
    epoch: bigint,
    provider: Address,
    checker: Address,
  ): Promise<SignedAttestation | undefined> {
    const key = attestationKey(epoch, provider, checker);
    const raw = await this.attestations.get(key);
    return raw === undefined ? undefined : decodeAttestation(key, raw);
  }

  async attestationsOfEpoch(epoch: bigint): Promise<SignedAttestation[]> {
    const out: SignedAttestation[] = [];
    for await (const [key, raw] of this.attestations.iterator(epochRange(epoch)))
      out.push(decodeAttestation(key, raw));
    return out;
  }

  // --- transcripts (evidence) ---------------------------------------------

  async putTranscript(transcriptHash: Hex, transcript: Uint8Array): Promise<void> {
    await this.transcripts.put(transcriptHash.toLowerCase(), transcript);
    this.metrics?.dbWrites.inc({ kind: "transcript" });
  }

  async getTranscript(transcriptHash: Hex): Promise<Uint8Array | undefined> {
    return plain(await this.transcripts.get(transcriptHash.toLowerCase()));
  }

  /**
   * Why this node attested (epoch, provider) without a run (no transcript to keep): served as its evidence
   * (network/reqresp/evidence.ts), so the provider learns which registry field to fix.
   */
  async putNoRunReason(epoch: bigint, provider: Address, reason: NoRunReason): Promise<void> {
    await this.noRunReasons.put(
      slashingKey(epoch, provider),
      new TextEncoder().encode(JSON.stringify(reason)),
    );
    this.metrics?.dbWrites.inc({ kind: "no_run_reason" });
  }

  async getNoRunReason(epoch: bigint, provider: Address): Promise<NoRunReason | undefined> {
    const key = slashingKey(epoch, provider);
    const raw = await this.noRunReasons.get(key);
    if (raw === undefined) return undefined;
    try {
      const { code, field, message } = JSON.parse(new TextDecoder().decode(raw)) as NoRunReason;
      return { code: String(code), field: String(field), message: String(message) };
    } catch (e) {
      throw new CorruptRecordError("no-run reason", key, (e as Error).message);
    }
  }

  /**
   * Our own attestation and its transcript in one atomic batch (evidence must
   * never be missing for something we published).
   */
  async putAttestationWithTranscript(signed: SignedAttestation, transcript: Uint8Array): Promise<void> {
    const a = signed.attestation;
    await this.db.batch(
      [
        {
          type: "put",
          sublevel: this.transcripts,
          key: a.transcriptHash.toLowerCase(),
          value: transcript,
        },
        {
          type: "put",
          sublevel: this.attestations,
          key: attestationKey(a.epoch, a.provider, a.checker),
          value: signedAttestationCodec.encode(signed),
        },
      ] as never,
      { sync: true },
    );
    this.metrics?.dbWrites.inc({ kind: "attestation_with_transcript" });
  }

  // --- reports ---------------------------------------------------------------

  async putReport(epoch: bigint, encoded: Uint8Array): Promise<void> {
    await this.db.batch(
      [{ type: "put", sublevel: this.reports, key: epochKey(epoch), value: encoded }] as never,
      {
        sync: true,
      },
    );
    this.metrics?.dbWrites.inc({ kind: "report" });
  }

  async getReport(epoch: bigint): Promise<Uint8Array | undefined> {
    return plain(await this.reports.get(epochKey(epoch)));
  }

  /**
   * Stores a report this node co-signed under (epoch, `roots`, `requester`): every root a member signed stays
   * at hand, whichever lands (reports/cosignedReports.ts). `roots` and `requester` hold no "/" but the one
   * between the two roots.
   */
  async putCosignedReport(
    epoch: bigint,
    roots: string,
    requester: string,
    encoded: Uint8Array,
  ): Promise<void> {
    const key = `${epochKey(epoch)}/${roots}/${requester}`;
    // Synced like the report record: a member that signed must hold the leaves after a crash too.
    await this.db.batch([{ type: "put", sublevel: this.cosigned, key, value: encoded }] as never, {
      sync: true,
    });
    this.metrics?.dbWrites.inc({ kind: "cosigned_report" });
  }

  /** A report co-signed for `epoch` with these roots (whoever asked), if any. */
  async getCosignedReport(epoch: bigint, roots: string): Promise<Uint8Array | undefined> {
    const prefix = `${epochKey(epoch)}/${roots}/`;
    for await (const value of this.cosigned.values({ gte: prefix, lt: `${prefix}\uffff`, limit: 1 }))
      return plain(value);
    return undefined;
  }

  /** The (roots, requester) of every report co-signed for `epoch`: keys only, the leaves stay on disk. */
  async cosignedRootsOf(epoch: bigint): Promise<{ roots: string; requester: string }[]> {
    const out: { roots: string; requester: string }[] = [];
    for await (const key of this.cosigned.keys(epochRange(epoch))) {
      const [, results, rewards, requester] = key.split("/");
      out.push({ roots: `${results}/${rewards}`, requester: requester ?? "" });
    }
    return out;
  }

  // --- fraud proofs ------------------------------------------------------------

  /** Stores a fraud proof unless one for (provider, epoch) is stored already; true when this one was stored. */
  async putFraudProof(record: FraudProofRecord): Promise<boolean> {
    const key = slashingKey(record.epoch, record.provider);
    return this.withLock(`fraud/${key}`, async () => {
      if ((await this.fraudProofs.get(key)) !== undefined) return false;
      await this.fraudProofs.put(key, encodeJson(record));
      return true;
    });
  }

  /** Replaces the stored record of (record.provider, record.epoch). */
  async updateFraudProof(record: FraudProofRecord): Promise<void> {
    await this.fraudProofs.put(slashingKey(record.epoch, record.provider), encodeJson(record));
  }

  /** Stores a VRAM fraud proof unless one for (provider, epoch) is stored already; true when this one was stored. */
  async putVramFraudProof(record: VramFraudProofRecord): Promise<boolean> {
    const key = slashingKey(record.epoch, record.provider);
    return this.withLock(`vram-fraud/${key}`, async () => {
      if ((await this.vramFraudProofs.get(key)) !== undefined) return false;
      await this.vramFraudProofs.put(key, new TextEncoder().encode(record.proof));
      return true;
    });
  }

  /** The stored VRAM fraud proof's JSON for (provider, epoch), if any. */
  async getVramFraudProof(epoch: bigint, provider: Address): Promise<string | undefined> {
    const raw = plain(await this.vramFraudProofs.get(slashingKey(epoch, provider)));
    return raw === undefined ? undefined : new TextDecoder().decode(raw);
  }

  /** Every stored fraud proof, oldest epoch first. */
  async listFraudProofs(): Promise<FraudProofRecord[]> {
    const out: FraudProofRecord[] = [];
    for await (const [key, raw] of this.fraudProofs.iterator()) {
      try {
        const r = JSON.parse(new TextDecoder().decode(raw)) as FraudProofRecord & { epoch: string };
        out.push({ ...r, epoch: BigInt(r.epoch) });
      } catch (e) {
        throw new CorruptRecordError("fraud proof", key, (e as Error).message);
      }
    }
    return out;
  }

  /**
   * Deletes the fraud proofs (matmul, whatever their status, and VRAM) of epochs before `minEpoch`: once an
   * epoch has left FraudProofs' window no proof of it can land, and a landed one has done its work. Returns
   * the matmul records deleted (the caller counts the pending ones as expired) and the VRAM proofs deleted.
   */
  async pruneFraudProofs(minEpoch: bigint): Promise<{ matmul: FraudProofRecord[]; vram: number }> {
    const matmul: FraudProofRecord[] = [];
    if (minEpoch <= 0n) return { matmul, vram: 0 };
    const ops: { type: "del"; key: string }[] = [];
    for await (const [key, raw] of this.fraudProofs.iterator({ lt: epochKey(minEpoch) })) {
      ops.push({ type: "del", key });
      try {
        const r = JSON.parse(new TextDecoder().decode(raw)) as FraudProofRecord & { epoch: string };
        matmul.push({ ...r, epoch: BigInt(r.epoch) });
      } catch {
        // A corrupt record of a past epoch is deleted all the same.
      }
    }
    await this.fraudProofs.batch(ops);
    const vram: { type: "del"; key: string }[] = [];
    for await (const key of this.vramFraudProofs.keys({ lt: epochKey(minEpoch) }))
      vram.push({ type: "del", key });
    await this.vramFraudProofs.batch(vram);
    return { matmul, vram: vram.length };
  }

  // --- equivocation evidence ---------------------------------------------------

  /** Stores evidence unless some is stored for (epoch, checker) already; true when this one was stored. */
  async putEquivocation(record: EquivocationRecord): Promise<boolean> {
    const key = slashingKey(record.epoch, record.checker);
    return this.withLock(`equivocation/${key}`, async () => {
      if ((await this.equivocations.get(key)) !== undefined) return false;
      await this.equivocations.put(key, encodeJson(record));
      this.metrics?.dbWrites.inc({ kind: "equivocation" });
      return true;
    });
  }

  /** Replaces the stored record of (record.epoch, record.checker). */
  async updateEquivocation(record: EquivocationRecord): Promise<void> {
    await this.equivocations.put(slashingKey(record.epoch, record.checker), encodeJson(record));
  }

  /** Stored evidence, oldest epoch first; of epochs ≥ `fromEpoch` when given. */
  async listEquivocations(fromEpoch = 0n): Promise<EquivocationRecord[]> {
    const out: EquivocationRecord[] = [];
    for await (const [key, raw] of this.equivocations.iterator({ gte: epochKey(fromEpoch) })) {
      try {
        const r = JSON.parse(new TextDecoder().decode(raw)) as EquivocationRecord & { epoch: string };
        out.push({ ...r, epoch: BigInt(r.epoch) });
      } catch (e) {
        throw new CorruptRecordError("equivocation", key, (e as Error).message);
      }
    }
    return out;
  }

  // --- metadata --------------------------------------------------------------

  async putMeta(key: string, value: string): Promise<void> {
    await this.meta.put(key, new TextEncoder().encode(value));
  }

  async getMeta(key: string): Promise<string | undefined> {
    const raw = await this.meta.get(key);
    return raw === undefined ? undefined : new TextDecoder().decode(raw);
  }

  /**
   * Deletes gossip attestations (with the transcripts behind this node's own), no-run reasons, equivocation
   * evidence and co-signed reports of epochs before `minEpoch` (slashing records and each epoch's report
   * record are kept). The node calls it once an epoch (services/dbPrune.ts).
   */
  async prune(minEpoch: bigint): Promise<number> {
    let n = 0;
    let ops: { type: "del"; key: string }[] = [];
    let transcripts: { type: "del"; key: string }[] = [];
    // Transcripts first: a crash in between leaves an attestation without its transcript, never an orphan.
    const flush = async () => {
      await this.transcripts.batch(transcripts);
      await this.attestations.batch(ops);
      ops = [];
      transcripts = [];
    };
    for await (const [key, raw] of this.attestations.iterator({ lt: epochKey(minEpoch) })) {
      ops.push({ type: "del", key });
      n++;
      // The transcript behind this node's own attestation (its evidence) goes with it; a peer's is not held.
      const hash = transcriptHashOf(raw);
      if (hash !== undefined && hash !== zeroHash) transcripts.push({ type: "del", key: hash.toLowerCase() });
      if (ops.length >= PRUNE_BATCH) await flush();
    }
    await flush();
    // Equivocation evidence goes with the epoch history it belongs to.
    const evidence: { type: "del"; key: string }[] = [];
    for await (const key of this.equivocations.keys({ lt: epochKey(minEpoch) }))
      evidence.push({ type: "del", key });
    await this.equivocations.batch(evidence);
    // A no-run reason goes with the attestation it explains.
    const noRun: { type: "del"; key: string }[] = [];
    for await (const key of this.noRunReasons.keys({ lt: epochKey(minEpoch) }))
      noRun.push({ type: "del", key });
    await this.noRunReasons.batch(noRun);
    const cosigned: { type: "del"; key: string }[] = [];
    for await (const key of this.cosigned.keys({ lt: epochKey(minEpoch) }))
      cosigned.push({ type: "del", key });
    await this.cosigned.batch(cosigned);
    return n;
  }

  private withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(key, tail);
    void tail.then(() => {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    });
    return next;
  }
}

/** Deletes per prune batch: a first prune of a long-kept db does not build one huge batch. */
const PRUNE_BATCH = 1_000;

/** The transcript hash a stored attestation names; undefined for a corrupt record (deleted all the same). */
function transcriptHashOf(raw: Uint8Array): Hex | undefined {
  try {
    return signedAttestationCodec.decode(raw).attestation.transcriptHash;
  } catch {
    return undefined;
  }
}

function encodeJson(record: FraudProofRecord | EquivocationRecord): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ ...record, epoch: record.epoch.toString() }));
}

/** classic-level hands back Buffers; callers get plain Uint8Arrays over the same memory. */
function plain(raw: Uint8Array | undefined): Uint8Array | undefined {
  return raw === undefined ? undefined : new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
}

function decodeAttestation(key: string, raw: Uint8Array): SignedAttestation {
  try {
    return signedAttestationCodec.decode(raw);
  } catch (e) {
    throw new CorruptRecordError("attestation", key, (e as Error).message);
  }
}
