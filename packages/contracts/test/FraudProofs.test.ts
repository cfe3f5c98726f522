import { challenges } from "@checkernet/protocol";
import { matmulColumnB, matmulEntry, matmulRowA } from "@checkernet/protocol/challenges/matmul";
import { type AnswerDomain, signAnswerKey } from "@checkernet/protocol/fraud/answerSigning";
import {
  decodeMatmulFraudProof,
  FRAUD_PROOF_MAX_MATMUL_SIZE,
  type MatmulFraudProof,
} from "@checkernet/protocol/fraud/matmulFraud";
import { DEFAULT_PARAMS } from "@checkernet/protocol/params";
import {
  type Address,
  bytesToHex,
  concatHex,
  getAddress,
  getContract,
  getContractAddress,
  type Hex,
  keccak256,
  parseEventLogs,
  toFunctionSelector,
  toHex,
  zeroAddress,
} from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import {
  fraudProofsAbi,
  fraudProofsBytecode,
  matmulEntryMockAbi,
  matmulEntryMockBytecode,
  providerRegistryAbi,
  providerRegistryBytecode,
  rewardTokenAbi,
  rewardTokenBytecode,
} from "../src/generated/index.ts";
import { connectChain, expectRevert, isolateTests, mined, type TestChain } from "./helpers/chain.ts";
import {
  deployFixture,
  type Fixture,
  goToEpoch,
  type Provider,
  setupProvider,
  TOKEN,
} from "./helpers/fixture.ts";
import { answerKeyOf, faultyRun, proofOf, proveAnswerKey } from "./helpers/fraud.ts";
import { readVectors } from "./helpers/vectors.ts";

const seedOf = (label: string): Hex => keccak256(toHex(`fraud seed ${label}`));

describe("MatmulEntry (Solidity) equals packages/protocol's streams and product", () => {
  let chain: TestChain;
  let mock: ReturnType<typeof mockAt>;
  const mockAt = (address: Address) =>
    getContract({ address, abi: matmulEntryMockAbi, client: { public: chain.publicClient } });

  beforeAll(async () => {
    chain = await connectChain();
    const hash = await chain.wallets[0]!.deployContract({
      abi: matmulEntryMockAbi,
      bytecode: matmulEntryMockBytecode,
    });
    const receipt = await mined(chain, hash);
    mock = mockAt(receipt.contractAddress!);
  });

  it("derives the keys and int8 streams of prng.ts", async () => {
    for (const [label, index, length] of [
      ["matmul.a", 0, 1],
      ["matmul.a", 7, 33],
      ["matmul.bt", 4095, 64],
      ["matmul.bt", 0xffff_ffff, 13],
    ] as const) {
      const seed = seedOf(`${label}/${index}`);
      expect(await mock.read.deriveKey([seed, label, BigInt(index)])).toBe(
        bytesToHex(challenges.deriveKey(seed, label, index)),
      );
      expect(await mock.read.int8Stream([seed, label, BigInt(index), BigInt(length)])).toBe(
        bytesToHex(new Uint8Array(challenges.int8Stream(seed, label, index, length).buffer)),
      );
    }
  });

  it("computes C[i][j] = Σ_k A[i][k]·B[k][j] for every n mod 8 and up to n = 8192", async () => {
    const sizes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 33, 100, 255, 1000, 1024, 4093, 4096, 8192];
    for (const [s, n] of sizes.entries()) {
      const seed = seedOf(`entry ${s}`);
      // Corners and a spread of indices, some past 2^8 and 2^16 so the uint32be index bytes all matter.
      const picks = [
        [0, 0],
        [n - 1, n - 1],
        [(7 * s + 3) % n, (11 * s + 5) % n],
      ];
      for (const [i, j] of picks as [number, number][]) {
        const [value] = await mock.read.entry([seed, BigInt(n), BigInt(i), BigInt(j)]);
        expect(value, `n=${n} i=${i} j=${j}`).toBe(BigInt(matmulEntry(seed, n, i, j)));
      }
    }
    // The reference itself, spelled out once: row i of A and column j of B.
    const seed = seedOf("spelled out");
    const a = matmulRowA(seed, 50, 3);
    const b = matmulColumnB(seed, 50, 4);
    const sum = a.reduce((acc, x, k) => acc + x * (b[k] as number), 0);
    expect((await mock.read.entry([seed, 50n, 3n, 4n]))[0]).toBe(BigInt(sum));
  });

  it("is exact at the extremes of int8 products (the all-zero-state fallback and large sums included)", async () => {
    // Many seeds at a small n exercise sign handling and the tail correction; the sums stay exact.
    for (let s = 0; s < 24; s++) {
      const seed = seedOf(`many ${s}`);
      const n = 1 + ((s * 37) % 70);
      const [value] = await mock.read.entry([seed, BigInt(n), BigInt(s % n), BigInt((s * 5) % n)]);
      expect(value).toBe(BigInt(matmulEntry(seed, n, s % n, (s * 5) % n)));
    }
  });
});

