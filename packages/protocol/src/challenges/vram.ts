import { keccak_256 } from "@noble/hashes/sha3.js";
import { type Address, bytesToHex, type Hex, hexToBytes, isAddress } from "viem";
import { checkRange, defineCodec } from "../encoding/codec.ts";
import type { ProtocolParams } from "../params.ts";
import {
  type Bytes32Like,
  bytes32,
  ChallengeError,
  ChallengeErrorCode,
  type ChallengeOutcome,
  checkDuration,
  checkInteger,
  combineResults,
  concatBytes,
  type Reason,
  ReasonCode,
} from "./common.ts";
import { type GpuClassId, gpuClass, vramDeadlineMs } from "./gpu-classes.ts";
import { keccakBlockInto, keccakInto, keccakWordPairInto, keccakWordsSupported } from "./keccak-block.ts";
import { keccakWasm, vramChainWasm } from "./keccak-chain-wasm.ts";
import { deriveKey, sampleDistinct } from "./prng.ts";

/**
 * VRAM residency. The provider fills its claimed memory with `blockCount`
 * seeded blocks. A challenge is a *walk*: from the checker's fresh nonce,
 * step t visits block `index(nonce_t)` and answers
 * `digest_t = keccak256(nonce_t ‖ block)`, and the next nonce is that digest.
 * Each step's block depends on the previous answer, so a provider that keeps
 * only part of the data cannot regenerate the blocks it lacks in parallel or
 * ahead of time; and one round trip carries the whole walk, so network jitter
 * is paid once, not per block. The checker then spot-checks step 0 and
 * `vramSampleCount(steps, vramSampledBlocks)` sampled steps, regenerating
 * only those blocks.
 *
 * Blocks are built to be slower to regenerate than to hash: each 32-byte
 * word is `keccak256(previous word ‖ an earlier word chosen by the previous
 * word)`, one keccak permutation per 32 bytes written against one per 136
 * bytes hashed (VRAM_GENERATION_COST_RATIO = 4.25), strictly sequential, and
 * the data-dependent back reference (as in Argon2d) means a provider that
 * stores only every k-th word pays a recomputation penalty growing with k.
 */

/** Codec bound on the walk length (steps). */
export const VRAM_MAX_STEPS = 4096;
/** Codec bound on the block size: 64 MiB. */
export const VRAM_MAX_BLOCK_SIZE = 2 ** 26;

export interface VramRequest {
  /** The provider's dataset seed (vramDatasetSeed). */
  seed: Hex;
  /** Bytes per block, a multiple of 32. */
  blockSize: number;
  /** Blocks the provider holds (vramBlockCount of its claimed VRAM). */
  blockCount: number;
  /** The checker's fresh nonce: nonce_0 of the walk. */
  nonce: Hex;
  /** Walk length. */
  steps: number;
}

export interface VramResponse {
  /** digest_0 … digest_{steps−1}. */
  digests: Hex[];
}

const utf8 = new TextEncoder();
const DATASET_TAG = keccak_256(utf8.encode("checkernet.v1.challenge.vram.dataset"));
const SAMPLE_TAG = keccak_256(utf8.encode("checkernet.v1.challenge.vram.sample"));

/**
 * A provider's dataset seed: keccak256(DATASET_TAG ‖ provider ‖ salt). One
 * dataset per provider address, so two identities on one GPU need twice the
 * memory; `salt` is the epoch seed from which the provider (re)filled its
 * memory, so the data cannot be computed before that epoch.
 */
export function vramDatasetSeed(provider: Address, salt: Bytes32Like): Hex {
  if (!isAddress(provider, { strict: false })) {
    throw new ChallengeError(ChallengeErrorCode.INVALID_ARGUMENT, "provider must be an address", {
      provider,
    });
  }
  return bytesToHex(keccak_256(concatBytes(DATASET_TAG, hexToBytes(provider), bytes32(salt, "salt"))));
}

