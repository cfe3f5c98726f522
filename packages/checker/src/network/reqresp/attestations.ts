import { attestationSigningRoot, signedAttestationCodec } from "@checkernet/protocol/encoding/attestation";
import { checkRange, defineCodec } from "@checkernet/protocol/encoding/codec";
import type { NetworkDomain, SignedAttestation } from "@checkernet/protocol/types";
import type { Logger } from "@checkernet/runtime";
import {
  type Dialer,
  decodeRequest,
  type Frame,
  type FrameType,
  type RequestFailure,
  requestOnce,
  serveOnce,
} from "@checkernet/wire";
import type { PeerId } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { bytesToHex, type Hex, hexToBytes } from "viem";
import type { CheckerDb } from "../../db/checkerDb.ts";
import { CheckerError } from "../../errors.ts";
import type { CheckerHost } from "../host.ts";

/**
 * `/checkernet/attestations/1.0.0` (docs/protocol/attestation-sync.md): a node that restarted, or
 * whose gossip mesh is re-forming after a partition, asks a peer for the epoch's attestations it
 * lacks. The request names the epoch and what the asker holds, as the first 8 bytes of each held
 * attestation's signing root; the answer holds the peer's stored attestations of the epoch whose
 * id is not in that list (a conflicting copy of a held slot included: it is equivocation evidence),
 * at most ATTESTATION_SYNC_LIMITS.maxAttestations. Framing as the challenge protocol: one
 * SYNC_REQUEST frame, one SYNC_RESPONSE or ERROR frame, stream closed. The answer is untrusted:
 * the asker validates every attestation with the gossip rules (duties/attestationSync.ts).
 */
export const ATTESTATION_SYNC_PROTOCOL = "/checkernet/attestations/1.0.0";

/** Frame type bytes of this protocol (0x60 block; cosign holds 0x40–0x41, recheck and reports 0x50–0x53). */
export const AttestationSyncFrameType = {
  SYNC_REQUEST: 0x60 as FrameType,
  SYNC_RESPONSE: 0x61 as FrameType,
} as const;

/** Bytes of an attestation id in the request's `have` list. */
const ATTESTATION_ID_BYTES = 8;

export const ATTESTATION_SYNC_LIMITS = {
  /**
   * Attestations in one answer: 1,024 × ~0.7 KB ≈ 0.7 MB. A full epoch of 512 providers × k = 8
   * seats is 4,096: an asker that lacks more pages with its grown `have` list.
   */
  maxAttestations: 1_024,
  /** Ids in one request's `have` list (64 KiB): twice the largest epoch the co-sign protocol carries. */
  maxHave: 8_192,
  requestTimeoutMs: 5_000,
  /** The server reads one epoch from its db and hashes it: milliseconds; the asker's deadline is the real bound. */
  responseTimeoutMs: 10_000,
  /** A node asks each peer once per sync: a few at a time per connection. */
  maxInboundStreams: 4,
  /**
   * Requests one peer may make per epoch (per-peer rate limit on the server): a node syncs at start
   * (two epochs), before each round it may lead (its own epoch and up to two late ones) and before
   * judging a co-sign request that names attestations it lacks (one per aggregator, up to four),
   * each with at most `maxPages` pages.
   */
  requestsPerPeerPerEpoch: 32,
  /** Peers whose request counts the server keeps; beyond, the oldest are forgotten. */
  maxTrackedPeers: 4_096,
} as const;

export interface AttestationSyncRequest {
  epoch: bigint;
  /** First ATTESTATION_ID_BYTES bytes of the signing root of each attestation the asker holds. */
  have: Uint8Array;
}

const attestationSyncRequestCodec = defineCodec({
  name: "AttestationSyncRequest",
  // tuple offset, epoch word, offset of `have`, its length word, the ids (8,192 × 8 bytes is whole words).
  maxBytes: 4 * 32 + ATTESTATION_SYNC_LIMITS.maxHave * ATTESTATION_ID_BYTES,
  abi: [
    {
      type: "tuple",
      components: [
        { name: "epoch", type: "uint64" },
        { name: "have", type: "bytes" },
      ],
    },
  ] as const,
  toAbi: (r: AttestationSyncRequest) => [{ epoch: r.epoch, have: bytesToHex(r.have) }] as const,
  fromAbi: ([f]) => {
    checkRange("AttestationSyncRequest", "epoch", f.epoch, 1n, (1n << 64n) - 1n);
    const have = hexToBytes(f.have);
    checkRange("AttestationSyncRequest", "have.length % 8", have.length % ATTESTATION_ID_BYTES, 0, 0);
    return { epoch: f.epoch, have };
  },
});

