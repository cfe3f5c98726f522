import { mkdir, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { networkDefinition, protocolParamsOnChain, unlockOperatorKey } from "@checkernet/checker";
import { type Deployment, epochReportsAbi } from "@checkernet/contracts";
import { loadProviderKeys } from "@checkernet/provider";
import type { Address } from "viem";
import {
  accountKey,
  type DevnetAccounts,
  devnetAccounts,
  formatAccounts,
  writeAccounts,
} from "./accounts.ts";
import {
  type DevnetChain,
  deploy,
  firstEpochOfLicenses,
  fundGas,
  mintAndDelegate,
  registerOperator,
  startChain,
  transferTokens,
} from "./chain.ts";
import { Monitor, type Snapshot } from "./monitor.ts";
import {
  type CheckerPlan,
  checkerApiUrl,
  checkerMultiaddr,
  initChecker,
  initProvider,
  type ProviderPlan,
  providerMultiaddr,
  registerAndStakeProvider,
  startChecker,
  startProviders,
  writeCheckerConfig,
} from "./nodes.ts";
import { DEFAULT_OPTIONS, DEVNET, type DevnetOptions, freePorts } from "./params.ts";
import { type Child, stopChild, tailLog, waitUntil } from "./proc.ts";

export type { DevnetAccounts } from "./accounts.ts";
export type { Snapshot } from "./monitor.ts";
export { DEFAULT_OPTIONS, type DevnetOptions } from "./params.ts";

export interface DevnetSummary {
  ok: boolean;
  /** Why the devnet stopped: "epochs" (--epochs reached), "signal", "stop" (programmatic) or "failure". */
  stoppedBy: string;
  error: string | null;
  options: { checkers: number; providers: number; epochSeconds: number; epochs: number | null };
  rpcUrl: string;
  deployment: Record<string, unknown>;
  /** Chain epoch when every node was up, the first epoch they all ran from its start, and when the devnet stopped. */
  startEpoch: string;
  firstFullEpoch: string;
  endEpoch: string;
  reports: Snapshot["reports"];
  attestations: {
    reported: number;
    gossipAcceptedPerChecker: Record<string, number>;
    ownLastEpochPerChecker: Record<string, number>;
  };
  slashesPending: {
    provider: string;
    address: Address;
    fault: string;
    pendingSlashes: number;
    slashes: Snapshot["providers"][number]["slashes"];
    /** Slashed at once by a matmul fraud proof (counted apart from the voted slashes above). */
    fraudSlashes: Snapshot["providers"][number]["fraudSlashes"];
  }[];
  rewardsClaimable: string;
  rewardsClaimed: string;
  /** Epochs whose seed its predecessor's seed proposer revealed (EpochSeeded); the others got the fallback. */
  seedsRevealed: string[];
  /** The first epoch in whose snapshot every delegated license counts (1: setup landed before genesis). */
  licensesFromEpoch: string;
  licenses: { licenseId: string; owner: Address; operator: Address }[];
  peers: Record<string, number>;
}

export interface DevnetHandle {
  dataDir: string;
  rpcUrl: string;
  deployment: Deployment;
  chain: DevnetChain;
  checkers: (CheckerPlan & { child: Child })[];
  providers: (ProviderPlan & { child: Child })[];
  licenses: { licenseId: bigint; owner: Address; operator: Address; ownerIndex: number }[];
  /** The first epoch in whose snapshot every license counts (1 when setup landed before genesis). */
  licensesFromEpoch: bigint;
  /** Owners' and operators' addresses and dev-only keys, checkers' peer ids, multiaddrs and dashboards. */
  accounts: DevnetAccounts;
  /** Where `accounts` is written: `<data-dir>/accounts.json`. */
  accountsFile: string;
  /** Chain epoch at which every node was up. */
  startEpoch: bigint;
  /** The first epoch every node ran from its start: startEpoch when they were up before it began, else the next. */
  firstFullEpoch: bigint;
  /** A fresh snapshot (also taken every refresh). */
  snapshot(): Promise<Snapshot>;
  last(): Snapshot | undefined;
  /** Resolves when --epochs is reached or a child fails; never rejects. */
  finished: Promise<{ reason: string; error: string | null }>;
  /** Stops every child (checkers, providers, chain) and returns the summary; idempotent. */
  stop(reason?: string): Promise<DevnetSummary>;
  /**
   * Crash drill: SIGKILLs checker `name` (no shutdown, no flush) and starts it
   * again on the same data directory and config; resolves once its status API
   * answers. `checkers` then holds the new child.
   */
  killAndRestartChecker(name: string): Promise<void>;
}

async function inBatches<T, R>(
  items: readonly T[],
  size: number,
  f: (x: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) {
    out.push(...(await Promise.all(items.slice(i, i + size).map((x, j) => f(x, i + j)))));
  }
  return out;
}

/**
 * Starts the whole devnet: chain, contracts, licenses, checker and provider
 * processes. Everything is on 127.0.0.1; `stop()` takes it all down.
 */
export async function startDevnet(
  input: Partial<DevnetOptions> & { dataDir: string },
): Promise<DevnetHandle> {
  const options: DevnetOptions = {
    ...DEFAULT_OPTIONS,
    live: false,
    ...input,
    dataDir: resolve(input.dataDir),
  };
  const log = options.log ?? (() => undefined);
  if (!Number.isInteger(options.checkers) || options.checkers < 1)
    throw new Error("--checkers must be at least 1");
  if (!Number.isInteger(options.providers) || options.providers < 1)
    throw new Error("--providers must be at least 1");
  if (!Number.isInteger(options.epochSeconds) || options.epochSeconds < 5)
    throw new Error("--epoch-seconds must be at least 5 (a CPU challenge and the publish phase must fit)");
  const dataDir = options.dataDir;
  await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });

  const ports = await freePorts(1 + 2 * options.checkers + options.providers);
  const [rpcPort, ...rest] = ports as [number, ...number[]];
  const placement = options.placement;
  if (
    placement !== undefined &&
    (placement.checkers.length !== options.checkers || placement.providers.length !== options.providers)
  )
    throw new Error("placement: one host per checker and per provider");
  log(`starting hardhat node on ${placement?.chain.ip ?? "127.0.0.1"}:${rpcPort}`);
  const chain = await startChain(dataDir, rpcPort, placement?.chain);
  const started: Child[] = [chain.node];
  const stopAll = async () => {
    // Checkers first (they submit, and a provider gone under a running check would read as a
    // failure), then providers, the chain last.
    const isChecker = (c: Child) => c.name.startsWith("checker-");
    await Promise.all(started.filter(isChecker).map((c) => stopChild(c)));
    await Promise.all(started.filter((c) => !isChecker(c) && c !== chain.node).map((c) => stopChild(c)));
    await stopChild(chain.node);
  };
  try {
    // Everything that needs no contract comes first: the deployment fixes genesis, and what must land before
    // it (registrations, delegations) should follow it closely.
    log(`creating ${options.checkers} checker and ${options.providers} provider data dirs`);
    const checkerInits = await inBatches(Array.from({ length: options.checkers }), 6, async (_, i) => {
      const name = `checker-${i + 1}`;
      const dir = join(dataDir, name);
      const info = await initChecker(dir, name, dataDir);
      const accountIndex = DEVNET.operatorAccountBase + i;
      const plan: CheckerPlan = {
        name,
        dataDir: dir,
        accountIndex,
        operator: chain.wallet(accountIndex).account.address,
        p2pPort: rest[2 * i] as number,
        apiPort: rest[2 * i + 1] as number,
        peerId: info.peerId,
        publicKey: info.publicKey,
        host: placement?.checkers[i],
      };
      return plan;
    });
    // A checker behind NAT is dialled through its relay (a real network would find that address in the DHT).
    for (const c of checkerInits) {
      const relay = c.host?.relayVia === undefined ? undefined : checkerInits[c.host.relayVia];
      if (relay !== undefined) c.dialAddr = `${checkerMultiaddr(relay)}/p2p-circuit/p2p/${c.peerId}`;
    }
    const providerPlans = await inBatches(Array.from({ length: options.providers }), 3, async (_, i) => {
      const name = `provider-${i + 1}`;
      const dir = join(dataDir, name);
      const info = await initProvider(dir);
      const plan: ProviderPlan = {
        name,
        dataDir: dir,
        address: info.address,
        peerId: info.peerId,
        port: rest[2 * options.checkers + i] as number,
        // The last provider is the faulty one.
        fault: i === options.providers - 1 ? DEVNET.faultyProviderFault : "honest",
        host: placement?.providers[i],
      };
      return plan;
    });

    const ownerIndices = Array.from({ length: DEVNET.licenseOwners }, (_, i) => DEVNET.ownerAccountBase + i);
    log("funding accounts with ETH for gas");
    await fundGas(chain, [
      ...checkerInits.map((c) => c.operator),
      ...ownerIndices.map((i) => chain.wallet(i).account.address),
      ...providerPlans.map((p) => p.address),
    ]);

    log(
      `deploying the contracts (epochs of ${options.epochSeconds} s, genesis in ${DEVNET.genesisDelaySeconds} s)`,
    );
    const deployment = await deploy(chain, dataDir, options.epochSeconds);
    log(
      "registering operators (BLS key + proof of possession), minting and delegating licenses before genesis",
    );
    for (const c of checkerInits) {
      const secretKey = await unlockOperatorKey(c.dataDir, DEVNET.keystorePassword);
      await registerOperator(chain, deployment, {
        index: c.accountIndex,
        address: c.operator,
        secretKey,
        peerId: c.peerId,
      });
    }
    const minted = await mintAndDelegate(
      chain,
      deployment,
      checkerInits.map((c) => c.operator),
      DEVNET.licensesPerOperator,
      ownerIndices,
    );
    const licenses = minted.map((l) => ({
      ...l,
      ownerIndex: ownerIndices.find((i) => chain.wallet(i).account.address === l.owner) as number,
    }));
    const licensesFrom = await firstEpochOfLicenses(chain, deployment, licenses.length);
    const genesisIn =
      Number(deployment.genesisTime) - Number((await chain.publicClient.getBlock()).timestamp);
    log(
      licensesFrom === 1n
        ? `licenses delegated ${genesisIn} s before genesis: all ${licenses.length} count from epoch 1`
        : `licenses delegated after genesis: they count from epoch ${licensesFrom} (raise DEVNET.genesisDelaySeconds)`,
    );

    for (const p of providerPlans) await transferTokens(chain, deployment, p.address, DEVNET.providerTokens);
    log("registering and staking providers");
    await inBatches(providerPlans, 3, (p) => registerAndStakeProvider(p, chain.rpcUrl, deployment));

    log("starting providers (provider serve)");
    const providers = await startProviders(
      providerPlans,
      options.providersPerAgent ?? 1,
      deployment,
      dataDir,
      (child) => started.push(child),
    );

    log("starting checkers (checker start)");
    const configFiles = new Map<string, string>();
    // Through the environment: a node that predates these fields ignores them (a config file would be refused).
    const checkerEnv = (c: (typeof checkerInits)[number]) => ({
      // The operator's EVM key pays for the aggregator's transactions (submitReport, claims).
      CHECKER_TX_KEY: accountKey(c.accountIndex),
      CHECKER_REWARDS: deployment.contracts.rewards,
      CHECKER_LICENSE: deployment.contracts.checkerLicense,
    });
    const checkers = await inBatches(checkerInits, 3, async (c) => {
      const configFile = await writeCheckerConfig(
        c,
        checkerInits.filter((o) => o !== c),
        providerPlans,
        chain.rpcUrl,
        deployment,
      );
      configFiles.set(c.name, configFile);
      const child = await startChecker(c, configFile, dataDir, checkerEnv(c));
      started.push(child);
      return { ...c, child };
    });

    // The network file a new node joins with (docs/operator.md "Join a network"): `checker --network` reads it.
    const networkFile = join(dataDir, "network.json");
    await writeFile(
      networkFile,
      `${JSON.stringify(
        networkDefinition({
          name: "devnet",
          chainId: String(deployment.chainId),
          rpcUrls: [chain.rpcUrl],
          genesisTime: Number(deployment.genesisTime),
          epochSeconds: Number(deployment.epochSeconds),
          contracts: deployment.contracts,
          bootstrap: [...checkers.map(checkerMultiaddr), ...providers.map(providerMultiaddr)],
          // What it deployed, read back from the contracts (the built-in defaults where they hold none).
          params: await protocolParamsOnChain(chain.publicClient, deployment.contracts),
        }),
        null,
        2,
      )}\n`,
    );
    log(`network definition for a node that joins: ${networkFile} (checker --network ${networkFile} ...)`);

    // Who is who, with the dev-only keys (docs/devnet.md, "Accounts and keys"): printed in every mode.
    const accountsFile = join(dataDir, "accounts.json");
    const accounts = devnetAccounts({
      dataDir,
      rpcUrl: chain.rpcUrl,
      chainId: deployment.chainId,
      owners: ownerIndices.map((i) => ({ accountIndex: i, address: chain.wallet(i).account.address })),
      licenses,
      checkers: checkers.map((c) => ({ ...c, multiaddr: checkerMultiaddr(c), apiUrl: checkerApiUrl(c) })),
      providers: await Promise.all(
        providers.map(async (p) => ({
          ...p,
          multiaddr: providerMultiaddr(p),
          privateKey: (await loadProviderKeys(p.dataDir)).evmPrivateKey,
        })),
      ),
      cwd: process.cwd(),
    });
    await writeAccounts(accountsFile, accounts);
    log(formatAccounts(accounts, accountsFile, process.cwd()));

    const monitor = new Monitor({
      publicClient: chain.publicClient,
      deployment,
      checkers: checkers.map((c) => ({
        name: c.name,
        operator: c.operator,
        apiPort: c.apiPort,
        apiUrl: checkerApiUrl(c),
      })),
      providers: providers.map((p) => ({ name: p.name, address: p.address, fault: p.fault })),
    });
    // Nodes up before genesis wait for it: the network's first epoch is 1 (its licenses are the launch set).
    const untilGenesisMs = Number(deployment.genesisTime) * 1000 - Date.now();
    const upBeforeGenesis = untilGenesisMs > 0;
    if (upBeforeGenesis) {
      log(`all nodes up before genesis; epoch 1 begins in ${Math.ceil(untilGenesisMs / 1000)} s`);
      await new Promise((r) => setTimeout(r, untilGenesisMs));
      // The chain's clock (its latest block) trails the wall's by a block or two.
      await waitUntil(
        "the chain to reach epoch 1",
        async () =>
          (await chain.publicClient.readContract({
            address: deployment.contracts.epochReports,
            abi: epochReportsAbi,
            functionName: "currentEpoch",
          })) >= 1n
            ? true
            : undefined,
        { timeoutMs: 30_000, child: chain.node, intervalMs: 250 },
      );
    }
    const first = await monitor.snapshot();
    const startEpoch = BigInt(first.chainEpoch);
    const firstFullEpoch = upBeforeGenesis && startEpoch <= 1n ? 1n : startEpoch + 1n;
    let last: Snapshot | undefined = first;
    log(`all nodes up in chain epoch ${startEpoch}; logs in ${dataDir}/<name>.log`);
    // What the CLIs need (docs/devnet.md, "Using the CLIs on the devnet").
    log(
      `for the CLIs: --rpc ${chain.rpcUrl} --deployment ${join(dataDir, "deployment.json")}; ` +
        `checker-1 at ${checkerMultiaddr(checkers[0] as CheckerPlan)}; ` +
        `provider keys in ${dataDir}/provider-<i>`,
    );

    let finish: (v: { reason: string; error: string | null }) => void = () => undefined;
    const finished = new Promise<{ reason: string; error: string | null }>((r) => {
      finish = r;
    });
    let done = false;
    const end = (reason: string, error: string | null) => {
      if (done) return;
      done = true;
      finish({ reason, error });
    };
    const watch = (child: Child) =>
      void child.exited.then((code) => {
        if (child.stopping) return;
        end(
          "failure",
          `${child.name} exited unexpectedly (${code}); last lines of ${child.logFile}:\n${tailLog(child.logFile)}`,
        );
      });
    for (const child of started) watch(child);
    let timer: NodeJS.Timeout | undefined;
    const tick = async () => {
      if (done) return;
      try {
        last = await monitor.snapshot();
        options.onSnapshot?.(last);
        if (
          options.epochs !== undefined &&
          BigInt(last.chainEpoch) >= startEpoch + BigInt(options.epochs) + 2n
        ) {
          end("epochs", null);
          return;
        }
      } catch (e) {
        if (!done) log(`monitor: ${(e as Error).message}`);
      }
      if (!done) timer = setTimeout(tick, DEVNET.refreshMs);
    };
    timer = setTimeout(tick, 0);

    let summary: Promise<DevnetSummary> | undefined;
    const handle: DevnetHandle = {
      dataDir,
      rpcUrl: chain.rpcUrl,
      deployment,
      chain,
      checkers,
      providers,
      licenses,
      licensesFromEpoch: licensesFrom,
      accounts,
      accountsFile,
      startEpoch,
      firstFullEpoch,
      snapshot: () => monitor.snapshot(),
      last: () => last,
      finished,
      async killAndRestartChecker(name) {
        const i = checkers.findIndex((c) => c.name === name);
        const c = checkers[i];
        const configFile = configFiles.get(name);
        if (c === undefined || configFile === undefined) throw new Error(`no checker named ${name}`);
        c.child.stopping = true;
        c.child.process.kill("SIGKILL");
        await c.child.exited;
        const child = await startChecker(c, configFile, dataDir, checkerEnv(c));
        started[started.indexOf(c.child)] = child;
        checkers[i] = { ...c, child };
        watch(child);
      },
      stop(reason = "stop") {
        summary ??= (async () => {
          end(reason, null);
          clearTimeout(timer);
          const outcome = await finished;
          const final = await monitor.snapshot().catch(() => last);
          await stopAll();
          const s = final ?? first;
          const result: DevnetSummary = {
            ok: outcome.error === null,
            stoppedBy: outcome.reason,
            error: outcome.error,
            options: {
              checkers: options.checkers,
              providers: options.providers,
              epochSeconds: options.epochSeconds,
              epochs: options.epochs ?? null,
            },
            rpcUrl: chain.rpcUrl,
            deployment: JSON.parse(
              JSON.stringify(deployment, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
            ),
            startEpoch: startEpoch.toString(),
            firstFullEpoch: firstFullEpoch.toString(),
            endEpoch: s.chainEpoch,
            reports: s.reports,
            attestations: {
              reported: s.attestationsReported,
              gossipAcceptedPerChecker: Object.fromEntries(s.checkers.map((c) => [c.name, c.gossipAccepted])),
              ownLastEpochPerChecker: Object.fromEntries(s.checkers.map((c) => [c.name, c.ownAttestations])),
            },
            slashesPending: s.providers.map((p) => ({
              provider: p.name,
              address: p.address,
              fault: p.fault,
              pendingSlashes: p.pendingSlashes,
              slashes: p.slashes,
              fraudSlashes: p.fraudSlashes,
            })),
            rewardsClaimable: s.rewardsClaimable,
            rewardsClaimed: s.rewardsClaimed,
            seedsRevealed: s.seedsRevealed,
            licensesFromEpoch: licensesFrom.toString(),
            licenses: licenses.map((l) => ({
              licenseId: l.licenseId.toString(),
              owner: l.owner,
              operator: l.operator,
            })),
            peers: Object.fromEntries(s.checkers.map((c) => [c.name, c.peers])),
          };
          if (options.summary !== undefined) {
            await writeFile(options.summary, `${JSON.stringify(result, null, 2)}\n`);
          }
          return result;
        })();
        return summary;
      },
    };
    return handle;
  } catch (e) {
    await stopAll();
    throw e;
  }
}
