import type { ProtocolParams } from "../params.ts";
import { ChallengeError, ChallengeErrorCode, checkDuration, checkInteger } from "./common.ts";

/**
 * GPU classes a provider can claim, and the deadlines derived from them.
 *
 * `int8OpsPerSecond` is the datasheet's dense INT8 tensor throughput (one
 * multiply-accumulate counts as two operations, as datasheets count; the
 * "with sparsity" figures are twice these and do not apply to dense random
 * matrices). `hostBytesPerSecond` is the sequential keccak-256 rate of the
 * code that generates matrices, hashes result rows and hashes VRAM blocks;
 * see the constants below for where each figure comes from.
 */
export interface GpuClass {
  /** On-wire uint16 (MatmulRequest.classId, transcripts, registry). */
  code: number;
  id: string;
  model: string;
  vramBytes: number;
  int8OpsPerSecond: number;
  hostBytesPerSecond: number;
  /** Where the throughput figure comes from. */
  source: string;
}

const GiB = 2 ** 30;
const TOPS = 1e12;

/**
 * Host keccak rate assumed for GPU classes: 400 MB/s, a single core running a
 * native Keccak (XKCP-class code needs ~7 cycles/byte at 3 GHz for keccak-256).
 * Sequential on purpose: the VRAM walk cannot be parallelized, and matrix
 * generation plus row hashing can only go faster than this.
 */
export const NATIVE_HOST_BYTES_PER_SECOND = 400e6;

/**
 * What the JavaScript reference provider is credited with. bench/challenge.ts
 * measured 2–10·10^8 int8 MAC/s (0.4–2·10^9 ops/s) for `solveMatmul` and
 * 18–28 MB/s for @noble/hashes keccak-256 on a 2-core EPYC VM shared with
 * other jobs (load average 5–8; the spread is the load). The class takes
 * 5·10^8 ops/s, at or below the worst of those runs, and 5 MB/s of hashing:
 * a devnet provider shares its machine with six checkers, a chain and the
 * user's other work, and bench:deadlines measured a committee's six walks
 * arriving together with one core busy at p50 394 / p95 676 / max 785 ms for a
 * walk that takes 134 ms alone, so at the 10 MB/s credited before, 29-64 % of
 * such walks missed their 524 ms deadline (docs/PARAMETERS.md). The price: at
 * 5 MB/s a provider that does not store its dataset but hashes at 20+ MB/s
 * meets the walk deadline, so this class catches wrong answers, silence and
 * gross slowness, not a non-storing JavaScript provider; GPU classes keep the
 * 5.25 / 2 margin.
 */
export const CPU_REFERENCE_INT8_OPS_PER_SECOND = 5e8;
export const CPU_REFERENCE_HOST_BYTES_PER_SECOND = 5e6;