/** Blocks a provider with `vramBytes` of memory holds: ⌊vramBytes · vramFillBps / 10000 / blockSize⌋, at least 1. */
export function vramBlockCount(
  vramBytes: number,
  blockSize: number,
  params: Pick<ProtocolParams, "vramFillBps">,
): number {
  checkBlockSize(blockSize);
  checkInteger("vramBytes", vramBytes, blockSize, Number.MAX_SAFE_INTEGER);
  return Math.max(
    1,
    Math.min(0xffff_ffff, Math.floor((vramBytes * params.vramFillBps) / 10_000 / blockSize)),
  );
}

function checkBlockSize(blockSize: number): void {
  checkInteger("blockSize", blockSize, 32, VRAM_MAX_BLOCK_SIZE);
  if (blockSize % 32 !== 0) {
    throw new ChallengeError(ChallengeErrorCode.INVALID_ARGUMENT, "blockSize must be a multiple of 32", {
      blockSize,
    });
  }
}

/**
 * Block `index` of the dataset. With key = deriveKey(seed, "vram.block", index)
 * and W = blockSize / 32 words:
 *   word_0 = keccak256(key ‖ key)
 *   word_j = keccak256(word_{j−1} ‖ word_{r_j}),  r_j = uint32le(word_{j−1}[0..4]) mod j   (1 ≤ j < W)
 */
export function generateVramBlock(seed: Bytes32Like, index: number, blockSize: number): Uint8Array {
  checkBlockSize(blockSize);
  return generateVramBlockInto(seed, index, blockSize, new Uint8Array(blockSize));
}

const chainInput = new Uint8Array(64);

/**
 * generateVramBlock written to out[0, blockSize) and returned, allocating nothing per block: the
 * provider fills its dataset in place, the checker regenerates into one reused scratch
 * (regenerateVramBlock). The chain runs in WebAssembly (vramChainWasm, ~4x the JavaScript below); without
 * it, it hashes each pair of words where they lie (keccakWordPairInto) when `out` is 4-byte aligned on a
 * little-endian host, else through a 64-byte copy (keccakBlockInto).
 */
export function generateVramBlockInto(
  seed: Bytes32Like,
  index: number,
  blockSize: number,
  out: Uint8Array,
): Uint8Array {
  checkBlockSize(blockSize);
  checkInteger("block index", index, 0, 0xffff_ffff);
  if (!(out instanceof Uint8Array) || out.length < blockSize) {
    throw new ChallengeError(ChallengeErrorCode.INVALID_ARGUMENT, `out must hold ${blockSize} bytes`, {
      blockSize,
    });
  }
  const key = deriveKey(seed, "vram.block", index);
  const words = blockSize / 32;
  chainInput.set(key, 0);
  chainInput.set(key, 32);
  keccakBlockInto(chainInput, 0, 64, out, 0);
  if (vramChainWasm(out, blockSize)) return out;
  if (keccakWordsSupported && out.byteOffset % 4 === 0) {
    const w = new Int32Array(out.buffer, out.byteOffset, blockSize / 4);
    for (let j = 1; j < words; j++) {
      const prev = (j - 1) * 8;
      keccakWordPairInto(w, prev, ((w[prev]! >>> 0) % j) * 8, j * 8);
    }
    return out;
  }
  for (let j = 1; j < words; j++) {
    const prev = (j - 1) * 32;
    const r =
      ((out[prev]! | (out[prev + 1]! << 8) | (out[prev + 2]! << 16) | (out[prev + 3]! << 24)) >>> 0) % j;
    chainInput.set(out.subarray(prev, prev + 32), 0);
    chainInput.set(out.subarray(r * 32, r * 32 + 32), 32);
    keccakBlockInto(chainInput, 0, 64, out, j * 32);
  }
  return out;
}

let scratch: Uint8Array | null = null;

