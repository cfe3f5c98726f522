/**
 * The VRAM block chain (vram.ts, generateVramBlockInto: word_j = keccak256(word_{j−1} ‖ word_{r_j})) run
 * in one WebAssembly function, the whole block in its memory: Keccak-f[1600] on native 64-bit lanes
 * (i64.rotl), where JavaScript holds each lane as two 32-bit halves, and no call across the boundary per
 * word. The module is emitted below as bytes (no toolchain, no dependency) and byte for byte the same
 * chain as the JavaScript one (vram-wasm.test.ts compares them). A checker regenerates up to 17 blocks
 * of 256 KiB per VRAM run in its evaluator thread, the largest part of its CPU at 100 providers
 * (docs/footprint.md).
 */
import { KECCAK_ROUND_CONSTANTS } from "./keccak-block.ts";

/** Where the block (or a sponge's input) starts in the module's memory; the round constants and a digest sit before it. */
const BLOCK_BASE = 256;
/** Where the sponge leaves its digest (the 24 round constants take bytes 0-191). */
const DIGEST_AT = 192;
/** Keccak-256's rate in bytes. */
const RATE = 136;
const PAGE = 65_536;

/** Lane rotation offsets of ρ, lane x + 5y. */
const RHO = [0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14];

const OP = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  get: 0x20,
  set: 0x21,
  tee: 0x22,
  i32Load: 0x28,
  i64Load: 0x29,
  i64Store: 0x37,
  i32Const: 0x41,
  i64Const: 0x42,
  i32Eqz: 0x45,
  i32LtU: 0x49,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32RemU: 0x70,
  i32Shl: 0x74,
  i64And: 0x83,
  i64Xor: 0x85,
  i64Rotl: 0x89,
} as const;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = Number(n & 0x7fn);
    n >>= 7n;
    if ((n === 0n && (byte & 0x40) === 0) || (n === -1n && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** Bytecode of one function body, with its locals: 0-1 parameters, 2-5 i32, then lanes a, c, d, b (i64). */
function emitter() {
  const code: number[] = [];
  const emit = (...bytes: number[]) => code.push(...bytes);
  const e = {
    code,
    emit,
    a: (i: number) => 6 + i,
    get: (l: number) => emit(OP.get, l),
    set: (l: number) => emit(OP.set, l),
    i32: (n: number) => emit(OP.i32Const, ...sleb(BigInt(n))),
    i64: (n: bigint) => emit(OP.i64Const, ...sleb(n)),
    /** Keccak-f[1600] on the lanes a, its round counter in local `round`, the constants at address round·8. */
    permute(round: number) {
      const { a, get, set, i32, i64 } = e;
      const c = (x: number) => 31 + x;
      const d = (x: number) => 36 + x;
      const b = (i: number) => 41 + i;
      i32(0);
      set(round);
      emit(OP.loop, 0x40);
      // θ
      for (let x = 0; x < 5; x++) {
        get(a(x));
        for (let y = 1; y < 5; y++) {
          get(a(x + 5 * y));
          emit(OP.i64Xor);
        }
        set(c(x));
      }
      for (let x = 0; x < 5; x++) {
        get(c((x + 4) % 5));
        get(c((x + 1) % 5));
        i64(1n);
        emit(OP.i64Rotl, OP.i64Xor);
        set(d(x));
      }
      // θ applied, then ρ and π: B[y, 2x + 3y] = rotl(A[x, y], RHO)
      for (let x = 0; x < 5; x++) {
        for (let y = 0; y < 5; y++) {
          const i = x + 5 * y;
          get(a(i));
          get(d(x));
          emit(OP.i64Xor);
          if (RHO[i] !== 0) {
            i64(BigInt(RHO[i] as number));
            emit(OP.i64Rotl);
          }
          set(b(y + 5 * ((2 * x + 3 * y) % 5)));
        }
      }
      // χ
      for (let y = 0; y < 5; y++) {
        for (let x = 0; x < 5; x++) {
          get(b(((x + 1) % 5) + 5 * y));
          i64(-1n);
          emit(OP.i64Xor);
          get(b(((x + 2) % 5) + 5 * y));
          emit(OP.i64And);
          get(b(x + 5 * y));
          emit(OP.i64Xor);
          set(a(x + 5 * y));
        }
      }
      // ι: the round constant from the table at address round·8
      get(a(0));
      get(round);
      i32(3);
      emit(OP.i32Shl, OP.i64Load, 3, 0, OP.i64Xor);
      set(a(0));
      get(round);
      i32(1);
      emit(OP.i32Add, OP.tee, round);
      i32(24);
      emit(OP.i32LtU, OP.brIf, 0, OP.end);
    },
    /** The function body: locals declared, code, end. */
    body(): number[] {
      const locals = [2, ...uleb(4), 0x7f, ...uleb(60), 0x7e];
      const body = [...locals, ...code, OP.end];
      return [...uleb(body.length), ...body];
    },
  };
  return e;
}

/** chain(words, base): word_j for 1 ≤ j < words, in place, the block at `base` with word_0 already there. */
function chainBody(): number[] {
  const [words, base, j, prev, r, round] = [0, 1, 2, 3, 4, 5];
  const e = emitter();
  const { emit, a, get, set, i32, i64 } = e;
  i32(1);
  set(j);
  emit(OP.block, 0x40, OP.loop, 0x40);
  get(j);
  get(words);
  emit(OP.i32GeU, OP.brIf, 1);
  // prev = base + (j − 1)·32; r = base + (uint32le(word_{j−1}) mod j)·32
  get(base);
  get(j);
  i32(1);
  emit(OP.i32Sub);
  i32(5);
  emit(OP.i32Shl, OP.i32Add);
  set(prev);
  get(base);
  get(prev);
  emit(OP.i32Load, 2, 0);
  get(j);
  emit(OP.i32RemU);
  i32(5);
  emit(OP.i32Shl, OP.i32Add);
  set(r);
  // The 64-byte input in lanes 0-7, the pad bits in lanes 8 and 16, the rest zero.
  for (let k = 0; k < 4; k++) {
    get(prev);
    emit(OP.i64Load, 3, ...uleb(8 * k));
    set(a(k));
    get(r);
    emit(OP.i64Load, 3, ...uleb(8 * k));
    set(a(4 + k));
  }
  for (let i = 8; i < 25; i++) {
    i64(i === 8 ? 1n : i === 16 ? -(1n << 63n) : 0n);
    set(a(i));
  }
  e.permute(round);
  // word_j = the first 32 bytes of the state, at base + j·32
  get(base);
  get(j);
  i32(5);
  emit(OP.i32Shl, OP.i32Add);
  set(prev);
  storeDigest(e, prev);
  get(j);
  i32(1);
  emit(OP.i32Add);
  set(j);
  emit(OP.br, 0, OP.end, OP.end);
  return e.body();
}

/** The first 32 bytes of the state (a digest) to the address in local `at`. */
function storeDigest(e: ReturnType<typeof emitter>, at: number): void {
  for (let k = 0; k < 4; k++) {
    e.get(at);
    e.get(e.a(k));
    e.emit(OP.i64Store, 3, ...uleb(8 * k));
  }
}

/** sponge(input, blocks): keccak256 of `blocks` padded rate blocks (136 bytes) at `input`, the digest to DIGEST_AT. */
function spongeBody(): number[] {
  const [input, blocks, at, , , round] = [0, 1, 2, 3, 4, 5];
  const e = emitter();
  const { emit, a, get, set, i32, i64 } = e;
  for (let i = 0; i < 25; i++) {
    i64(0n);
    set(a(i));
  }
  emit(OP.block, 0x40, OP.loop, 0x40);
  get(blocks);
  emit(OP.i32Eqz, OP.brIf, 1);
  for (let k = 0; k < RATE / 8; k++) {
    get(a(k));
    get(input);
    emit(OP.i64Load, 3, ...uleb(8 * k), OP.i64Xor);
    set(a(k));
  }
  e.permute(round);
  get(input);
  i32(RATE);
  emit(OP.i32Add);
  set(input);
  get(blocks);
  i32(1);
  emit(OP.i32Sub);
  set(blocks);
  emit(OP.br, 0, OP.end, OP.end);
  i32(DIGEST_AT);
  set(at);
  storeDigest(e, at);
  return e.body();
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function moduleBytes(): Uint8Array {
  const name = (s: string) => [...uleb(s.length), ...[...s].map((ch) => ch.charCodeAt(0))];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 2, 0x7f, 0x7f, 0]),
    ...section(3, [2, 0, 0]),
    ...section(5, [1, 0x00, 1]),
    ...section(7, [3, ...name("chain"), 0x00, 0, ...name("sponge"), 0x00, 1, ...name("memory"), 0x02, 0]),
    ...section(10, [2, ...chainBody(), ...spongeBody()]),
  ]);
}