const ATTESTATION_SLOT = 64 + Math.ceil(signedAttestationCodec.maxBytes / 32) * 32;

export const attestationSyncResponseCodec = defineCodec({
  name: "AttestationSyncResponse",
  // offset + array length + one slot (offset, length, padded body) per attestation.
  maxBytes: 2 * 32 + ATTESTATION_SYNC_LIMITS.maxAttestations * ATTESTATION_SLOT,
  abi: [{ name: "attestations", type: "bytes[]" }] as const,
  toAbi: (list: SignedAttestation[]) =>
    [list.map((a) => bytesToHex(signedAttestationCodec.encode(a)))] as const,
  fromAbi: ([list]) => {
    checkRange(
      "AttestationSyncResponse",
      "attestations",
      list.length,
      0,
      ATTESTATION_SYNC_LIMITS.maxAttestations,
    );
    return list.map((a: Hex) => signedAttestationCodec.decode(hexToBytes(a)));
  },
});

/**
 * The id an attestation has in a `have` list: the first 8 bytes of its signing root, as hex, cached
 * by signature for the last few epochs. A signing root costs ~75 µs (ABI encoding and keccak): 0.3 s
 * for an epoch of 4,096, which each request would otherwise pay on both sides. Fed only from the
 * node's own db (validated attestations), so a signature names one attestation.
 */
export class AttestationIds {
  private readonly byEpoch = new Map<bigint, Map<string, string>>();
  private readonly domain: NetworkDomain;
  private readonly keepEpochs: number;

  constructor(domain: NetworkDomain, keepEpochs = 4) {
    this.domain = domain;
    this.keepEpochs = keepEpochs;
  }

  of(signed: SignedAttestation): string {
    const epoch = signed.attestation.epoch;
    let ids = this.byEpoch.get(epoch);
    if (ids === undefined) {
      ids = new Map();
      this.byEpoch.set(epoch, ids);
      for (const e of this.byEpoch.keys()) if (e + BigInt(this.keepEpochs) <= epoch) this.byEpoch.delete(e);
    }
    let id = ids.get(signed.signature);
    if (id === undefined) {
      const root = attestationSigningRoot(signed.attestation, this.domain);
      id = bytesToHex(root.subarray(0, ATTESTATION_ID_BYTES));
      ids.set(signed.signature, id);
    }
    return id;
  }

  /** The `have` list of `held` (the first ATTESTATION_SYNC_LIMITS.maxHave of them). */
  haveList(held: readonly SignedAttestation[]): Uint8Array {
    const n = Math.min(held.length, ATTESTATION_SYNC_LIMITS.maxHave);
    const out = new Uint8Array(n * ATTESTATION_ID_BYTES);
    for (let i = 0; i < n; i++) out.set(hexToBytes(this.of(held[i]!) as Hex), i * ATTESTATION_ID_BYTES);
    return out;
  }
}

function idsOf(have: Uint8Array): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i < have.length; i += ATTESTATION_ID_BYTES) {
    out.add(bytesToHex(have.subarray(i, i + ATTESTATION_ID_BYTES)));
  }
  return out;
}

/** Why an attestation sync with one peer failed; every one drops nothing but that peer's answer. */
export const AttestationSyncErrorCode = {
  /** No answer in time, or the stream failed. */
  UNREACHABLE: "ATTESTATION_SYNC_ERROR_UNREACHABLE",
  /** The peer answered with an ERROR frame (rate limited, ...). */
  REFUSED: "ATTESTATION_SYNC_ERROR_REFUSED",
  /** The answer breaks the framing (over the size cap, wrong frame type) or does not decode: the peer is dropped. */
  INVALID: "ATTESTATION_SYNC_ERROR_INVALID",
  /** The answer holds an attestation of another epoch than the one asked: the peer is dropped. */
  WRONG_EPOCH: "ATTESTATION_SYNC_ERROR_WRONG_EPOCH",
  /** The answer holds an attestation the gossip rules REJECT (forged signature, no seat, ...): the peer is dropped. */
  REJECTED: "ATTESTATION_SYNC_ERROR_REJECTED",
} as const;
export type AttestationSyncErrorCode =
  (typeof AttestationSyncErrorCode)[keyof typeof AttestationSyncErrorCode];

export class AttestationSyncError extends CheckerError {
  override name = "AttestationSyncError";
  readonly code: AttestationSyncErrorCode;
  constructor(code: AttestationSyncErrorCode, message: string) {
    super(`${message} [${code}]`);
    this.code = code;
  }
}

/** Requests per peer per epoch window: a bounded map of counters (ATTESTATION_SYNC_LIMITS). */
class PeerRateLimit {
  private readonly windows = new Map<string, { startMs: number; count: number }>();
  private readonly windowMs: number;
  private readonly max: number;

