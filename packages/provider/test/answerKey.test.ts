import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { providerRegistryAbi } from "@checkernet/contracts/generated/index";
import { gpuClass } from "@checkernet/protocol/challenges/gpu-classes";
import {
  matmulCommitCodec,
  matmulOpenCodec,
  matmulRequestCodec,
  matmulRowsCodec,
  sampleRows,
} from "@checkernet/protocol/challenges/matmul";
import { commitmentSignatureReason } from "@checkernet/protocol/challenges/matmul-signature";
import {
  RUN_SIGNATURE_BYTES,
  runSignatureReason,
  runSignedMessages,
  runSignRequestCodec,
} from "@checkernet/protocol/challenges/run-signature";
import { runSeeds, TranscriptMessageType as T } from "@checkernet/protocol/challenges/transcript";
import { FrameType } from "@checkernet/wire";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Libp2p } from "@libp2p/interface";
import { bytesToHex, createPublicClient, createWalletClient, custom, type PublicClient } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CpuBackend } from "../src/backend/cpu.ts";
import { registerProvider } from "../src/chain/actions.ts";
import { registerAnswerKey } from "../src/chain/answerKey.ts";
import type { ProviderChain } from "../src/chain/client.ts";
import { createProviderHost } from "../src/host.ts";
import { initProviderKeys, KEY_FILE, loadProviderKeys } from "../src/keys.ts";
import { answerSigner } from "../src/serve/answerSigner.ts";
import { ChallengeServer } from "../src/serve/server.ts";
import { clientHost, hex32, silentLog, TEST_CHECKER, TestChallenge } from "./helpers.ts";
import { deployedNetwork } from "./utils/chain.ts";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "provider-answer-"));
  dirs.push(dir);
  return dir;
}

describe("the provider's answer key", () => {
  it("is made by init, kept encrypted with the other keys and reloaded", async () => {
    const dir = await tempDir();
    const made = await initProviderKeys(dir, { password: "pw" });
    expect(made.answerKey).toBe(privateKeyToAccount(made.answerPrivateKey!).address);
    const text = await readFile(join(dir, KEY_FILE), "utf8");
    expect(text).not.toContain(made.answerPrivateKey!.slice(2));
    expect(JSON.parse(text).answerKey).toBe(made.answerKey);
    const loaded = await loadProviderKeys(dir, { password: "pw" });
    expect(loaded.answerPrivateKey).toBe(made.answerPrivateKey);
    expect(loaded.answerKey).toBe(made.answerKey);
  });

  it("loads a key file made before answer keys without one", async () => {
    const dir = await tempDir();
    const made = await initProviderKeys(dir);
    const file = JSON.parse(await readFile(join(dir, KEY_FILE), "utf8"));
    delete file.answerKey;
    delete file.plain.answerKey;
    await writeFile(join(dir, KEY_FILE), JSON.stringify(file));
    const loaded = await loadProviderKeys(dir);
    expect(loaded.address).toBe(made.address);
    expect(loaded.answerPrivateKey).toBeUndefined();
  });
});