interface ChainModule {
  chain: (words: number, base: number) => void;
  sponge: (input: number, blocks: number) => void;
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
}

/** The part of the WebAssembly global used here (the protocol package is built without DOM or Node types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}

let loaded: ChainModule | null | undefined;

/** This thread's instance, compiled on first use; null where WebAssembly is not there (the JavaScript chain then). */
function chainModule(): ChainModule | null {
  if (loaded !== undefined) return loaded;
  try {
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (wasm === undefined) throw new Error("no WebAssembly");
    const instance = new wasm.Instance(new wasm.Module(moduleBytes()));
    const m = instance.exports as unknown as ChainModule;
    const table = new DataView(m.memory.buffer, 0, 24 * 8);
    for (const [i, rc] of KECCAK_ROUND_CONSTANTS.entries()) table.setBigUint64(i * 8, rc, true);
    loaded = m;
  } catch {
    loaded = null;
  }
  return loaded;
}

/**
 * Runs the chain over out[0, blockSize) whose first word is set: word_j for 1 ≤ j < blockSize / 32.
 * Returns false (out untouched) where WebAssembly is not available.
 */
export function vramChainWasm(out: Uint8Array, blockSize: number): boolean {
  const m = chainModule();
  if (m === null) return false;
  reserve(m, blockSize);
  const mem = new Uint8Array(m.memory.buffer, BLOCK_BASE, blockSize);
  mem.set(out.subarray(0, 32), 0);
  m.chain(blockSize / 32, BLOCK_BASE);
  out.set(mem, 0);
  return true;
}

