import { CURVE_ORDER } from "@checkernet/protocol/bls/constants";
import { type BlsBackend, g1ToEip2537, g2ToEip2537, loadBlsBackend } from "@checkernet/protocol/bls/index";
import { proveKeyPossession } from "@checkernet/protocol/bls/pop";
import { reportSigningRoot } from "@checkernet/protocol/encoding/report";
import type { ResultLeaf, RewardLeaf } from "@checkernet/protocol/merkle/leaves";
import {
  buildResultsTree,
  buildRewardsTree,
  EMPTY_ROOT,
  type ResultsTree,
  type RewardsTree,
  resultProof,
} from "@checkernet/protocol/merkle/trees";
import type { NetworkDomain, ReportHeader } from "@checkernet/protocol/types";
import {
  type Address,
  bytesToHex,
  getAddress,
  getContract,
  type Hex,
  hexToBigInt,
  hexToBytes,
  keccak256,
  numberToBytes,
  toHex,
  zeroHash,
} from "viem";
import { type Deployment, type DeployOptions, deployAll } from "../../src/deploy.ts";
import {
  checkerLicenseAbi,
  checkerRegistryAbi,
  epochReportsAbi,
  fraudProofsAbi,
  providerRegistryAbi,
  rewardsAbi,
  rewardTokenAbi,
  slashingAbi,
} from "../../src/generated/index.ts";
import { type RecheckHeader, recheckSigningRoot } from "../../src/recheck.ts";
import { connectChain, mined, setTime, type TestChain, type Wallet } from "./chain.ts";

/** One BLS backend for all tests: blst when it loads (about 25× faster), noble otherwise. */
let backend: Promise<BlsBackend> | undefined;
export function bls(): Promise<BlsBackend> {
  backend ??= loadBlsBackend("auto");
  return backend;
}

export interface CheckerKey {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
  /** 128-byte EIP-2537 form, as registered. */
  publicKeyEip2537: Hex;
}

/** A deterministic BLS key per label. */
export async function checkerKey(label: string): Promise<CheckerKey> {
  const scalar = (hexToBigInt(keccak256(toHex(`bls:${label}`))) % (CURVE_ORDER - 1n)) + 1n;
  const secretKey = numberToBytes(scalar, { size: 32 });
  const publicKey = (await bls()).publicKey(secretKey);
  return { secretKey, publicKey, publicKeyEip2537: bytesToHex(g1ToEip2537(publicKey)) };
}

export function contractsFor(chain: TestChain, deployment: Deployment, wallet: Wallet) {
  const client = { public: chain.publicClient, wallet };
  const c = deployment.contracts;
  return {
    reports: getContract({ address: c.epochReports, abi: epochReportsAbi, client }),
    token: getContract({ address: c.rewardToken, abi: rewardTokenAbi, client }),
    registry: getContract({ address: c.checkerRegistry, abi: checkerRegistryAbi, client }),
    license: getContract({ address: c.checkerLicense, abi: checkerLicenseAbi, client }),
    providers: getContract({ address: c.providerRegistry, abi: providerRegistryAbi, client }),
    slashing: getContract({ address: c.slashing, abi: slashingAbi, client }),
    rewards: getContract({ address: c.rewards, abi: rewardsAbi, client }),
    fraudProofs: getContract({ address: c.fraudProofs, abi: fraudProofsAbi, client }),
  };
}

type Contracts = ReturnType<typeof contractsFor>;

export interface Checker {
  wallet: Wallet;
  address: Address;
  key: CheckerKey;
  licenses: bigint[];
}

export interface Fixture {
  chain: TestChain;
  deployment: Deployment;
  domain: NetworkDomain;
  /** Contracts as the deployer (owner of the licenses and of the initial supply). */
  c: Contracts;
  as(wallet: Wallet): Contracts;
  /** Key of each registered operator, by lowercase address. */
  keys: Map<string, CheckerKey>;
}

