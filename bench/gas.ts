/**
 * Gas of one epoch's on-chain work: `EpochReports.submitReport` for 10, 100,
 * 1,000 and 10,000 providers and report committees of 4, 16 and 64 co-signing
 * seats, next to a naive design in which every attestation goes on-chain
 * (contracts/bench/NaiveAttestations.sol: each attestation's BLS signature is
 * verified and its result stored), measured on the same in-process Hardhat
 * network (EDR).
 *
 * Reports are real: Merkle trees of P result and P + S reward leaves built by
 * packages/protocol, a header signed by every seat of the epoch's committee
 * with real BLS keys, the second report of the deployment (so first-write
 * costs of the contract's counters are not counted).
 *
 * The naive design posts P × 8 attestations per epoch (8 = the expected
 * committee size per provider, params.committeeSize). It is measured for 10
 * providers (80 attestations, in transactions below the 2^24 per-transaction
 * gas cap of the Osaka rules EDR runs); larger epochs would need more gas than
 * a block holds (60M on this network), so their cost is the measured cost per
 * attestation times the attestations, and the table says "extrapolated".
 *
 *   npm run bench:gas   (writes bench/results/gas.json)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { network } from "hardhat";
import {
  type Account,
  type Address,
  bytesToHex,
  type Chain,
  getAddress,
  getContract,
  type Hex,
  hexToBigInt,
  keccak256,
  numberToBytes,
  type PublicClient,
  type TestClient,
  type Transport,
  toHex,
  type WalletClient,
} from "viem";
import { deployAll } from "../packages/contracts/src/deploy.ts";
import {
  checkerLicenseAbi,
  checkerRegistryAbi,
  epochReportsAbi,
  naiveAttestationsAbi,
  naiveAttestationsBytecode,
  providerRegistryAbi,
  rewardsAbi,
  rewardTokenAbi,
  slashingAbi,
} from "../packages/contracts/src/generated/index.ts";
import { recheckSigningRoot } from "../packages/contracts/src/recheck.ts";
import { CURVE_ORDER } from "../packages/protocol/src/bls/constants.ts";
import { g1ToEip2537, g2ToEip2537 } from "../packages/protocol/src/bls/eip2537.ts";
import { loadBlsBackend } from "../packages/protocol/src/bls/index.ts";
import { proveKeyPossession } from "../packages/protocol/src/bls/pop.ts";
import { attestationSigningRoot } from "../packages/protocol/src/encoding/attestation.ts";
import { reportSigningRoot } from "../packages/protocol/src/encoding/report.ts";
import { Beneficiary, type ResultLeaf, type RewardLeaf } from "../packages/protocol/src/merkle/leaves.ts";
import {
  buildResultsTree,
  buildRewardsTree,
  resultProof,
  rewardProof,
} from "../packages/protocol/src/merkle/trees.ts";
import { DEFAULT_PARAMS } from "../packages/protocol/src/params.ts";
import type { Attestation, NetworkDomain, ReportHeader } from "../packages/protocol/src/types.ts";

const PROVIDER_COUNTS = [10, 100, 1_000, 10_000];
const SIGNER_COUNTS = [4, 16, 64];
const ATTESTATIONS_PER_PROVIDER = DEFAULT_PARAMS.committeeSize;
/** Naive submissions are split into transactions of this many attestations (about 14M gas, under the 2^24 cap). */
const NAIVE_BATCH = 64;
const EPOCH_SECONDS = 100n;

type Wallet = WalletClient<Transport, Chain, Account>;

const bls = await loadBlsBackend("auto");
const connection = await network.connect();
const publicClient = (await connection.viem.getPublicClient()) as PublicClient;
const testClient = (await connection.viem.getTestClient()) as unknown as TestClient;
const wallets = (await connection.viem.getWalletClients()) as Wallet[];
const deployer = wallets[0]!;