  constructor(windowMs: number, max: number) {
    this.windowMs = windowMs;
    this.max = max;
  }

  take(peer: string, nowMs: number): boolean {
    let w = this.windows.get(peer);
    if (w === undefined || nowMs - w.startMs >= this.windowMs) {
      w = { startMs: nowMs, count: 0 };
      this.windows.delete(peer);
      if (this.windows.size >= ATTESTATION_SYNC_LIMITS.maxTrackedPeers) {
        const oldest = this.windows.keys().next().value;
        if (oldest !== undefined) this.windows.delete(oldest);
      }
      this.windows.set(peer, w);
    }
    if (w.count >= this.max) return false;
    w.count++;
    return true;
  }
}

/** Serves the epoch's stored attestations the asker lacks, rate limited per peer. */
export async function handleAttestationSync(
  host: CheckerHost,
  components: {
    db: CheckerDb;
    domain: NetworkDomain;
    logger: Logger;
    /** The rate limit's window: one epoch. */
    epochMs: number;
    /** Requests per peer per window (default ATTESTATION_SYNC_LIMITS.requestsPerPeerPerEpoch). */
    requestsPerPeer?: number;
  },
): Promise<void> {
  const max = components.requestsPerPeer ?? ATTESTATION_SYNC_LIMITS.requestsPerPeerPerEpoch;
  const ids = new AttestationIds(components.domain);
  const limit = new PeerRateLimit(components.epochMs, max);
  await serveOnce(
    host,
    {
      protocol: ATTESTATION_SYNC_PROTOCOL,
      what: "attestation sync",
      request: { [AttestationSyncFrameType.SYNC_REQUEST]: attestationSyncRequestCodec.maxBytes },
      limits: ATTESTATION_SYNC_LIMITS,
    },
    async (frame, from) => {
      if (!limit.take(from.toString(), Date.now())) {
        throw new Error(`rate limited: at most ${max} attestation sync requests per peer and epoch`);
      }
      const request = decodeRequest(attestationSyncRequestCodec.decode, frame.body);
      return answerSync(request, components.db, ids);
    },
    components.logger,
  );
}

async function answerSync(
  request: AttestationSyncRequest,
  db: CheckerDb,
  ids: AttestationIds,
): Promise<Frame> {
  const have = idsOf(request.have);
  const out: SignedAttestation[] = [];
  for (const s of await db.attestationsOfEpoch(request.epoch)) {
    if (have.has(ids.of(s))) continue;
    out.push(s);
    if (out.length >= ATTESTATION_SYNC_LIMITS.maxAttestations) break;
  }
  return { type: AttestationSyncFrameType.SYNC_RESPONSE, body: attestationSyncResponseCodec.encode(out) };
}

/**
 * Asks `peer` for the attestations of `request.epoch` not in `request.have`; resolves with them,
 * decoded strictly but not validated (the caller runs the gossip rules on each).
 *
 * @throws AttestationSyncError UNREACHABLE, REFUSED (with the peer's reason), INVALID
 */
export async function requestAttestations(
  host: Dialer,
  peer: PeerId | Multiaddr,
  request: AttestationSyncRequest,
  options: { timeoutMs?: number; maxResponseBytes?: number } = {},
): Promise<SignedAttestation[]> {
  const body = await requestOnce(
    host,
    peer,
    {
      protocol: ATTESTATION_SYNC_PROTOCOL,
      what: "attestation sync",
      request: {
        type: AttestationSyncFrameType.SYNC_REQUEST,
        body: attestationSyncRequestCodec.encode(request),
      },
      answer: {
        type: AttestationSyncFrameType.SYNC_RESPONSE,
        maxBytes: options.maxResponseBytes ?? attestationSyncResponseCodec.maxBytes,
      },
      timeoutMs: options.timeoutMs ?? ATTESTATION_SYNC_LIMITS.responseTimeoutMs,
    },
    (failure, message) => new AttestationSyncError(SYNC_FAILURE_CODES[failure], message),
  );
  try {
    return attestationSyncResponseCodec.decode(body);
  } catch (e) {
    throw new AttestationSyncError(
      AttestationSyncErrorCode.INVALID,
      `answer does not decode: ${(e as Error).message}`,
    );
  }
}

const SYNC_FAILURE_CODES: Record<RequestFailure, AttestationSyncErrorCode> = {
  unreachable: AttestationSyncErrorCode.UNREACHABLE,
  refused: AttestationSyncErrorCode.REFUSED,
  invalid: AttestationSyncErrorCode.INVALID,
};