const TEST_EPOCH_SECONDS = 100n;

/**
 * Test defaults: genesis `GENESIS_EPOCHS_AHEAD` epochs ahead, so that a test's setup (registrations,
 * delegations) lands in epoch 0 and forms the launch set of epoch 1; a small committee (16 seats, two
 * thirds; re-checks 32), one epoch per committee period, the smallest activation delay (2) and reports accepted from an
 * epoch's first second. Tests of those rules pass their own values.
 */
const TEST_DEPLOY_DEFAULTS: DeployOptions = {
  reportCommitteeSize: 16,
  reportQuorumBps: 6_667,
  recheckCommitteeSize: 32,
  // Re-checks land in the re-check epoch itself; test/attacks/windows.test.ts covers longer windows.
  recheckWindowEpochs: 1n,
  committeePeriodEpochs: 1n,
  activationDelayEpochs: 2n,
  reportDelaySeconds: 0n,
  // A fixed genesis seed: every committee a test draws is the same on every run.
  genesisSeed: keccak256(toHex("checkernet test genesis")),
};

const GENESIS_EPOCHS_AHEAD = 10n;

/** Deploys everything with genesis ahead (see TEST_DEPLOY_DEFAULTS); epoch 0 is running. */
export async function deployFixture(chain: TestChain, options: DeployOptions = {}): Promise<Fixture> {
  const deployer = chain.wallets[0]!;
  const now = (await chain.publicClient.getBlock()).timestamp;
  const epochSeconds = options.epochSeconds ?? TEST_EPOCH_SECONDS;
  const deployment = await deployAll(deployer, chain.publicClient, {
    ...TEST_DEPLOY_DEFAULTS,
    epochSeconds,
    genesisTime: now + GENESIS_EPOCHS_AHEAD * epochSeconds,
    ...options,
  });
  return {
    chain,
    deployment,
    domain: { chainId: BigInt(deployment.chainId), verifyingContract: deployment.contracts.epochReports },
    c: contractsFor(chain, deployment, deployer),
    as: (wallet) => contractsFor(chain, deployment, wallet),
    keys: new Map(),
  };
}

/** A libp2p-like peer id (identity multihash prefix + 32 bytes), deterministic per label. */
export function peerIdOf(label: string): Hex {
  return `0x00240801122${keccak256(toHex(`peer:${label}`)).slice(3)}` as Hex;
}

/** Registers `wallet` as an operator with a real key and proof of possession. */
export async function registerChecker(fx: Fixture, wallet: Wallet, label: string): Promise<Checker> {
  const key = await checkerKey(label);
  const address = getAddress(wallet.account.address);
  const pop = proveKeyPossession(await bls(), key.secretKey, fx.domain, address);
  await mined(
    fx.chain,
    fx
      .as(wallet)
      .registry.write.register([key.publicKeyEip2537, bytesToHex(g2ToEip2537(pop)), peerIdOf(label)]),
  );
  fx.keys.set(address.toLowerCase(), key);
  return { wallet, address, key, licenses: [] };
}

/** Mints `count` licenses to the checker itself and delegates them to it. */
export async function giveLicenses(fx: Fixture, checker: Checker, count: number): Promise<void> {
  const first = (await fx.c.license.read.totalSupply()) + 1n;
  await mined(fx.chain, fx.c.license.write.mintBatch([checker.address, BigInt(count)]));
  const own = fx.as(checker.wallet).license;
  for (let i = 0n; i < BigInt(count); i++) {
    await mined(fx.chain, own.write.delegate([first + i, checker.address]));
    checker.licenses.push(first + i);
  }
}

