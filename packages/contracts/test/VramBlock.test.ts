import { generateVramBlock, vramStepDigest } from "@checkernet/protocol/challenges/vram";
import { DEFAULT_PARAMS } from "@checkernet/protocol/params";
import { bytesToHex, getContract, type Hex, hexToBytes, keccak256, toHex } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { vramBlockMockAbi, vramBlockMockBytecode } from "../src/generated/index.ts";
import { connectChain, mined, type TestChain } from "./helpers/chain.ts";

/**
 * Issue 11, VRAM fraud proofs on chain: one walk step recomputed in the EVM (VramBlock.sol) equals
 * packages/protocol's generateVramBlock + vramStepDigest, and costs what docs/protocol/fraud-proofs.md
 * reports, measured here at each block size.
 */
describe("VramBlock (Solidity) equals packages/protocol's VRAM step", () => {
  let chain: TestChain;
  let mock: ReturnType<typeof mockAt>;
  const mockAt = (address: Hex) =>
    getContract({ address, abi: vramBlockMockAbi, client: { public: chain.publicClient } });
  const seed = keccak256(toHex("vram fraud seed"));
  const nonce = keccak256(toHex("vram fraud nonce"));

  beforeAll(async () => {
    chain = await connectChain();
    const hash = await chain.wallets[0]!.deployContract({
      abi: vramBlockMockAbi,
      bytecode: vramBlockMockBytecode,
    });
    mock = mockAt((await mined(chain, hash)).contractAddress!);
  });

  it("recomputes the step digest of packages/protocol for small and odd-sized blocks", async () => {
    for (const [index, blockSize] of [
      [0, 32],
      [1, 64],
      [7, 96],
      [4_294_967_295, 1_024],
      [123_456, 4_096],
    ] as const) {
      const [digest] = await mock.read.stepDigest([seed, BigInt(index), BigInt(blockSize), nonce]);
      const expected = bytesToHex(
        vramStepDigest(hexToBytes(nonce), generateVramBlock(seed, index, blockSize)),
      );
      expect(digest).toBe(expected);
    }
  });

  it("measures one step's gas by block size: the default block does not fit 1 M gas", async () => {
    const rows: { blockSize: number; gas: bigint }[] = [];
    for (const blockSize of [4_096, 16_384, 32_768, 65_536, 131_072, DEFAULT_PARAMS.vramBlockSize]) {
      // An eth_call runs under the transaction gas cap (EIP-7825, 2^24): enough up to the default block.
      const [digest, gas] = await mock.read.stepDigest([seed, 3n, BigInt(blockSize), nonce]);
      if (blockSize <= 65_536) {
        expect(digest).toBe(
          bytesToHex(vramStepDigest(hexToBytes(nonce), generateVramBlock(seed, 3, blockSize))),
        );
      }
      rows.push({ blockSize, gas });
    }
    console.log(rows.map((r) => `${r.blockSize / 1024} KiB: ${r.gas} gas`).join("\n"));
    const at = (size: number) => rows.find((r) => r.blockSize === size)!.gas;
    expect(at(DEFAULT_PARAMS.vramBlockSize)).toBeGreaterThan(1_000_000n);
  });
});