async function wallet(i: number): Promise<Wallet> {
  if (i + 1 < wallets.length) return wallets[i + 1]!;
  const address = getAddress(`0x${keccak256(toHex(`bench-operator-${i}`)).slice(26)}`);
  await testClient.impersonateAccount({ address });
  await testClient.setBalance({ address, value: 10n ** 24n });
  return (await connection.viem.getWalletClient(address)) as Wallet;
}

function secretKey(label: string): Uint8Array {
  return numberToBytes((hexToBigInt(keccak256(toHex(label))) % (CURVE_ORDER - 1n)) + 1n, { size: 32 });
}

async function mined(hash: Promise<Hex>) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
  if (receipt.status !== "success") throw new Error(`transaction ${receipt.transactionHash} reverted`);
  return receipt;
}

async function setTime(timestamp: bigint) {
  await testClient.setNextBlockTimestamp({ timestamp });
  await testClient.mine({ blocks: 1 });
}

function randomAddress(i: number): Address {
  return getAddress(`0x${keccak256(toHex(`provider-${i}`)).slice(26)}`);
}

/** One epoch's trees for `providers` providers and `licenses` licenses, as the aggregator would build them. */
function epochTrees(
  providers: number,
  licenses: number,
  epoch: bigint,
  extraResults: ResultLeaf[] = [],
  extraRewards: RewardLeaf[] = [],
) {
  const results: ResultLeaf[] = [...extraResults];
  const rewards: RewardLeaf[] = [...extraRewards];
  for (let i = 0; i < providers; i++) {
    const provider = randomAddress(i + Number(epoch) * 1_000_000);
    const fail = i % 10 === 0;
    results.push({
      provider,
      verdict: fail ? 1 : 0,
      scoreBps: fail ? 0 : 9_000 + (i % 1_000),
      medianLatencyUs: 20_000 + i,
      attestations: ATTESTATIONS_PER_PROVIDER,
      failures: fail ? ATTESTATIONS_PER_PROVIDER : 0,
      slashAmount: fail ? 100n * 10n ** 18n : 0n,
      accusers: fail ? [randomAddress(-1 - i)] : [],
    });
    if (!fail)
      rewards.push({ beneficiary: Beneficiary.PROVIDER, id: hexToBigInt(provider), amount: 10n ** 18n });
  }
  for (let id = 1; id <= licenses; id++)
    rewards.push({ beneficiary: Beneficiary.LICENSE, id: BigInt(id), amount: 10n ** 17n });
  const total = rewards.reduce((sum, leaf) => sum + leaf.amount, 0n);
  return { results: buildResultsTree(results), rewards: buildRewardsTree(rewards), total };
}

interface ReportRow {
  providers: number;
  signers: number;
  gas: bigint;
}