/** `count` registered checkers from Hardhat's accounts (index 1 upward, or impersonated beyond 19), each with `licenses` licenses. */
export async function setupCheckers(fx: Fixture, count: number, licenses = 1): Promise<Checker[]> {
  const checkers: Checker[] = [];
  for (let i = 0; i < count; i++) {
    const wallet =
      i + 1 < fx.chain.wallets.length ? fx.chain.wallets[i + 1]! : await fx.chain.impersonate(`checker-${i}`);
    const checker = await registerChecker(fx, wallet, `checker-${i}`);
    if (licenses > 0) await giveLicenses(fx, checker, licenses);
    checkers.push(checker);
  }
  return checkers;
}

/**
 * A fresh in-process chain with the contracts deployed (with `options`) and
 * `count` checkers of `licenses` licenses each: the launch set of epoch 1.
 */
export async function deployWithCheckers(
  count: number,
  licenses: number,
  options: DeployOptions = {},
): Promise<{ chain: TestChain; fx: Fixture; checkers: Checker[] }> {
  const chain = await connectChain();
  const fx = await deployFixture(chain, options);
  const checkers = await setupCheckers(fx, count, licenses);
  return { chain, fx, checkers };
}

/** Moves the chain into `epoch` (its first second + `offset`). */
export async function goToEpoch(fx: Fixture, epoch: bigint, offset = 1n): Promise<void> {
  await setTime(fx.chain, fx.deployment.genesisTime + (epoch - 1n) * fx.deployment.epochSeconds + offset);
}

export async function currentEpoch(fx: Fixture): Promise<bigint> {
  return fx.c.reports.read.currentEpoch();
}

/**
 * The aggregate signature of the seats in `seats` over `message`, each seat
 * signed by its operator's key (an operator holding two seats signs twice),
 * as the 256-byte EIP-2537 point the contracts take.
 */
export async function signSeats(
  fx: Fixture,
  seatOperators: readonly Address[],
  seats: readonly number[],
  message: Uint8Array,
): Promise<{ bitfield: bigint; signature: Hex }> {
  const backend = await bls();
  const byOperator = new Map<string, Uint8Array>();
  const signatures: Uint8Array[] = [];
  let bitfield = 0n;
  for (const seat of seats) {
    const operator = seatOperators[seat]!.toLowerCase();
    const key = fx.keys.get(operator);
    if (key === undefined) throw new Error(`no key for seat ${seat} (${operator})`);
    let signature = byOperator.get(operator);
    if (signature === undefined) {
      signature = backend.sign(key.secretKey, message);
      byOperator.set(operator, signature);
    }
    signatures.push(signature);
    bitfield |= 1n << BigInt(seat);
  }
  return { bitfield, signature: bytesToHex(g2ToEip2537(backend.aggregateSignatures(signatures))) };
}

export function allSeats(size: number): number[] {
  return Array.from({ length: size }, (_, i) => i);
}

/**
 * Reveals the seed of `epoch` as its seed proposer (the proposer of `epoch - 1`) would: signs
 * `seedRevealMessage(epoch)` with the proposer's key and sends `revealSeed`. The chain must be in `epoch - 1`.
 * Returns the receipt and the signature.
 */
export async function revealSeed(fx: Fixture, epoch: bigint) {
  const [proposer] = await fx.c.reports.read.seedProposer([epoch - 1n]);
  const key = fx.keys.get(proposer.toLowerCase());
  if (key === undefined) throw new Error(`no key for the seed proposer ${proposer} of epoch ${epoch - 1n}`);
  const message = await fx.c.reports.read.seedRevealMessage([epoch]);
  const signature = bytesToHex(g2ToEip2537((await bls()).sign(key.secretKey, hexToBytes(message))));
  const receipt = await mined(fx.chain, fx.c.reports.write.revealSeed([epoch, signature]));
  return { receipt, signature, proposer };
}

/**
 * Moves the chain to the first epoch in which license rewards of `epoch` can be claimed: after the contest
 * window and re-check deadline that follow its report (`Slashing.penaltiesFinalEpoch(epoch) + 1`).
 */