describe("FraudProofs", () => {
  let chain: TestChain;
  let fx: Fixture;
  let provider: Provider;
  let domain: AnswerDomain;
  const key1 = answerKeyOf("provider key 1");
  const key2 = answerKeyOf("provider key 2");
  const checker = () => getAddress(chain.wallets[6]!.account.address);
  const frontRunner = () => chain.wallets[7]!;
  const fraud = () =>
    getContract({
      address: fx.deployment.contracts.fraudProofs,
      abi: fraudProofsAbi,
      client: { public: chain.publicClient, wallet: frontRunner() },
    });
  const stake = 1_000n * TOKEN;

  /** A wrong entry (i, j) of a size-n run of `epoch`, signed by `key`. */
  function wrongEntry(epoch: bigint, key: Hex, n = 64, i = 5, j = 17, delta = 1) {
    const run = faultyRun(
      key,
      domain,
      {
        epoch,
        provider: provider.address,
        checker: checker(),
        seed: seedOf(`run ${epoch}/${n}`),
        classId: 1,
        n,
      },
      i,
      j,
      delta,
    );
    return { run, proof: proofOf(run, i, j) };
  }

  const submit = (proof: MatmulFraudProof) => fraud().write.submitMatmulFraudProof([proof]);

  beforeAll(async () => {
    chain = await connectChain();
    fx = await deployFixture(chain);
    domain = {
      chainId: BigInt(fx.deployment.chainId),
      verifyingContract: fx.deployment.contracts.providerRegistry,
    };
    provider = await setupProvider(fx, chain.wallets[5]!, stake);
    // Set in epoch 0 (before genesis): the key signs from epoch 1.
    await mined(
      chain,
      fx
        .as(provider.wallet)
        .providers.write.setAnswerKey([
          key1.address,
          proveAnswerKey(key1.privateKey, provider.address, domain),
        ]),
    );
    await goToEpoch(fx, 1n);
  });
  isolateTests(() => chain);

  describe("answer keys", () => {
    it("sets a key with its proof of possession, effective after the activation delay, and keeps its history", async () => {
      expect(await fx.c.providers.read.answerKeyAt([provider.address, 0n])).toBe(zeroAddress);
      expect(await fx.c.providers.read.answerKeyAt([provider.address, 1n])).toBe(key1.address);
      const receipt = await mined(
        chain,
        fx
          .as(provider.wallet)
          .providers.write.setAnswerKey([
            key2.address,
            proveAnswerKey(key2.privateKey, provider.address, domain),
          ]),
      );
      const [event] = parseEventLogs({
        abi: fx.c.providers.abi,
        logs: receipt.logs,
        eventName: "AnswerKeySet",
      });
      // Epoch 1 + activation delay 2.
      expect(event?.args).toEqual({
        provider: provider.address,
        answerKey: key2.address,
        effectiveEpoch: 3n,
      });
      expect(await fx.c.providers.read.answerKeyAt([provider.address, 2n])).toBe(key1.address);
      expect(await fx.c.providers.read.answerKeyAt([provider.address, 3n])).toBe(key2.address);
      expect(await fx.c.providers.read.answerKeyAt([provider.address, 2n ** 64n - 1n])).toBe(key2.address);
      expect(await fx.c.providers.read.latestAnswerKey([provider.address])).toEqual([key2.address, 3n]);
      await goToEpoch(fx, 9n);
      expect(await fx.c.providers.read.answerKeyAt([provider.address, 1n])).toBe(key1.address);
    });

    it("refuses a key without a valid proof of possession", async () => {
      const own = fx.as(provider.wallet).providers;
      // Signed by another key than the one registered.
      await expectRevert(
        own.write.setAnswerKey([
          key2.address,
          signAnswerKey(key1.privateKey, domain, { provider: provider.address, answerKey: key2.address }),
        ]),
        "ProviderRegistryInvalidAnswerKeyProof",
        [key2.address, key1.address],
      );
      // The key's proof for another provider (a key cannot be claimed by copying someone's registration).
      const other = getAddress(chain.wallets[8]!.account.address);
      const forOther = proveAnswerKey(key2.privateKey, other, domain);
      await expectRevert(
        own.write.setAnswerKey([key2.address, forOther]),
        "ProviderRegistryInvalidAnswerKeyProof",
      );
      // Signed for another verifying contract.
      const elsewhere = proveAnswerKey(key2.privateKey, provider.address, {
        ...domain,
        verifyingContract: other,
      });
      await expectRevert(
        own.write.setAnswerKey([key2.address, elsewhere]),
        "ProviderRegistryInvalidAnswerKeyProof",
      );
      // Malformed.
      await expectRevert(
        own.write.setAnswerKey([key2.address, "0x1234"]),
        "ProviderRegistryInvalidAnswerKeyProof",
        [key2.address, zeroAddress],
      );
      // Only registered providers.
      await expectRevert(
        fx.as(chain.wallets[8]!).providers.write.setAnswerKey([key2.address, forOther]),
        "ProviderRegistryNotRegistered",
      );
      expect(await fx.c.providers.read.latestAnswerKey([provider.address])).toEqual([key1.address, 1n]);
    });
  });

  describe("submitMatmulFraudProof", () => {
    it("bounds n as the protocol's verifier does, and every in-protocol challenge fits", async () => {
      expect(await fx.c.fraudProofs.read.MAX_MATMUL_SIZE()).toBe(FRAUD_PROOF_MAX_MATMUL_SIZE);
      expect(DEFAULT_PARAMS.matmulMaxSize).toBeLessThanOrEqual(FRAUD_PROOF_MAX_MATMUL_SIZE);
    });

    it("slashes at once and pays the bounty to the commitment's checker, not to the sender", async () => {
      const { proof } = wrongEntry(1n, key1.privateKey);
      const supply = await fx.c.token.read.totalSupply();
      const receipt = await mined(chain, submit(proof));
      const slashed = (stake * 1_000n) / 10_000n;
      const bounty = slashed / 2n;
      expect(await fx.c.providers.read.stakeOf([provider.address])).toBe(stake - slashed);
      expect(await fx.c.token.read.balanceOf([checker()])).toBe(bounty);
      expect(await fx.c.token.read.balanceOf([frontRunner().account.address])).toBe(0n);
      expect(await fx.c.token.read.totalSupply()).toBe(supply - (slashed - bounty));
      const [event] = parseEventLogs({
        abi: fraudProofsAbi,
        logs: receipt.logs,
        eventName: "MatmulFraudProven",
      });
      expect(event?.args).toMatchObject({
        provider: provider.address,
        epoch: 1n,
        checker: checker(),
        i: 5,
        j: 17,
        slashed,
        bounty,
        submitter: getAddress(frontRunner().account.address),
      });
      expect((event?.args.claimed ?? 0n) - (event?.args.actual ?? 0n)).toBe(1n);
      expect(await fraud().read.isFraudSlashed([provider.address, 1n])).toBe(true);
      // No pending slash: the provider can still unstake and withdraw the rest later.
      expect(await fx.c.slashing.read.pendingSlashCount([provider.address])).toBe(0n);
    });

    it("slashes once per provider and epoch (the same proof or another)", async () => {
      const { proof } = wrongEntry(1n, key1.privateKey);
      await mined(chain, submit(proof));
      await expectRevert(submit(proof), "FraudProofsAlreadySlashed", [provider.address, 1n]);
      const other = wrongEntry(1n, key1.privateKey, 32, 2, 3, -5).proof;
      await expectRevert(submit(other), "FraudProofsAlreadySlashed", [provider.address, 1n]);
    });

    it("refuses a forged signature, and a commitment whose checker was rewritten", async () => {
      const forger = answerKeyOf("forger");
      const { proof } = wrongEntry(1n, forger.privateKey);
      await expectRevert(submit(proof), "FraudProofsInvalidSignature", [forger.address, key1.address]);
      const honest = wrongEntry(1n, key1.privateKey).proof;
      // A front-runner naming itself to take the bounty breaks the signature.
      const rewritten = { ...honest, checker: getAddress(frontRunner().account.address) };
      await expectRevert(submit(rewritten), "FraudProofsInvalidSignature");
      await expectRevert(submit({ ...honest, signature: "0x00" }), "FraudProofsInvalidSignature", [
        zeroAddress,
        key1.address,
      ]);
    });

    it("checks the key of the commitment's epoch across a rotation", async () => {
      await mined(
        chain,
        fx
          .as(provider.wallet)
          .providers.write.setAnswerKey([
            key2.address,
            proveAnswerKey(key2.privateKey, provider.address, domain),
          ]),
      );
      // key2 signs from epoch 3: a key2 commitment for epoch 2 is not the provider's.
      await goToEpoch(fx, 2n);
      await expectRevert(submit(wrongEntry(2n, key2.privateKey).proof), "FraudProofsInvalidSignature", [
        key2.address,
        key1.address,
      ]);
      await goToEpoch(fx, 3n);
      await expectRevert(submit(wrongEntry(3n, key1.privateKey).proof), "FraudProofsInvalidSignature", [
        key1.address,
        key2.address,
      ]);
      // The old key still answers for its epochs: rotating cannot disown a signed commitment.
      await mined(chain, submit(wrongEntry(2n, key1.privateKey).proof));
      await mined(chain, submit(wrongEntry(3n, key2.privateKey).proof));
    });

    it("refuses a provider without an answer key", async () => {
      const keyless = await setupProvider(fx, chain.wallets[9]!, stake);
      const run = faultyRun(
        key1.privateKey,
        domain,
        {
          epoch: 1n,
          provider: keyless.address,
          checker: checker(),
          seed: seedOf("keyless"),
          classId: 1,
          n: 16,
        },
        1,
        2,
      );
      await expectRevert(submit(proofOf(run, 1, 2)), "FraudProofsNoAnswerKey", [keyless.address, 1n]);
    });

    it("refuses a wrong chunk path and a chunk moved to another row or column", async () => {
      const { run, proof } = wrongEntry(1n, key1.privateKey);
      const tampered = [...proof.chunkProof];
      tampered[0] = keccak256(tampered[0]!);
      await expectRevert(submit({ ...proof, chunkProof: tampered }), "FraudProofsInvalidPath");
      const rowTampered = [...proof.rowProof];
      rowTampered[rowTampered.length - 1] = keccak256(rowTampered.at(-1)!);
      await expectRevert(submit({ ...proof, rowProof: rowTampered }), "FraudProofsInvalidPath");
      // Row 6 holds the same values in this run, but row 5's leaf carries its index: the path does not fit row 6.
      await expectRevert(submit({ ...proof, i: 6 }), "FraudProofsInvalidPath");
      // Chunk 2 presented as chunk 3 (columns 24..31).
      await expectRevert(submit({ ...proof, j: 25 }), "FraudProofsInvalidPath");
      // Row 6's own opening is a valid proof of the same wrong entry.
      expect(proofOf(run, 6, 17).rowProof).not.toEqual(proof.rowProof);
      await mined(chain, submit(proofOf(run, 6, 17)));
    });

    it("refuses an honest entry", async () => {
      const { run } = wrongEntry(1n, key1.privateKey);
      // Column 16 sits in the same chunk as the wrong column 17 and is correct.
      const value = BigInt(matmulEntry(run.commitment.seed, 64, 5, 16));
      await expectRevert(submit(proofOf(run, 5, 16)), "FraudProofsHonestEntry", [5, 16, value]);
      await expectRevert(
        submit(wrongEntry(1n, key1.privateKey, 64, 5, 17, 0).proof),
        "FraudProofsHonestEntry",
      );
    });

    it("accepts epochs from current − window to current only", async () => {
      const window = await fraud().read.fraudProofWindowEpochs();
      expect(window).toBe(4n);
      await expectRevert(submit(wrongEntry(2n, key1.privateKey).proof), "FraudProofsEpochOutOfWindow", [
        2n,
        1n,
        window,
      ]);
      await goToEpoch(fx, 1n + window + 1n);
      await expectRevert(submit(wrongEntry(1n, key1.privateKey).proof), "FraudProofsEpochOutOfWindow", [
        1n,
        1n + window + 1n,
        window,
      ]);
      await mined(chain, submit(wrongEntry(2n, key1.privateKey).proof));
    });

    it("refuses sizes above 8192, indices outside n and over-long paths", async () => {
      const { proof } = wrongEntry(1n, key1.privateKey);
      await expectRevert(submit({ ...proof, n: 0 }), "FraudProofsInvalidSize", [0]);
      await expectRevert(submit({ ...proof, n: 8193 }), "FraudProofsInvalidSize", [8193]);
      await expectRevert(submit({ ...proof, i: 64 }), "FraudProofsIndexOutOfRange", [64, 17, 64]);
      await expectRevert(submit({ ...proof, j: 64 }), "FraudProofsIndexOutOfRange", [5, 64, 64]);
      // 64 columns: 8 chunks, 3 levels; 64 rows, 6 levels.
      await expectRevert(
        submit({ ...proof, chunkProof: [...proof.chunkProof, proof.root] }),
        "FraudProofsPathTooLong",
        [4n, 6n],
      );
      await expectRevert(
        submit({ ...proof, rowProof: [...proof.rowProof, proof.root] }),
        "FraudProofsPathTooLong",
      );
    });

    it("costs under 1,000,000 gas at n = 4096", async () => {
      for (const [k, n] of [1024, 4096].entries()) {
        await goToEpoch(fx, 2n + BigInt(k));
        const { proof } = wrongEntry(2n + BigInt(k), key1.privateKey, n, n - 3, n - 2);
        const receipt = await mined(chain, submit(proof));
        console.log(`FraudProofs.submitMatmulFraudProof at n = ${n}: ${receipt.gasUsed} gas`);
        expect(receipt.gasUsed).toBeLessThan(1_000_000n);
      }
    });
  });
});