export const GPU_CLASSES: readonly GpuClass[] = Object.freeze([
  {
    code: 1,
    id: "cpu-reference",
    model: "JavaScript reference solver (devnets and tests)",
    vramBytes: 16 * 2 ** 20,
    int8OpsPerSecond: CPU_REFERENCE_INT8_OPS_PER_SECOND,
    hostBytesPerSecond: CPU_REFERENCE_HOST_BYTES_PER_SECOND,
    source: "bench/challenge.ts on this repository's reference solver, at or below its slowest measured run",
  },
  {
    code: 2,
    id: "t4",
    model: "NVIDIA T4",
    vramBytes: 16 * GiB,
    int8OpsPerSecond: 130 * TOPS,
    hostBytesPerSecond: NATIVE_HOST_BYTES_PER_SECOND,
    source: "NVIDIA T4 datasheet: 130 INT8 TOPS",
  },
  {
    code: 3,
    id: "l4",
    model: "NVIDIA L4",
    vramBytes: 24 * GiB,
    int8OpsPerSecond: 242 * TOPS,
    hostBytesPerSecond: NATIVE_HOST_BYTES_PER_SECOND,
    source: "NVIDIA L4 datasheet: 485 INT8 TOPS with sparsity, 242 dense",
  },
  {
    code: 4,
    id: "a10",
    model: "NVIDIA A10",
    vramBytes: 24 * GiB,
    int8OpsPerSecond: 250 * TOPS,
    hostBytesPerSecond: NATIVE_HOST_BYTES_PER_SECOND,
    source: "NVIDIA A10 datasheet: 250 INT8 TOPS dense (500 with sparsity)",
  },
  {
    code: 5,
    id: "rtx-3090",
    model: "NVIDIA GeForce RTX 3090",
    vramBytes: 24 * GiB,
    int8OpsPerSecond: 284 * TOPS,
    hostBytesPerSecond: NATIVE_HOST_BYTES_PER_SECOND,
    source: "NVIDIA Ampere GA102 whitepaper: 284 dense INT8 tensor TOPS (568 with sparsity)",
  },
  {
    code: 6,
    id: "rtx-4090",
    model: "NVIDIA GeForce RTX 4090",
    vramBytes: 24 * GiB,
    int8OpsPerSecond: 660.6 * TOPS,
    hostBytesPerSecond: NATIVE_HOST_BYTES_PER_SECOND,
    source: "NVIDIA Ada Lovelace whitepaper: 660.6 dense INT8 tensor TOPS (1321.2 with sparsity)",
  },
  {
    code: 7,
    id: "l40s",
    model: "NVIDIA L40S",
    vramBytes: 48 * GiB,
    int8OpsPerSecond: 733 * TOPS,
    hostBytesPerSecond: NATIVE_HOST_BYTES_PER_SECOND,
    source: "NVIDIA L40S datasheet: 1466 INT8 TOPS with sparsity, 733 dense",
  },
  {
    code: 8,
    id: "a100-80gb",
    model: "NVIDIA A100 80GB SXM",
    vramBytes: 80 * GiB,
    int8OpsPerSecond: 624 * TOPS,
    hostBytesPerSecond: NATIVE_HOST_BYTES_PER_SECOND,
    source: "NVIDIA A100 datasheet: 624 INT8 TOPS dense (1248 with sparsity)",
  },
  {
    code: 9,
    id: "h100-pcie",
    model: "NVIDIA H100 PCIe 80GB",
    vramBytes: 80 * GiB,
    int8OpsPerSecond: 1513 * TOPS,
    hostBytesPerSecond: NATIVE_HOST_BYTES_PER_SECOND,
    source: "NVIDIA H100 datasheet: 3026 INT8 TOPS with sparsity, 1513 dense",
  },
  {
    code: 10,
    id: "h100-sxm",
    model: "NVIDIA H100 SXM5 80GB",
    vramBytes: 80 * GiB,
    int8OpsPerSecond: 1979 * TOPS,
    hostBytesPerSecond: NATIVE_HOST_BYTES_PER_SECOND,
    source: "NVIDIA H100 datasheet: 3958 INT8 TOPS with sparsity, 1979 dense",
  },
  {
    code: 11,
    id: "h200-sxm",
    model: "NVIDIA H200 SXM 141GB",
    vramBytes: 141e9,
    int8OpsPerSecond: 1979 * TOPS,
    hostBytesPerSecond: NATIVE_HOST_BYTES_PER_SECOND,
    source: "NVIDIA H200 datasheet: 3958 INT8 TOPS with sparsity, 1979 dense (same die as H100 SXM)",
  },
] satisfies GpuClass[]);

export type GpuClassId = string | number;

const byId = new Map(GPU_CLASSES.map((c) => [c.id, c]));
const byCode = new Map(GPU_CLASSES.map((c) => [c.code, c]));

/** Looks a class up by id ("h100-sxm") or wire code (10). */
export function gpuClass(id: GpuClassId): GpuClass {
  const found = typeof id === "number" ? byCode.get(id) : byId.get(id);
  if (!found) {
    throw new ChallengeError(
      ChallengeErrorCode.UNKNOWN_GPU_CLASS,
      `unknown GPU class ${JSON.stringify(id)}`,
      {
        id,
        known: GPU_CLASSES.map((c) => c.id),
      },
    );
  }
  return found;
}

export function isGpuClassCode(code: number): boolean {
  return byCode.has(code);
}

/**
 * Compute slack over the datasheet rate. cuBLASLt int8 GEMMs sustain roughly
 * 60–80% of the dense peak at n ≥ 4096 and less at small n (launch and tail
 * effects), clocks drop under thermal limits, and the int32 epilogue costs
 * memory bandwidth: 4× covers all of it, while a device below a quarter of its
 * claimed class still misses the deadline.
 */
export const MATMUL_COMPUTE_SLACK = 4;

/** Slack over `hostBytesPerSecond` for generation and hashing (scheduling, GC pauses, cache misses). */
export const HOST_SLACK = 2;