export async function unlockLicenseRewards(fx: Fixture, epoch: bigint): Promise<void> {
  const unlock = (await fx.c.slashing.read.penaltiesFinalEpoch([epoch])) + 1n;
  if ((await fx.c.reports.read.currentEpoch()) < unlock) await goToEpoch(fx, unlock);
}

/** A header for `epoch` with the epoch's seed from the contract. */
export async function headerFor(
  fx: Fixture,
  epoch: bigint,
  fields: Partial<ReportHeader> = {},
): Promise<ReportHeader> {
  return {
    epoch,
    seed: await fx.c.reports.read.seedOf([epoch]),
    resultsRoot: keccak256(toHex(`results:${epoch}`)),
    rewardsRoot: keccak256(toHex(`rewards:${epoch}`)),
    totalRewards: 0n,
    providerCount: 10,
    attestationCount: 80,
    ...fields,
  };
}

/** Signs `header` with `seats` of its epoch's report committee (all seats by default). */
export async function signReport(fx: Fixture, header: ReportHeader, seats?: readonly number[]) {
  const operators = await fx.c.reports.read.reportCommittee([header.epoch]);
  return signSeats(fx, operators, seats ?? allSeats(operators.length), reportSigningRoot(header, fx.domain));
}

/**
 * Moves the chain to the first second at which a report of `epoch` is accepted (its start plus
 * `reportDelaySeconds`) unless it is already past it.
 */
export async function reachReportTime(fx: Fixture, epoch: bigint): Promise<void> {
  const delay = await fx.c.reports.read.reportDelaySeconds();
  const acceptedFrom = (await fx.c.reports.read.epochStartTime([epoch])) + delay;
  const now = (await fx.chain.publicClient.getBlock()).timestamp;
  if (now < acceptedFrom) await setTime(fx.chain, acceptedFrom);
}

/** Signs and submits the report of `header` (moving the chain to its report time first), returning the receipt. */
export async function submitReport(fx: Fixture, header: ReportHeader, seats?: readonly number[]) {
  await reachReportTime(fx, header.epoch);
  const { bitfield, signature } = await signReport(fx, header, seats);
  return mined(fx.chain, fx.c.reports.write.submitReport([header, bitfield, signature]));
}

/**
 * A re-check header for slash `slashId` (fields from the slash record, `verdict`, and `fields` over them) signed
 * by `seats` of its re-check committee (all by default) under the Slashing contract's signing root.
 */
export async function signRecheck(
  fx: Fixture,
  slashId: bigint,
  verdict: number,
  fields: Partial<RecheckHeader> = {},
  seats?: readonly number[],
) {
  const record = await fx.c.slashing.read.slashOf([slashId]);
  const header: RecheckHeader = {
    slashId,
    provider: record.provider,
    accusedEpoch: record.epoch,
    recheckEpoch: record.recheckEpoch,
    verdict,
    attestations: 32,
    failures: verdict === 1 ? 32 : 0,
    evidenceRoot: zeroHash,
    ...fields,
  };
  const operators = await fx.c.slashing.read.recheckCommittee([slashId]);
  const root = recheckSigningRoot(
    header,
    await fx.c.reports.read.domainSeparator(),
    fx.deployment.contracts.slashing,
  );
  const signed = await signSeats(fx, operators, seats ?? allSeats(operators.length), root);
  return { header, operators, ...signed };
}

export const TOKEN = 10n ** 18n;

export interface Provider {
  wallet: Wallet;
  address: Address;
}

/** Registers `wallet` as a provider and stakes `stake` tokens sent by the deployer. */
export async function setupProvider(fx: Fixture, wallet: Wallet, stake = 1_000n * TOKEN): Promise<Provider> {
  const address = getAddress(wallet.account.address);
  const own = fx.as(wallet);
  await mined(fx.chain, own.providers.write.register([peerIdOf(address), "H100-SXM", 81_920, "eu-west"]));
  if (stake > 0n) {
    await mined(fx.chain, fx.c.token.write.transfer([address, stake]));
    await mined(fx.chain, own.token.write.approve([fx.deployment.contracts.providerRegistry, stake]));
    await mined(fx.chain, own.providers.write.stake([stake]));
  }
  return { wallet, address };
}