/** submitReport gas for every provider count with a committee of `signers` seats, all signing. */
async function measureReports(signers: number) {
  const now = (await publicClient.getBlock()).timestamp;
  const deployment = await deployAll(deployer, publicClient, {
    genesisTime: now,
    epochSeconds: EPOCH_SECONDS,
    reportCommitteeSize: signers,
    epochRewardBudget: 10n ** 30n,
  });
  const domain: NetworkDomain = {
    chainId: BigInt(deployment.chainId),
    verifyingContract: deployment.contracts.epochReports,
  };
  const client = { public: publicClient, wallet: deployer };
  const reports = getContract({ address: deployment.contracts.epochReports, abi: epochReportsAbi, client });
  const license = getContract({
    address: deployment.contracts.checkerLicense,
    abi: checkerLicenseAbi,
    client,
  });

  // One operator per seat, each with one license: the committee's seats are drawn from `signers` licenses.
  const keys = new Map<string, Uint8Array>();
  const setupGas = { register: 0n, delegate: 0n };
  await mined(license.write.mintBatch([deployer.account.address, BigInt(signers)]));
  for (let i = 0; i < signers; i++) {
    const operator = await wallet(i);
    const address = getAddress(operator.account.address);
    const sk = secretKey(`bench-${signers}-${i}`);
    const pk = bls.publicKey(sk);
    const pop = proveKeyPossession(bls, sk, domain, address);
    const registry = getContract({
      address: deployment.contracts.checkerRegistry,
      abi: checkerRegistryAbi,
      client: { public: publicClient, wallet: operator },
    });
    const registered = await mined(
      registry.write.register([bytesToHex(g1ToEip2537(pk)), bytesToHex(g2ToEip2537(pop)), "0x00240801"]),
    );
    const delegated = await mined(license.write.delegate([BigInt(i + 1), address]));
    setupGas.register = registered.gasUsed;
    setupGas.delegate = delegated.gasUsed;
    keys.set(address.toLowerCase(), sk);
  }

  const submit = async (header: ReportHeader) => {
    const operators = await reports.read.reportCommittee([header.epoch]);
    const message = reportSigningRoot(header, domain);
    const bySigner = new Map<string, Uint8Array>();
    const signatures = operators.map((op) => {
      const key = op.toLowerCase();
      let signature = bySigner.get(key);
      if (signature === undefined) {
        signature = bls.sign(keys.get(key)!, message);
        bySigner.set(key, signature);
      }
      return signature;
    });
    const aggregate = bytesToHex(g2ToEip2537(bls.aggregateSignatures(signatures)));
    const bitfield = (1n << BigInt(operators.length)) - 1n;
    return mined(reports.write.submitReport([header, bitfield, aggregate]));
  };
  const headerOf = async (epoch: bigint, providers: number): Promise<ReportHeader> => {
    const trees = epochTrees(providers, signers, epoch);
    return {
      epoch,
      seed: await reports.read.seedOf([epoch]),
      resultsRoot: trees.results.root as Hex,
      rewardsRoot: trees.rewards.root as Hex,
      totalRewards: trees.total,
      providerCount: providers,
      attestationCount: providers * ATTESTATIONS_PER_PROVIDER,
    };
  };

  // Warm-up: the first report pays for first writes of the contract's counters.
  const first = await reports.read.currentEpoch();
  await submit(await headerOf(first, 10));
  await setTime(deployment.genesisTime + first * EPOCH_SECONDS + 1n);
  const rows: ReportRow[] = [];
  for (const providers of PROVIDER_COUNTS) {
    const snapshot = await testClient.snapshot();
    const receipt = await submit(await headerOf(first + 1n, providers));
    rows.push({ providers, signers, gas: receipt.gasUsed });
    await testClient.revert({ id: snapshot });
  }
  return { rows, deployment, domain, keys, setupGas, epoch: first + 1n, submit, headerOf };
}

type ReportContext = Awaited<ReturnType<typeof measureReports>>;

/**
 * Gas of the other operations, on the deployment of `ctx` (its epoch has not
 * been reported yet): provider registration and staking, claims and slashes
 * against a 10,000-provider epoch, a contest and its re-check.
 */