interface FraudVectors {
  domain: { chainId: number; verifyingContract: Address };
  domainSeparator: Hex;
  answerKey: { privateKey: Hex; address: Address };
  matmul: {
    name: string;
    seed: Hex;
    n: number;
    i: number;
    j: number;
    epoch: number;
    provider: Address;
    digest: Hex;
    encoded: Hex;
    claimedEntry: number;
    recomputedEntry: number;
    valid: boolean;
    reason: string | null;
  }[];
}

/** The error FraudProofs reverts with for each rejection reason of the protocol's verifier. */
const REVERT_OF_REASON: Record<string, string> = {
  HONEST_ENTRY: "FraudProofsHonestEntry",
  ROOT_MISMATCH: "FraudProofsInvalidPath",
  WRONG_SIGNATURE: "FraudProofsInvalidSignature",
  BAD_CHUNK_PATH: "FraudProofsPathTooLong",
  BAD_ROW_PATH: "FraudProofsPathTooLong",
  OUT_OF_RANGE: "FraudProofsIndexOutOfRange",
};

/**
 * packages/protocol/test/vectors/fraud-proofs.json, verified by the contract: its domain names the first
 * contract of Hardhat's first account, so ProviderRegistry is deployed first here (then FraudProofs, then
 * the token) on a fresh chain, and the vectors' provider (Hardhat's second account) registers their key.
 */