/**
 * Slack over the honest VRAM walk time. Must stay well below the cost of a
 * non-storing provider, 1 + VRAM_GENERATION_COST_RATIO = 5.25 walk times.
 */
export const VRAM_HASH_SLACK = 2;

/**
 * Keccak permutations to regenerate a block per permutation to hash it:
 * generation absorbs 64 bytes (one permutation) per 32-byte word written,
 * hashing absorbs 136 bytes (keccak-256's rate) per permutation, so
 * regeneration costs 136 / 32 = 4.25× the hashing (vram.ts;
 * bench/challenge.ts measures the JavaScript ratio).
 */
export const VRAM_GENERATION_COST_RATIO = 136 / 32;

/**
 * The measured time includes the round trip (request out, answer back); we
 * allow twice the run's p50 RTT so that jitter up to a doubling of the median
 * is not mistaken for slowness.
 */
export const RTT_ALLOWANCE_FACTOR = 2;

/** Stream setup, scheduling and garbage-collection pauses on both ends, ms. */
export const FIXED_ALLOWANCE_MS = 50;

/** The network part of every deadline: RTT_ALLOWANCE_FACTOR · rtt + FIXED_ALLOWANCE_MS. */
export function networkAllowanceMs(networkRttMs: number): number {
  checkDuration("networkRttMs", networkRttMs);
  return RTT_ALLOWANCE_FACTOR * networkRttMs + FIXED_ALLOWANCE_MS;
}

/** Bytes keccak-256 absorbs per permutation (its rate): the unit of hashing work below. */
const KECCAK_RATE_BYTES = 136;

/**
 * Host work of a matmul commitment of size n, in bytes at the class's keccak
 * rate: 2n² int8 inputs generated, plus the row tree v2
 * (matmul-commitment.ts), one keccak permutation per node: n·⌈n/8⌉ chunk
 * leaves (37 bytes each) and n·(⌈n/8⌉ − 1) inner nodes of the row trees, n
 * row leaves and n − 1 inner nodes on top, each counted as a full 136-byte
 * block. About 36n², where hashing C's rows flat (row tree v1) was 4n²: the
 * price of entry-level fraud proofs (fraud-proofs.md; commitRows at n = 256
 * went from 16 to 53 ms on the JavaScript reference).
 */
export function matmulHostBytes(n: number): number {
  const chunks = Math.ceil(n / 8);
  const permutations = n * chunks + n * (chunks - 1) + n + (n - 1);
  return 2 * n * n + permutations * KECCAK_RATE_BYTES;
}

/**
 * Milliseconds a provider of `classId` gets from sending the MatmulRequest to
 * receiving the MatmulCommit:
 *
 *   (2n³ / int8OpsPerSecond) · MATMUL_COMPUTE_SLACK      (the product)
 * + (matmulHostBytes(n) / hostBytesPerSecond) · HOST_SLACK   (inputs generated, the row tree v2 hashed)
 * + RTT_ALLOWANCE_FACTOR · networkRttMs + FIXED_ALLOWANCE_MS
 *
 * @example
 * matmulDeadlineMs("cpu-reference", 128, 1, DEFAULT_PARAMS) // ≈ 34 + 243 + 52 ms
 */
export function matmulDeadlineMs(
  classId: GpuClassId,
  n: number,
  networkRttMs: number,
  params: Pick<ProtocolParams, "matmulMaxSize">,
): number {
  const cls = gpuClass(classId);
  checkMatmulSize(n, params);
  const computeS = ((2 * n ** 3) / cls.int8OpsPerSecond) * MATMUL_COMPUTE_SLACK;
  const hostS = (matmulHostBytes(n) / cls.hostBytesPerSecond) * HOST_SLACK;
  return (computeS + hostS) * 1000 + networkAllowanceMs(networkRttMs);
}

/**
 * Milliseconds a provider of `classId` gets for a VRAM walk of `steps` blocks
 * of `blockSize` bytes: (steps · (32 + blockSize) / hostBytesPerSecond) ·
 * VRAM_HASH_SLACK + the network allowance.
 */
export function vramDeadlineMs(
  classId: GpuClassId,
  blockSize: number,
  steps: number,
  networkRttMs: number,
): number {
  const cls = gpuClass(classId);
  checkInteger("blockSize", blockSize, 32, 2 ** 26);
  checkInteger("steps", steps, 1, 0xffff);
  const hashS = (steps * (32 + blockSize)) / cls.hostBytesPerSecond;
  return hashS * VRAM_HASH_SLACK * 1000 + networkAllowanceMs(networkRttMs);
}

