import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Deployment } from "@checkernet/contracts";
import {
  connectProviderChain,
  initProviderKeys,
  loadProviderKeys,
  registerAnswerKey,
  registerProvider,
  stakeTokens,
} from "@checkernet/provider";
import { type Address, parseEther } from "viem";
import { DEVNET, type HostPlacement, LOOPBACK } from "./params.ts";
import { type Child, runToEnd, spawnChild, waitUntil } from "./proc.ts";

const ROOT = join(import.meta.dirname, "../..");
const CHECKER_BIN = join(ROOT, "packages/checker/bin/checker.js");
const PROVIDER_BIN = join(ROOT, "packages/provider/bin/provider.js");

export interface CheckerPlan {
  name: string;
  dataDir: string;
  /** Hardhat account index of the operator. */
  accountIndex: number;
  operator: Address;
  p2pPort: number;
  apiPort: number;
  peerId: string;
  publicKey: string;
  /** Where it runs (the testbed); 127.0.0.1 here by default. */
  host?: HostPlacement;
  /** How the others dial it when not at its listen address (behind NAT: a circuit relay address). */
  dialAddr?: string;
}

export interface ProviderPlan {
  name: string;
  dataDir: string;
  address: Address;
  peerId: string;
  port: number;
  fault: string;
  /** Where it runs (the testbed); 127.0.0.1 here by default. */
  host?: HostPlacement;
}

/** `checker init` with a password file, non-interactively; returns the peer id and public key. */
export async function initChecker(
  dataDir: string,
  name: string,
  logDir: string,
): Promise<{ peerId: string; publicKey: string; passwordFile: string }> {
  await mkdir(dataDir, { recursive: true });
  const passwordFile = join(dataDir, "password.txt");
  await writeFile(passwordFile, `${DEVNET.keystorePassword}\n`, { mode: 0o600 });
  const out = await runToEnd({
    name: `${name} init`,
    command: process.execPath,
    args: [
      CHECKER_BIN,
      "-d",
      dataDir,
      "init",
      "--password-file",
      passwordFile,
      "--kdf-work",
      String(DEVNET.keystoreKdfWork),
    ],
    logFile: join(logDir, `${name}.log`),
  });
  const info = JSON.parse(out) as { peerId: string; publicKey: string };
  return { peerId: info.peerId, publicKey: info.publicKey, passwordFile };
}

export function checkerMultiaddr(plan: CheckerPlan): string {
  return plan.dialAddr ?? `/ip4/${(plan.host ?? LOOPBACK).ip}/tcp/${plan.p2pPort}/p2p/${plan.peerId}`;
}

export function providerMultiaddr(plan: ProviderPlan): string {
  return `/ip4/${(plan.host ?? LOOPBACK).ip}/tcp/${plan.port}/p2p/${plan.peerId}`;
}

/** Where a checker's status API answers (the harness's side of it). */
export function checkerApiUrl(plan: CheckerPlan): string {
  const host = plan.host ?? LOOPBACK;
  return `http://${host.apiIp ?? host.ip}:${plan.apiPort}`;
}

/**
 * The node's JSON config file: loopback only (no mDNS, no NAT traversal, no
 * DHT, which would drop loopback addresses anyway), the chain's addresses,
 * and as bootstrap list the other checkers plus the providers. Dialling the
 * providers at start is how a checker learns their addresses on a devnet: the
 * registry holds only peer ids and no DHT runs on loopback.
 */
export async function writeCheckerConfig(
  plan: CheckerPlan,
  others: readonly CheckerPlan[],
  providers: readonly ProviderPlan[],
  rpcUrl: string,
  deployment: Deployment,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const file = join(plan.dataDir, "config.json");
  const host = plan.host ?? LOOPBACK;
  const config = {
    dataDir: plan.dataDir,
    listen: [`/ip4/${host.ip}/tcp/${plan.p2pPort}`],
    bootstrap: [...others.map(checkerMultiaddr), ...providers.map(providerMultiaddr)],
    mdns: false,
    dht: false,
    nat: host.nat === true,
    relayServer: host.relayServer === true,
    // Behind NAT (the others dial it through a relay): announce no private address.
    ...(host.relayVia === undefined ? {} : { reachability: "private" }),
    // Every honest node of a loopback devnet dials from 127.0.0.1: without this a devnet of more
    // than 9 checkers would run into the inbound identity budget (8 new peer ids per IP, then one a
    // minute). The testbed's hosts have their own addresses and trust none.
    ...(host.ip === "127.0.0.1" ? { trustedNetworks: ["127.0.0.1/32"] } : {}),
    apiHost: host.apiIp ?? host.ip,
    apiPort: plan.apiPort,
    logLevel: "info",
    rpcUrl,
    chainId: String(deployment.chainId),
    verifyingContract: deployment.contracts.epochReports,
    genesisMs: Number(deployment.genesisTime) * 1000,
    epochSeconds: Number(deployment.epochSeconds),
    operatorAddress: plan.operator,
    checkerRegistry: deployment.contracts.checkerRegistry,
    providerRegistry: deployment.contracts.providerRegistry,
    slashingContract: deployment.contracts.slashing,
    fraudProofsContract: deployment.contracts.fraudProofs,
    rewardsContract: deployment.contracts.rewards,
    checkerLicense: deployment.contracts.checkerLicense,
    region: 0,
    ...extra,
  };
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}