/** Grows the module's memory to hold `bytes` from BLOCK_BASE. */
function reserve(m: ChainModule, bytes: number): void {
  const need = BLOCK_BASE + bytes;
  if (m.memory.buffer.byteLength < need) m.memory.grow(Math.ceil((need - m.memory.buffer.byteLength) / PAGE));
}

/**
 * keccak256 of `parts` concatenated, written to out[outOffset, outOffset + 32), in the module: the parts
 * copied in and padded there, every permutation in one call. A VRAM step digest hashes a 32-byte nonce and
 * a 256 KiB block (1,928 permutations; 17 per check). Returns false (out untouched) without WebAssembly.
 */
export function keccakWasm(parts: readonly Uint8Array[], out: Uint8Array, outOffset: number): boolean {
  const m = chainModule();
  if (m === null) return false;
  let length = 0;
  for (const p of parts) length += p.length;
  const padded = (Math.floor(length / RATE) + 1) * RATE;
  reserve(m, padded);
  const mem = new Uint8Array(m.memory.buffer);
  let at = BLOCK_BASE;
  for (const p of parts) {
    mem.set(p, at);
    at += p.length;
  }
  mem.fill(0, at, BLOCK_BASE + padded);
  mem[at] = 0x01;
  mem[BLOCK_BASE + padded - 1] = (mem[BLOCK_BASE + padded - 1] as number) | 0x80;
  m.sponge(BLOCK_BASE, padded / RATE);
  out.set(mem.subarray(DIGEST_AT, DIGEST_AT + 32), outOffset);
  return true;
}