/**
 * Block `index` regenerated into this thread's one scratch buffer, valid until the next call: what a
 * checker needs to check a step, and all it keeps. A checker's VRAM run regenerates up to 17 blocks of
 * 256 KiB; a fresh array each (held in a cache until the run ended) was ~4.25 MiB of large-object space
 * a run, freed only by a major GC (docs/footprint.md). The scratch stays at the last block size used.
 */
export function regenerateVramBlock(seed: Bytes32Like, index: number, blockSize: number): Uint8Array {
  checkBlockSize(blockSize);
  if (scratch === null || scratch.length !== blockSize) scratch = new Uint8Array(blockSize);
  return generateVramBlockInto(seed, index, blockSize, scratch);
}

/** The block a walk step visits: the nonce's first 8 bytes (big-endian) mod blockCount. */
export function vramStepIndex(nonce: Uint8Array, blockCount: number): number {
  checkInteger("blockCount", blockCount, 1, 0xffff_ffff);
  const view = new DataView(nonce.buffer, nonce.byteOffset, 8);
  return Number(view.getBigUint64(0, false) % BigInt(blockCount));
}

/**
 * keccak256(nonce ‖ block). The nonce makes the digest impossible to precompute. In WebAssembly (keccakWasm)
 * where there is one, else keccakInto (a quarter of keccak_256's time under the checker's V8 flags): a
 * checker verifies 17 of these per VRAM run (docs/footprint.md).
 */
export function vramStepDigest(nonce: Uint8Array, block: Uint8Array): Uint8Array {
  const digest = new Uint8Array(32);
  if (!keccakWasm([nonce, block], digest, 0)) keccakInto([nonce, block], digest, 0);
  return digest;
}

/**
 * The honest provider's walk. `getBlock` returns the stored block (its
 * residency is what the challenge measures).
 *
 * @example
 * const blocks = Array.from({ length: 64 }, (_, i) => generateVramBlock(seed, i, 4096))
 * const response = answerVram(request, (i) => blocks[i]!)
 */
export function answerVram(request: VramRequest, getBlock: (index: number) => Uint8Array): VramResponse {
  checkVramRequest(request);
  let nonce = bytes32(request.nonce, "nonce");
  const digests: Hex[] = [];
  for (let t = 0; t < request.steps; t++) {
    const index = vramStepIndex(nonce, request.blockCount);
    const block = getBlock(index);
    if (!(block instanceof Uint8Array) || block.length !== request.blockSize) {
      throw new ChallengeError(
        ChallengeErrorCode.INVALID_ARGUMENT,
        `block ${index} is not ${request.blockSize} bytes`,
        {
          index,
        },
      );
    }
    nonce = vramStepDigest(nonce, block);
    digests.push(bytesToHex(nonce));
  }
  return { digests };
}

/**
 * The steps the checker verifies: `count` distinct step numbers from
 * keccak256(SAMPLE_TAG ‖ randomness ‖ keccak256(digests) ‖ uint32be(counter)),
 * fixed only once the answer is in and unpredictable without the checker's
 * randomness.
 */
export function sampleSteps(randomness: Bytes32Like, digests: readonly Hex[], count: number): number[] {
  checkInteger("steps", digests.length, 1, VRAM_MAX_STEPS);
  const all = new Uint8Array(digests.length * 32);
  digests.forEach((d, t) => {
    all.set(bytes32(d, "digest"), t * 32);
  });
  return sampleDistinct(
    concatBytes(SAMPLE_TAG, bytes32(randomness, "randomness"), keccak_256(all)),
    digests.length,
    Math.min(count, digests.length),
  );
}

/**
 * The checker re-checks at most this share of a walk (1/4), and at least
 * VRAM_MIN_SAMPLED_STEPS steps. Regenerating a block costs 4.25× hashing it,
 * so sampling a quarter of the steps already costs the checker about what the
 * walk costs the provider: beyond that a short walk (a slow class, whose walk
 * challengeSizesFor shortens) would cost the lightweight checker several
 * times the provider's work and add nothing a second checker does not.
 */