/** `checker start` as a child; resolves once its status API answers. */
export async function startChecker(
  plan: CheckerPlan,
  configFile: string,
  logDir: string,
  env: NodeJS.ProcessEnv = {},
): Promise<Child> {
  const child = spawnChild({
    name: plan.name,
    command: process.execPath,
    args: [CHECKER_BIN, "-c", configFile, "start", "--password-file", join(plan.dataDir, "password.txt")],
    logFile: join(logDir, `${plan.name}.log`),
    // Clear the env config so the file decides (a developer's CHECKER_* must not leak into the devnet).
    env: { ...scrubbed("CHECKER_"), ...env },
    lifeline: true,
    netns: plan.host?.netns,
  });
  await waitUntil(
    `${plan.name}'s status API`,
    async () => {
      const res = await fetch(`${checkerApiUrl(plan)}/status`, {
        signal: AbortSignal.timeout(2_000),
      });
      return res.ok ? true : undefined;
    },
    { timeoutMs: 90_000, child, intervalMs: 500 },
  );
  return child;
}

function scrubbed(prefix: string): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.keys(process.env)
      .filter((k) => k.startsWith(prefix))
      .map((k) => [k, undefined]),
  );
}

function providerArgs(dataDir: string, ...rest: string[]): string[] {
  return [PROVIDER_BIN, ...rest.slice(0, 1), "-d", dataDir, ...rest.slice(1)];
}

/**
 * The provider's keys (no password: a devnet), created with the provider
 * package's own code in-process: a process launch per step would cost a
 * laptop seconds each. The serving process is the real `provider serve`.
 */
export async function initProvider(dataDir: string): Promise<{ address: Address; peerId: string }> {
  const keys = await initProviderKeys(dataDir);
  return { address: keys.address, peerId: keys.peerId.toString() };
}

/** Registers the claimed class and region, then approves and stakes (what `provider register` and `provider stake` do). */
export async function registerAndStakeProvider(
  plan: ProviderPlan,
  rpcUrl: string,
  deployment: Deployment,
): Promise<void> {
  const keys = await loadProviderKeys(plan.dataDir);
  const chain = connectProviderChain(rpcUrl, keys.evmPrivateKey, deployment.contracts);
  await registerProvider(chain, { peerId: plan.peerId, gpuClass: DEVNET.gpuClass, region: DEVNET.region });
  // The answer key signs matmul commitments from the registry's activation delay on (fraud proofs).
  if (keys.answerPrivateKey !== undefined) await registerAnswerKey(chain, keys.answerPrivateKey);
  await stakeTokens(chain, parseEther(DEVNET.providerStake.toString()));
}

/**
 * `provider serve` as a child for one provider, or for several (`--also`: one process, each provider its own
 * keys, peer id and port); resolves once it printed a listening line for each.
 */
export async function startProvider(
  plan: ProviderPlan,
  deployment: Deployment,
  logDir: string,
  also: readonly ProviderPlan[] = [],
): Promise<Child> {
  const listen = (p: ProviderPlan) => `/ip4/${(p.host ?? LOOPBACK).ip}/tcp/${p.port}`;
  const child = spawnChild({
    name: also.length === 0 ? plan.name : `${plan.name}-agent`,
    command: process.execPath,
    args: providerArgs(
      plan.dataDir,
      "serve",
      "--listen",
      listen(plan),
      ...also.flatMap((p) => ["--also", `${p.dataDir}=${listen(p)}`]),
      "--gpu-class",
      DEVNET.gpuClass,
      "--vram-salt",
      DEVNET.vramSalt,
      "--workers",
      String(DEVNET.providerWorkers),
      "--fault",
      plan.fault,
      "--epoch-seconds",
      deployment.epochSeconds.toString(),
      "--genesis",
      deployment.genesisTime.toString(),
      "--chain-id",
      String(deployment.chainId),
      "--provider-registry",
      deployment.contracts.providerRegistry,
    ),
    logFile: join(logDir, `${plan.name}.log`),
    env: { ...scrubbed("PROVIDER_") },
    lifeline: true,
    netns: plan.host?.netns,
  });
  const serving = 1 + also.length;
  await waitUntil(
    `${plan.name} to listen`,
    async () => (child.stdout().split('{"peerId"').length - 1 >= serving ? true : undefined),
    // Each provider fills its VRAM dataset before it serves (~1-2 s of CPU each on a busy laptop).
    { timeoutMs: 90_000 + 5_000 * also.length, child, intervalMs: 250 },
  );
  return child;
}

/**
 * Starts every provider: one process each, or `perAgent` providers a process (consecutive providers with
 * the same fault and placement). Each started process is handed to `started` at once (for the cleanup).
 */
export async function startProviders(
  plans: readonly ProviderPlan[],
  perAgent: number,
  deployment: Deployment,
  logDir: string,
  started: (child: Child) => void,
): Promise<(ProviderPlan & { child: Child })[]> {
  const agents: ProviderPlan[][] = [];
  for (const p of plans) {
    const last = agents.at(-1);
    const head = last?.[0];
    if (
      last !== undefined &&
      head !== undefined &&
      last.length < perAgent &&
      head.fault === p.fault &&
      head.host === p.host
    )
      last.push(p);
    else agents.push([p]);
  }
  const out: (ProviderPlan & { child: Child })[] = [];
  for (let i = 0; i < agents.length; i += 3) {
    const batch = await Promise.all(
      agents.slice(i, i + 3).map(async ([plan, ...also]) => {
        const child = await startProvider(plan as ProviderPlan, deployment, logDir, also);
        started(child);
        return [plan as ProviderPlan, ...also].map((p) => ({ ...p, child }));
      }),
    );
    out.push(...batch.flat());
  }
  return out;
}