/** Sends `provider` `amount` tokens and has it approve the Slashing contract for them: its contest bonds. */
export async function fundContestBonds(fx: Fixture, provider: Provider, amount: bigint): Promise<void> {
  await mined(fx.chain, fx.c.token.write.transfer([provider.address, amount]));
  await mined(
    fx.chain,
    fx.as(provider.wallet).token.write.approve([fx.deployment.contracts.slashing, amount]),
  );
}

export interface PublishedEpoch {
  header: ReportHeader;
  results?: ResultsTree;
  rewards?: RewardsTree;
}

/** `provider` contests the slash of its FAIL `leaf`, published in `published` for `epoch`: the slash's id. */
export async function contestSlash(
  fx: Fixture,
  provider: Provider,
  leaf: ResultLeaf,
  published: PublishedEpoch,
  epoch = 1n,
): Promise<bigint> {
  const proof = resultProof(published.results!, provider.address);
  await mined(fx.chain, fx.as(provider.wallet).slashing.write.contest([epoch, leaf, proof]));
  return fx.c.slashing.read.slashIdOf([epoch, provider.address]);
}

/**
 * Builds the epoch's trees with packages/protocol's Merkle code and lands a
 * report carrying their roots, signed by the whole report committee.
 */
export async function publishEpoch(
  fx: Fixture,
  epoch: bigint,
  leaves: { results?: ResultLeaf[]; rewards?: RewardLeaf[]; totalRewards?: bigint } = {},
): Promise<PublishedEpoch> {
  const results = leaves.results?.length ? buildResultsTree(leaves.results) : undefined;
  const rewards = leaves.rewards?.length ? buildRewardsTree(leaves.rewards) : undefined;
  const header = await headerFor(fx, epoch, {
    resultsRoot: (results?.root as Hex | undefined) ?? EMPTY_ROOT,
    rewardsRoot: (rewards?.root as Hex | undefined) ?? EMPTY_ROOT,
    totalRewards: leaves.totalRewards ?? (leaves.rewards ?? []).reduce((sum, leaf) => sum + leaf.amount, 0n),
    providerCount: leaves.results?.length ?? 0,
  });
  await submitReport(fx, header);
  return { header, results, rewards };
}

/** Lands a report of `epoch` with one FAIL leaf for `provider` accused by `accusers` and opens its slash. */
export async function openFailSlash(
  fx: Fixture,
  epoch: bigint,
  provider: Address,
  accusers: readonly Address[],
): Promise<{ leaf: ResultLeaf; published: PublishedEpoch }> {
  const leaf = failLeaf(provider, accusers);
  const published = await publishEpoch(fx, epoch, { results: [leaf] });
  await mined(
    fx.chain,
    fx.c.slashing.write.openSlash([epoch, leaf, resultProof(published.results!, provider)]),
  );
  return { leaf, published };
}

/** A FAIL result leaf for `provider` accused by `accusers`. */
export function failLeaf(
  provider: Address,
  accusers: readonly Address[],
  slashAmount = 100n * TOKEN,
): ResultLeaf {
  return {
    provider,
    verdict: 1,
    scoreBps: 0,
    medianLatencyUs: 250_000,
    attestations: accusers.length,
    failures: accusers.length,
    slashAmount,
    accusers: [...accusers],
  };
}

export function passLeaf(provider: Address, accusers: readonly Address[] = []): ResultLeaf {
  return {
    ...failLeaf(provider, accusers, 0n),
    verdict: 0,
    scoreBps: 9_500,
    medianLatencyUs: 20_000,
    failures: 0,
  };
}