export const VRAM_MAX_SAMPLED_SHARE = 1 / 4;
export const VRAM_MIN_SAMPLED_STEPS = 4;

/**
 * Steps a checker samples (besides step 0, always checked) in a walk of
 * `steps`: `vramSampledBlocks`, capped at max(VRAM_MIN_SAMPLED_STEPS,
 * ceil(steps · VRAM_MAX_SAMPLED_SHARE)) and at the walk length.
 *
 * @example
 * vramSampleCount(256, 16) // 16: a GPU class's walk keeps the parameter
 * vramSampleCount(19, 16)  // 5: the CPU reference's short walk
 */
export function vramSampleCount(steps: number, vramSampledBlocks: number): number {
  checkInteger("steps", steps, 1, VRAM_MAX_STEPS);
  checkInteger("vramSampledBlocks", vramSampledBlocks, 0, VRAM_MAX_STEPS);
  const cap = Math.max(VRAM_MIN_SAMPLED_STEPS, Math.ceil(steps * VRAM_MAX_SAMPLED_SHARE));
  return Math.min(steps, vramSampledBlocks, cap);
}

export interface VerifyVramInput {
  request: VramRequest;
  /** The provider's answer; null when none arrived before the checker gave up. */
  response: VramResponse | null;
  /** Checker secret drawn after the answer arrived (the run's sampling randomness). */
  randomness: Bytes32Like;
  classId: GpuClassId;
  /** Checker clock, ms, from sending the request to receiving the answer. */
  measuredMs: number;
  /** The run's p50 ping RTT, ms. */
  networkRttMs: number;
  params: Pick<ProtocolParams, "vramSampledBlocks">;
}

export interface VramOutcome extends ChallengeOutcome {
  deadlineMs: number;
  /** The steps the checker recomputed. */
  checkedSteps: number[];
}

/**
 * Applies the VRAM rules:
 * - no answer: TIMEOUT `NO_RESPONSE`;
 * - not exactly `steps` digests: FAIL `WRONG_DIGEST_COUNT`;
 * - `measuredMs` above vramDeadlineMs for the claimed class: TIMEOUT
 *   `DEADLINE_EXCEEDED` (too slow to be reading the blocks from memory, or
 *   loaded in this run);
 * - step 0 or any of the vramSampleCount sampled steps whose digest differs
 *   from keccak256(nonce_t ‖ block) with the block regenerated by the
 *   checker: FAIL `WRONG_DIGEST`.
 */