async function measureOperations(ctx: ReportContext) {
  const { deployment, keys } = ctx;
  const c = deployment.contracts;
  const as = (w: Wallet) => {
    const client = { public: publicClient, wallet: w };
    return {
      providers: getContract({ address: c.providerRegistry, abi: providerRegistryAbi, client }),
      token: getContract({ address: c.rewardToken, abi: rewardTokenAbi, client }),
      slashing: getContract({ address: c.slashing, abi: slashingAbi, client }),
      rewards: getContract({ address: c.rewards, abi: rewardsAbi, client }),
    };
  };
  const [honest, faulty, lazy] = [wallets[17]!, wallets[18]!, wallets[19]!];
  const gas: Record<string, bigint> = { "CheckerRegistry.register (with PoP check)": ctx.setupGas.register };
  gas["CheckerLicense.delegate"] = ctx.setupGas.delegate;
  for (const [i, w] of [honest, faulty, lazy].entries()) {
    const register = await mined(
      as(w).providers.write.register(["0x00240801", "H100-SXM", 81_920, "eu-west"]),
    );
    await mined(as(deployer).token.write.transfer([w.account.address, 2_000n * 10n ** 18n]));
    await mined(as(w).token.write.approve([c.providerRegistry, 2n ** 255n]));
    await mined(as(w).token.write.approve([c.slashing, 2n ** 255n]));
    const stake = await mined(as(w).providers.write.stake([1_000n * 10n ** 18n]));
    if (i === 0) {
      gas["ProviderRegistry.register"] = register.gasUsed;
      gas["ProviderRegistry.stake"] = stake.gasUsed;
    }
  }
  const accusers = [...keys.keys()].slice(0, 3).map((a) => getAddress(a));
  const fail = (provider: Address): ResultLeaf => ({
    provider,
    verdict: 1,
    scoreBps: 0,
    medianLatencyUs: 300_000,
    attestations: 8,
    failures: 8,
    slashAmount: 100n * 10n ** 18n,
    accusers,
  });
  const extra: ResultLeaf[] = [
    {
      ...fail(getAddress(honest.account.address)),
      verdict: 0,
      scoreBps: 9_800,
      failures: 0,
      slashAmount: 0n,
      accusers: [],
    },
    fail(getAddress(faulty.account.address)),
    fail(getAddress(lazy.account.address)),
  ];
  const honestReward: RewardLeaf = {
    beneficiary: Beneficiary.PROVIDER,
    id: hexToBigInt(honest.account.address),
    amount: 10n ** 18n,
  };
  const trees = epochTrees(10_000, keys.size, ctx.epoch, extra, [honestReward]);
  const header: ReportHeader = {
    epoch: ctx.epoch,
    seed: await getContract({
      address: c.epochReports,
      abi: epochReportsAbi,
      client: publicClient,
    }).read.seedOf([ctx.epoch]),
    resultsRoot: trees.results.root as Hex,
    rewardsRoot: trees.rewards.root as Hex,
    totalRewards: trees.total,
    providerCount: 10_003,
    attestationCount: 80_024,
  };
  await ctx.submit(header);
  const claim = await mined(
    as(honest).rewards.write.claim([
      ctx.epoch,
      honestReward,
      rewardProof(trees.rewards, honestReward.beneficiary, honestReward.id),
    ]),
  );
  gas["Rewards.claim (10,000-provider tree)"] = claim.gasUsed;
  const lazyLeaf = extra[2]!;
  const open = await mined(
    as(deployer).slashing.write.openSlash([
      ctx.epoch,
      lazyLeaf,
      resultProof(trees.results, lazyLeaf.provider),
    ]),
  );
  gas["Slashing.openSlash (10,000-provider tree)"] = open.gasUsed;
  const faultyLeaf = extra[1]!;
  const contest = await mined(
    as(faulty).slashing.write.contest([
      ctx.epoch,
      faultyLeaf,
      resultProof(trees.results, faultyLeaf.provider),
    ]),
  );
  gas["Slashing.contest (opens, bond, 3 accusers)"] = contest.gasUsed;
  const slashId = await as(faulty).slashing.read.slashIdOf([ctx.epoch, faultyLeaf.provider]);
  const record = await as(faulty).slashing.read.slashOf([slashId]);
  await setTime(deployment.genesisTime + (record.recheckEpoch - 1n) * EPOCH_SECONDS + 1n);
  const recheck = {
    slashId,
    provider: faultyLeaf.provider,
    accusedEpoch: ctx.epoch,
    recheckEpoch: record.recheckEpoch,
    verdict: 0,
    attestations: 16,
    failures: 0,
    evidenceRoot: keccak256(toHex("evidence")),
  };
  const seats = await as(faulty).slashing.read.recheckCommittee([slashId]);
  const message = recheckSigningRoot(
    recheck,
    await getContract({
      address: c.epochReports,
      abi: epochReportsAbi,
      client: publicClient,
    }).read.domainSeparator(),
  );
  const signature = bytesToHex(
    g2ToEip2537(bls.aggregateSignatures(seats.map((op) => bls.sign(keys.get(op.toLowerCase())!, message)))),
  );
  const resolved = await mined(
    as(deployer).slashing.write.submitRecheck([recheck, (1n << BigInt(seats.length)) - 1n, signature]),
  );
  gas[`Slashing.submitRecheck (${seats.length} seats, PASS: refund + 3 jailed)`] = resolved.gasUsed;
  await setTime(deployment.genesisTime + (ctx.epoch + 4n) * EPOCH_SECONDS + 1n);
  const lazyId = await as(deployer).slashing.read.slashIdOf([ctx.epoch, lazyLeaf.provider]);
  const execute = await mined(as(deployer).slashing.write.executeSlash([lazyId]));
  gas["Slashing.executeSlash"] = execute.gasUsed;
  return gas;
}