describe("fraud-proofs.json vectors on chain", () => {
  const vectors = readVectors<FraudVectors>("fraud-proofs.json");
  let chain: TestChain;
  let fraud: ReturnType<typeof fraudAt>;
  const fraudAt = (address: Address) =>
    getContract({
      address,
      abi: fraudProofsAbi,
      client: { public: chain.publicClient, wallet: chain.wallets[3]! },
    });

  beforeAll(async () => {
    chain = await connectChain();
    const deployer = chain.wallets[0]!;
    const from = deployer.account.address;
    const nonce = await chain.publicClient.getTransactionCount({ address: from });
    expect(nonce).toBe(0);
    const at = (k: number) => getContractAddress({ from, nonce: BigInt(k) });
    const now = (await chain.publicClient.getBlock()).timestamp;
    const genesis = now + 1_000n;
    const deployed = async (hash: Promise<Hex>) => (await mined(chain, hash)).contractAddress!;
    const registry = await deployed(
      deployer.deployContract({
        abi: providerRegistryAbi,
        bytecode: providerRegistryBytecode,
        // Slashing is never called here: any address stands in.
        args: [genesis, 100n, at(2), chain.wallets[19]!.account.address, at(1), 0n, 20n, 2n],
      }),
    );
    expect(getAddress(registry)).toBe(getAddress(vectors.domain.verifyingContract));
    // Slashing stand-in: code that returns 32 zero bytes to any call (executedSlashIdOf: no executed slash).
    const slashingStub = getAddress("0x00000000000000000000000000000000005714b5");
    await chain.testClient.setCode({ address: slashingStub, bytecode: "0x60206000f3" });
    fraud = fraudAt(
      await deployed(
        deployer.deployContract({
          abi: fraudProofsAbi,
          bytecode: fraudProofsBytecode,
          args: [genesis, 100n, registry, slashingStub, 10n, 1_000n, 5_000n],
        }),
      ),
    );
    const token = await deployed(
      deployer.deployContract({
        abi: rewardTokenAbi,
        bytecode: rewardTokenBytecode,
        args: [from, from, 10n ** 24n],
      }),
    );
    const provider = chain.wallets[1]!;
    expect(getAddress(provider.account.address)).toBe(getAddress(vectors.matmul[0]!.provider));
    const client = { public: chain.publicClient, wallet: provider };
    const providers = getContract({ address: registry, abi: providerRegistryAbi, client });
    await mined(chain, providers.write.register(["0x01", "H100-SXM", 81_920, "eu-west"]));
    await mined(
      chain,
      getContract({
        address: token,
        abi: rewardTokenAbi,
        client: { public: chain.publicClient, wallet: deployer },
      }).write.transfer([provider.account.address, 1_000n * TOKEN]),
    );
    await mined(
      chain,
      getContract({ address: token, abi: rewardTokenAbi, client }).write.approve([registry, 1_000n * TOKEN]),
    );
    await mined(chain, providers.write.stake([1_000n * TOKEN]));
    const domain = { chainId: BigInt(vectors.domain.chainId), verifyingContract: registry };
    await mined(
      chain,
      providers.write.setAnswerKey([
        vectors.answerKey.address,
        proveAnswerKey(vectors.answerKey.privateKey, provider.account.address, domain),
      ]),
    );
    // Into the vectors' epoch (7); the key signs from epoch 1.
    await chain.testClient.setNextBlockTimestamp({ timestamp: genesis + 6n * 100n + 1n });
    await chain.testClient.mine({ blocks: 1 });
  });
  isolateTests(() => chain);

  it("has the vectors' domain, digests and recomputed entries", async () => {
    expect(await chain.publicClient.getChainId()).toBe(vectors.domain.chainId);
    for (const v of vectors.matmul) {
      const p = decodeMatmulFraudProof(v.encoded);
      expect(
        await fraud.read.matmulCommitmentDigest([
          p.epoch,
          p.provider,
          p.checker,
          p.seed,
          p.classId,
          p.n,
          p.root,
        ]),
        v.name,
      ).toBe(v.digest);
      expect(await fraud.read.matmulEntry([v.seed, v.n, v.i, v.j]), v.name).toBe(BigInt(v.recomputedEntry));
    }
  });

  it("accepts the valid proofs and rejects the others with the error of their reason", async () => {
    const selector = toFunctionSelector(
      fraudProofsAbi.find((item) => item.type === "function" && item.name === "submitMatmulFraudProof")!,
    );
    for (const v of vectors.matmul) {
      const proof = decodeMatmulFraudProof(v.encoded);
      if (v.valid) {
        const { result } = await fraud.simulate.submitMatmulFraudProof([proof]);
        expect(result, v.name).toEqual([100n * TOKEN, 50n * TOKEN]);
        // The encoding is the calldata: selector ‖ encoded, sent as it is.
        await chain.publicClient.call({ to: fraud.address, data: concatHex([selector, v.encoded]) });
      } else {
        await expectRevert(fraud.simulate.submitMatmulFraudProof([proof]), REVERT_OF_REASON[v.reason!]!);
      }
    }
    const valid = vectors.matmul.find((v) => v.valid)!;
    await mined(chain, fraud.write.submitMatmulFraudProof([decodeMatmulFraudProof(valid.encoded)]));
    await expectRevert(
      fraud.simulate.submitMatmulFraudProof([decodeMatmulFraudProof(valid.encoded)]),
      "FraudProofsAlreadySlashed",
    );
  });
});