export function verifyVram(input: VerifyVramInput): VramOutcome {
  const { request, response } = input;
  checkVramRequest(request);
  checkDuration("measuredMs", input.measuredMs);
  const deadlineMs = vramDeadlineMs(input.classId, request.blockSize, request.steps, input.networkRttMs);
  const reasons: Reason[] = [];
  if (response === null) {
    reasons.push({ code: ReasonCode.NO_RESPONSE, message: "no VramResponse arrived" });
    return { result: combineResults(reasons), reasons, deadlineMs, checkedSteps: [] };
  }
  if (!Array.isArray(response.digests) || response.digests.length !== request.steps) {
    reasons.push({
      code: ReasonCode.WRONG_DIGEST_COUNT,
      message: `asked for a walk of ${request.steps} steps, got ${response.digests?.length ?? 0} digests`,
    });
    return { result: combineResults(reasons), reasons, deadlineMs, checkedSteps: [] };
  }
  if (input.measuredMs > deadlineMs) {
    reasons.push({
      code: ReasonCode.DEADLINE_EXCEEDED,
      message: `walk answered after ${input.measuredMs.toFixed(1)} ms, the ${gpuClass(input.classId).id} deadline is ${deadlineMs.toFixed(1)} ms`,
    });
  }
  const digests = response.digests.map((d) => bytes32(d, "digest"));
  // Step 0 is always checked: it is the only step that depends on this run's
  // fresh nonce. Without it a provider could replay one walk computed from a
  // nonce of its own choosing (its later steps chain consistently) to every
  // checker, and be caught only when step 0 happened to be sampled.
  const sampled = sampleSteps(
    input.randomness,
    response.digests,
    vramSampleCount(request.steps, input.params.vramSampledBlocks),
  );
  const checkedSteps = [0, ...sampled.filter((t) => t !== 0)];
  // Each distinct block is regenerated once, into the one scratch, and its steps checked before the
  // next; the reasons keep the order of checkedSteps.
  const nonce0 = bytes32(request.nonce, "nonce");
  const nonces = checkedSteps.map((t) => (t === 0 ? nonce0 : (digests[t - 1] as Uint8Array)));
  const indices = nonces.map((nonce) => vramStepIndex(nonce, request.blockCount));
  const wrong: (Reason | undefined)[] = [];
  for (const index of new Set(indices)) {
    const block = regenerateVramBlock(request.seed, index, request.blockSize);
    indices.forEach((stepIndex, i) => {
      if (stepIndex !== index) return;
      const t = checkedSteps[i] as number;
      const expected = vramStepDigest(nonces[i] as Uint8Array, block);
      const got = digests[t] as Uint8Array;
      let same = true;
      for (let k = 0; k < 32; k++) if (got[k] !== expected[k]) same = false;
      if (!same) {
        wrong[i] = {
          code: ReasonCode.WRONG_DIGEST,
          message: `step ${t} (block ${index}) digest ${bytesToHex(got)}, expected ${bytesToHex(expected)}`,
        };
      }
    });
  }
  for (const reason of wrong) if (reason) reasons.push(reason);
  return {
    result: combineResults(reasons),
    reasons,
    deadlineMs,
    checkedSteps,
  };
}

export function checkVramRequest(request: VramRequest): void {
  bytes32(request.seed, "seed");
  bytes32(request.nonce, "nonce");
  checkBlockSize(request.blockSize);
  checkInteger("blockCount", request.blockCount, 1, 0xffff_ffff);
  checkInteger("steps", request.steps, 1, VRAM_MAX_STEPS);
}

/** VramRequest: `abi.encode((bytes32 seed, uint32 blockSize, uint32 blockCount, bytes32 nonce, uint16 steps))`, 160 bytes. */
export const vramRequestCodec = defineCodec({
  name: "VramRequest",
  maxBytes: 160,
  abi: [
    {
      type: "tuple",
      components: [
        { name: "seed", type: "bytes32" },
        { name: "blockSize", type: "uint32" },
        { name: "blockCount", type: "uint32" },
        { name: "nonce", type: "bytes32" },
        { name: "steps", type: "uint16" },
      ],
    },
  ] as const,
  toAbi: (r: VramRequest) => [r] as const,
  fromAbi: ([f]) => {
    checkRange("VramRequest", "blockSize", f.blockSize, 32, VRAM_MAX_BLOCK_SIZE);
    checkRange("VramRequest", "blockSize % 32", f.blockSize % 32, 0, 0);
    checkRange("VramRequest", "blockCount", f.blockCount, 1, 0xffff_ffff);
    checkRange("VramRequest", "steps", f.steps, 1, VRAM_MAX_STEPS);
    return { seed: f.seed, blockSize: f.blockSize, blockCount: f.blockCount, nonce: f.nonce, steps: f.steps };
  },
});

/** VramResponse: `abi.encode((bytes32[] digests))`, 1 to VRAM_MAX_STEPS digests. */
export const vramResponseCodec = defineCodec({
  name: "VramResponse",
  maxBytes: 96 + 32 * VRAM_MAX_STEPS,
  abi: [{ type: "tuple", components: [{ name: "digests", type: "bytes32[]" }] }] as const,
  toAbi: (r: VramResponse) => [{ digests: r.digests }] as const,
  fromAbi: ([f]) => {
    checkRange("VramResponse", "digests.length", f.digests.length, 1, VRAM_MAX_STEPS);
    return { digests: [...f.digests] };
  },
});
