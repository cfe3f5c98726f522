import { defineCodec } from "@checkernet/protocol/encoding/codec";
import type { ChallengeKind } from "@checkernet/protocol/types";
import { bytesToHex, type Hex, keccak256 } from "viem";
import type { FrameType } from "./framing.ts";

export const Direction = {
  /** Checker to provider. */
  SENT: 0,
  /** Provider to checker. */
  RECEIVED: 1,
} as const;
export type Direction = (typeof Direction)[keyof typeof Direction];

export interface TranscriptFrame {
  direction: Direction;
  type: FrameType;
  /** Microseconds since the run started, on the checker's monotonic clock. */
  atUs: number;
  body: Hex;
}

/**
 * The evidence of one challenge run: every frame exchanged, in order, with
 * the checker's timestamps. Its keccak256 is the attestation's transcriptHash.
 */
export interface Transcript {
  kind: ChallengeKind;
  /** The provider's libp2p peer id (bytes of its multihash). */
  providerPeer: Hex;
  /** Unix ms when the run started. */
  startedAtMs: bigint;
  frames: TranscriptFrame[];
  /** How the run ended on the wire: "" when complete, else a FrameErrorCode. */
  wireError: string;
}

/** Big enough for a matmul run at matmulMaxSize with its rows; anything larger is a bug. */
export const TRANSCRIPT_MAX_BYTES = 16 * 1024 * 1024;

export const transcriptCodec = defineCodec({
  name: "Transcript",
  maxBytes: TRANSCRIPT_MAX_BYTES,
  abi: [
    {
      type: "tuple",
      components: [
        { name: "kind", type: "uint8" },
        { name: "providerPeer", type: "bytes" },
        { name: "startedAtMs", type: "uint64" },
        {
          name: "frames",
          type: "tuple[]",
          components: [
            { name: "direction", type: "uint8" },
            { name: "type", type: "uint8" },
            { name: "atUs", type: "uint64" },
            { name: "body", type: "bytes" },
          ],
        },
        { name: "wireError", type: "string" },
      ],
    },
  ] as const,
  toAbi: (t: Transcript) =>
    [
      {
        kind: t.kind,
        providerPeer: t.providerPeer,
        startedAtMs: t.startedAtMs,
        frames: t.frames.map((f) => ({
          direction: f.direction,
          type: f.type,
          atUs: BigInt(f.atUs),
          body: f.body,
        })),
        wireError: t.wireError,
      },
    ] as const,
  fromAbi: ([f]) => ({
    kind: f.kind as ChallengeKind,
    providerPeer: f.providerPeer,
    startedAtMs: f.startedAtMs,
    frames: f.frames.map((x) => ({
      direction: x.direction as Direction,
      type: x.type as FrameType,
      atUs: Number(x.atUs),
      body: x.body,
    })),
    wireError: f.wireError,
  }),
});

/** Collects frames as a run goes. */
export class TranscriptRecorder {
  private readonly t0 = performance.now();
  readonly transcript: Transcript;

  constructor(kind: ChallengeKind, providerPeer: Uint8Array) {
    this.transcript = {
      kind,
      providerPeer: bytesToHex(providerPeer),
      startedAtMs: BigInt(Date.now()),
      frames: [],
      wireError: "",
    };
  }

  /** Microseconds since the run started. */
  nowUs(): number {
    return Math.round((performance.now() - this.t0) * 1000);
  }

  record(direction: Direction, type: FrameType, body: Uint8Array): number {
    const atUs = this.nowUs();
    this.transcript.frames.push({ direction, type, atUs, body: bytesToHex(body) });
    return atUs;
  }

  finish(wireError = ""): { transcript: Transcript; encoded: Uint8Array; hash: Hex } {
    this.transcript.wireError = wireError;
    const encoded = transcriptCodec.encode(this.transcript);
    return { transcript: this.transcript, encoded, hash: keccak256(encoded) };
  }
}