/** Gas per attestation of the naive design, from one epoch of 10 providers actually submitted. */
async function measureNaive(verifyingContract: Address) {
  const hash = await deployer.deployContract({
    abi: naiveAttestationsAbi,
    bytecode: naiveAttestationsBytecode,
    args: [verifyingContract],
  });
  const address = (await publicClient.waitForTransactionReceipt({ hash })).contractAddress!;
  const domain: NetworkDomain = { chainId: BigInt(await publicClient.getChainId()), verifyingContract };
  const checkers: { address: Address; sk: Uint8Array }[] = [];
  for (let i = 0; i < ATTESTATIONS_PER_PROVIDER; i++) {
    const w = await wallet(i);
    const sk = secretKey(`naive-${i}`);
    const naive = getContract({
      address,
      abi: naiveAttestationsAbi,
      client: { public: publicClient, wallet: w },
    });
    await mined(naive.write.registerKey([bytesToHex(g1ToEip2537(bls.publicKey(sk)))]));
    checkers.push({ address: getAddress(w.account.address), sk });
  }
  const naive = getContract({
    address,
    abi: naiveAttestationsAbi,
    client: { public: publicClient, wallet: deployer },
  });
  const providers = PROVIDER_COUNTS[0]!;
  const all: { attestation: Attestation; signature: Hex }[] = [];
  for (let p = 0; p < providers; p++) {
    for (const checker of checkers) {
      const attestation: Attestation = {
        epoch: 1n,
        provider: randomAddress(p),
        checker: checker.address,
        kind: 0,
        result: 0,
        latencyP50Us: 20_000,
        latencyP95Us: 30_000,
        throughput: 0n,
        transcriptHash: keccak256(toHex(`transcript-${p}-${checker.address}`)),
      };
      const signature = bytesToHex(
        g2ToEip2537(bls.sign(checker.sk, attestationSigningRoot(attestation, domain))),
      );
      all.push({ attestation, signature });
    }
  }
  let gas = 0n;
  let transactions = 0;
  for (let i = 0; i < all.length; i += NAIVE_BATCH) {
    const batch = all.slice(i, i + NAIVE_BATCH);
    const receipt = await mined(
      naive.write.submitAttestations([batch.map((b) => b.attestation), batch.map((b) => b.signature)], {
        gas: 16_000_000n,
      }),
    );
    gas += receipt.gasUsed;
    transactions++;
  }
  return { providers, attestations: all.length, gas, transactions, perAttestation: gas / BigInt(all.length) };
}

const block = await publicClient.getBlock();
const started = performance.now();
const reportRows: ReportRow[] = [];
let verifyingContract: Address | undefined;
let operations: Record<string, bigint> = {};
for (const signers of SIGNER_COUNTS) {
  const ctx = await measureReports(signers);
  reportRows.push(...ctx.rows);
  verifyingContract ??= ctx.deployment.contracts.epochReports;
  if (signers === DEFAULT_PARAMS.reportCommitteeSize) operations = await measureOperations(ctx);
}
const naive = await measureNaive(verifyingContract!);