/**
 * Milliseconds a provider of `classId` that stores nothing needs for the same
 * walk: it regenerates each visited block (VRAM_GENERATION_COST_RATIO times
 * the hashing) and then hashes it. The walk catches it when this exceeds
 * vramDeadlineMs; docs/protocol/challenges.md tabulates the margin.
 */
export function vramRegenerationMs(classId: GpuClassId, blockSize: number, steps: number): number {
  const cls = gpuClass(classId);
  checkInteger("blockSize", blockSize, 32, 2 ** 26);
  checkInteger("steps", steps, 1, 0xffff);
  const hashS = (steps * (32 + blockSize)) / cls.hostBytesPerSecond;
  return hashS * (1 + VRAM_GENERATION_COST_RATIO) * 1000;
}

/**
 * Honest work a challenge asks of a provider, in seconds at its class's rate.
 * The protocol's sizes (ProtocolParams.matmulSize, vramWalkSteps) are set for
 * GPUs, where they cost milliseconds; a slow class (the CPU reference of
 * devnets and tests) gets the largest smaller workload within these budgets,
 * so that a committee's concurrent challenges fit the checking phase of a
 * seconds-long epoch. Deadlines follow the chosen size, so a slower device is
 * still caught by the same margins. VRAM gets 0.25 s (the 8-step floor on the
 * CPU reference; it was 0.5 s and 19 steps): in a 6-checker devnet on two
 * cores, two providers' walks in one epoch (12 walks, each also regenerated
 * in part by its checker) overlapped up to five at a time and stretched
 * 0.3-0.6 s walks to 1.2-1.7 s, past the 1.05 s deadline.
 */
export const CHALLENGE_WORK_TARGET_SECONDS = { matmul: 0.25, vram: 0.25 } as const;

/** Smallest sizes worth a challenge: below them the fixed network allowance dominates every deadline. */
export const MIN_MATMUL_N = 64;
export const MIN_VRAM_WALK_STEPS = 8;

export interface ChallengeSizes {
  matmulN: number;
  vramWalkSteps: number;
}

/**
 * The matmul dimension and VRAM walk length a checker asks of a provider of
 * `classId`: the protocol's sizes, shrunk (n halved, steps cut) until the
 * class's honest work fits CHALLENGE_WORK_TARGET_SECONDS. Every GPU class of
 * the table keeps the protocol's sizes.
 *
 * @example
 * challengeSizesFor("cpu-reference", DEFAULT_PARAMS) // { matmulN: 256, vramWalkSteps: 8 }
 * challengeSizesFor("h100-sxm", DEFAULT_PARAMS)      // { matmulN: 1024, vramWalkSteps: 256 }
 */
export function challengeSizesFor(
  classId: GpuClassId,
  params: Pick<ProtocolParams, "matmulSize" | "vramWalkSteps" | "vramBlockSize">,
): ChallengeSizes {
  const cls = gpuClass(classId);
  let matmulN = params.matmulSize;
  while (
    matmulN > MIN_MATMUL_N &&
    (2 * matmulN ** 3) / cls.int8OpsPerSecond > CHALLENGE_WORK_TARGET_SECONDS.matmul
  ) {
    matmulN = Math.max(MIN_MATMUL_N, Math.floor(matmulN / 2));
  }
  const affordableSteps = Math.floor(
    (CHALLENGE_WORK_TARGET_SECONDS.vram * cls.hostBytesPerSecond) / (32 + params.vramBlockSize),
  );
  const vramWalkSteps = Math.min(params.vramWalkSteps, Math.max(MIN_VRAM_WALK_STEPS, affordableSteps));
  return { matmulN, vramWalkSteps };
}

export function checkMatmulSize(n: number, params: Pick<ProtocolParams, "matmulMaxSize">): void {
  if (!Number.isSafeInteger(n) || n < 1 || n > params.matmulMaxSize) {
    throw new ChallengeError(
      ChallengeErrorCode.SIZE_OUT_OF_RANGE,
      `matmul n must be an integer in [1, ${params.matmulMaxSize}]`,
      { n: String(n), max: params.matmulMaxSize },
    );
  }
}