describe("signed matmul commitments over libp2p", () => {
  let provider: Libp2p;
  let backend: CpuBackend;
  let server: ChallengeServer;
  let checker: Libp2p;
  const answerPrivateKey = generatePrivateKey();
  const domain = { chainId: 31337, verifyingContract: "0x00000000000000000000000000000000000000a1" } as const;
  const providerAddress = "0x00000000000000000000000000000000000000b2" as const;

  beforeAll(async () => {
    provider = await createProviderHost({
      privateKey: await generateKeyPair("Ed25519"),
      listen: ["/ip4/127.0.0.1/tcp/0"],
    });
    backend = new CpuBackend({ workers: 1, maxVramBytes: 1 << 20 });
    await backend.warmUp();
    server = new ChallengeServer({
      host: provider,
      provider: providerAddress,
      backend,
      log: silentLog,
      answerSigner: answerSigner(answerPrivateKey, providerAddress, domain),
    });
    await server.start();
    checker = await clientHost();
  });
  afterAll(async () => {
    await server?.stop();
    await Promise.all([provider?.stop(), checker?.stop()]);
    await backend?.close();
  });

  it("signs (epoch, provider, checker, seed, class, n, root) with the answer key", async () => {
    const seed = hex32(0x5c);
    const n = 32;
    const classId = gpuClass("cpu-reference").code;
    const run = await TestChallenge.open(checker, provider.getMultiaddrs());
    const out = await run.matmul(seed, n, classId, (c) => sampleRows(hex32(1), c.root, n, 2));
    const check = {
      key: privateKeyToAccount(answerPrivateKey).address,
      domain,
      epoch: 1n,
      provider: providerAddress,
      checker: TEST_CHECKER,
    };
    const signed = { seed, n, classId, root: out.commit.root, signature: out.commit.signature ?? "0x" };
    expect(out.commit.signature).toHaveLength(132);
    expect(commitmentSignatureReason(check, signed)).toBeNull();
    expect(commitmentSignatureReason({ ...check, epoch: 2n }, signed)?.code).toBe("BAD_ANSWER_SIGNATURE");
  });

  it("signs the run (RUN_SIGN → RUN_SIGNATURE) after the rows, over the received pongs and the stream", async () => {
    const runSeed = hex32(0x3d);
    const seeds = runSeeds(runSeed);
    const n = 32;
    const classId = gpuClass("cpu-reference").code;
    const run = await TestChallenge.open(checker, provider.getMultiaddrs());
    const out = await run.matmul(seeds.matmul, n, classId, (c) => sampleRows(seeds.sample, c.root, n, 2));
    const pongs = [0, 2, 3];
    await run.send(
      FrameType.RUN_SIGN,
      runSignRequestCodec.encode({ seed: runSeed, epoch: 1n, checker: TEST_CHECKER, pongs }),
    );
    const signature = await run.expect(FrameType.RUN_SIGNATURE, 5_000);
    expect(signature).toHaveLength(RUN_SIGNATURE_BYTES);
    const request = { seed: seeds.matmul, n, classId, epoch: 1n, checker: TEST_CHECKER };
    const workload = [
      { type: T.MATMUL_REQUEST, payload: matmulRequestCodec.encode(request) },
      { type: T.MATMUL_COMMIT, payload: matmulCommitCodec.encode(out.commit) },
      { type: T.MATMUL_OPEN, payload: matmulOpenCodec(n, 2).encode({ rows: out.rows }) },
      { type: T.MATMUL_ROWS, payload: matmulRowsCodec(n, 2).encode(out.openings) },
    ];
    const check = {
      key: privateKeyToAccount(answerPrivateKey).address,
      domain,
      epoch: 1n,
      provider: providerAddress,
      checker: TEST_CHECKER,
    };
    const messages = runSignedMessages(seeds.latency, pongs, workload);
    expect(runSignatureReason(check, runSeed, messages, bytesToHex(signature))).toBeNull();
    // Another list of pongs is another answersHash.
    const other = runSignedMessages(seeds.latency, [0, 1, 2, 3], workload);
    expect(runSignatureReason(check, runSeed, other, bytesToHex(signature))?.code).toBe(
      "BAD_ANSWER_SIGNATURE",
    );
    await run.close();
  });

  it("refuses to sign a run seed that is not the stream's", async () => {
    const n = 32;
    const classId = gpuClass("cpu-reference").code;
    const run = await TestChallenge.open(checker, provider.getMultiaddrs());
    await run.matmul(hex32(0x5d), n, classId, (c) => sampleRows(hex32(1), c.root, n, 2));
    await run.send(
      FrameType.RUN_SIGN,
      runSignRequestCodec.encode({ seed: hex32(0x3e), epoch: 1n, checker: TEST_CHECKER, pongs: [] }),
    );
    await expect(run.expect(FrameType.RUN_SIGNATURE, 5_000)).rejects.toThrow(/not this run's/);
  });
});

describe("registerAnswerKey (Hardhat EDR)", () => {
  it("registers the key with its proof of possession once; answerKeyAt returns it from its epoch", async () => {
    const { connection, publicClient, deployment } = await deployedNetwork();
    const testClient = await connection.viem.getTestClient();
    const account = privateKeyToAccount(generatePrivateKey());
    await testClient.setBalance({ address: account.address, value: 10n ** 20n });
    const transport = custom(connection.provider);
    const chain: ProviderChain = {
      publicClient: createPublicClient({ transport }) as PublicClient,
      walletClient: createWalletClient({ account, transport, chain: publicClient.chain }),
      account,
      contracts: deployment.contracts,
    };
    await registerProvider(chain, {
      peerId: "12D3KooWQTo4fQQvwhKuFxsogxhvBEg49SEnabAD6ktXJnE38UeJ",
      gpuClass: "cpu-reference",
      region: "local",
    });
    const key = generatePrivateKey();
    const first = await registerAnswerKey(chain, key);
    expect(first.tx).not.toBeNull();
    expect(first.answerKey).toBe(privateKeyToAccount(key).address);
    const again = await registerAnswerKey(chain, key);
    expect(again.tx).toBeNull();
    const at = await publicClient.readContract({
      address: deployment.contracts.providerRegistry,
      abi: providerRegistryAbi,
      functionName: "answerKeyAt",
      args: [account.address, first.fromEpoch],
    });
    expect(at).toBe(first.answerKey);
  });
});