const naiveGas = (providers: number) => {
  if (providers === naive.providers) return { gas: naive.gas, measured: true };
  return { gas: naive.perAttestation * BigInt(providers * ATTESTATIONS_PER_PROVIDER), measured: false };
};
const table = reportRows.map((row) => {
  const n = naiveGas(row.providers);
  return {
    providers: row.providers,
    signers: row.signers,
    submitReportGas: row.gas,
    naiveGas: n.gas,
    naiveMeasured: n.measured,
    naiveBlocks: Number((n.gas + block.gasLimit - 1n) / block.gasLimit),
    ratio: Number(n.gas) / Number(row.gas),
  };
});

const fmt = (n: bigint) => n.toLocaleString("en-US");
console.log(
  `submitReport vs. every attestation on-chain (${ATTESTATIONS_PER_PROVIDER} attestations per provider), block gas limit ${fmt(block.gasLimit)}`,
);
console.log("");
console.log("| providers | signers | submitReport gas | naive gas | naive | naive blocks | naive / report |");
console.log("|---:|---:|---:|---:|:---|---:|---:|");
for (const r of table) {
  console.log(
    `| ${r.providers.toLocaleString("en-US")} | ${r.signers} | ${fmt(r.submitReportGas)} | ${fmt(r.naiveGas)} | ${r.naiveMeasured ? "measured" : "extrapolated"} | ${r.naiveBlocks.toLocaleString("en-US")} | ${r.ratio.toFixed(r.ratio < 10 ? 1 : 0)}× |`,
  );
}
console.log("");
console.log(
  `naive: ${naive.attestations} attestations of ${naive.providers} providers measured in ${naive.transactions} transactions: ${fmt(naive.gas)} gas, ${fmt(naive.perAttestation)} per attestation; larger epochs exceed the ${fmt(block.gasLimit)} block gas limit and are extrapolated linearly`,
);
console.log("");
console.log(`other operations (report committee of ${DEFAULT_PARAMS.reportCommitteeSize} seats):`);
console.log("");
console.log("| operation | gas |");
console.log("|:---|---:|");
for (const [name, value] of Object.entries(operations)) console.log(`| ${name} | ${fmt(value)} |`);
console.log("");
const perSeat = (s: number) => reportRows.find((r) => r.signers === s && r.providers === 10)!.gas;
console.log(
  `report gas per extra co-signing seat: ${fmt((perSeat(64) - perSeat(16)) / 48n)} (16 → 64 seats); provider count changes only calldata`,
);

const out = {
  bench: "gas",
  description:
    "submitReport gas (one aggregate BLS signature, Merkle roots) vs. a naive design posting every attestation on-chain with its BLS signature verified, on Hardhat's in-process EDR network",
  network: {
    hardfork: "EDR default (osaka)",
    blockGasLimit: block.gasLimit.toString(),
    transactionGasCap: (1n << 24n).toString(),
  },
  attestationsPerProvider: ATTESTATIONS_PER_PROVIDER,
  naive: {
    measuredProviders: naive.providers,
    attestations: naive.attestations,
    transactions: naive.transactions,
    gas: naive.gas.toString(),
    gasPerAttestation: naive.perAttestation.toString(),
    extrapolation:
      "linear in attestations beyond the measured epoch (those epochs exceed the block gas limit)",
  },
  operations: Object.fromEntries(Object.entries(operations).map(([k, v]) => [k, v.toString()])),
  rows: table.map((r) => ({
    ...r,
    submitReportGas: r.submitReportGas.toString(),
    naiveGas: r.naiveGas.toString(),
    ratio: Number(r.ratio.toFixed(1)),
  })),
  machine: {
    platform: `${os.platform()} ${os.arch()}`,
    cpus: os.cpus().length,
    node: process.version,
    bls: bls.name,
  },
  elapsedSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
};
mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
writeFileSync(new URL("./results/gas.json", import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
console.log("wrote bench/results/gas.json");
process.exit(0);
