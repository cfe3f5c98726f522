/**
 * A whole network for the e2e tests that run their checkers inside the test
 * process (contest, fraud proof): a `hardhat node` on 127.0.0.1 with the
 * contracts deployed, `provider serve` processes registered and staked, and
 * checker nodes (test/helpers/inProcessNodes.ts) over real libp2p on loopback,
 * every registration and delegation landed before genesis so that they are
 * epoch 1's launch set.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { CheckerNode } from "@checkernet/checker";
import { checkerRegistryAbi, type Deployment, type DeployOptions, deployAll } from "@checkernet/contracts";
import type { ProtocolParams } from "@checkernet/protocol/params";
import type { Logger } from "@checkernet/runtime";
import {
  type DevnetChain,
  fundGas,
  mintAndDelegate,
  registerOperator,
  startChain,
  transferTokens,
} from "../../scripts/devnet/chain.ts";
import {
  initProvider,
  type ProviderPlan,
  registerAndStakeProvider,
  startProvider,
} from "../../scripts/devnet/nodes.ts";
import { DEVNET, freePorts } from "../../scripts/devnet/params.ts";
import { type Child, stopChild } from "../../scripts/devnet/proc.ts";
import { createCheckerNodes, type InProcessOperator, newOperators } from "./inProcessNodes.ts";

export interface InProcessNetworkInit {
  dataDir: string;
  epochSeconds: number;
  /** Deployment to genesis: registrations, delegations and provider start-up must land in it. */
  genesisDelaySeconds: number;
  /** Deployment options beyond the devnet's committee settings (contest windows, ...). */
  deploy?: DeployOptions;
  /** One `provider serve` per entry, with that fault mode (`honest`, `wrong-rows:0.5`, ...). */
  providerFaults: readonly string[];
  /** Licenses delegated to each checker, one entry per checker. */
  licenses: readonly number[];
  /** The devnet mnemonic's account that mints the licenses and owns them. */
  ownerIndex: number;
  params: ProtocolParams;
  logger: Logger;
  /** The fault modes of the checker at `position` (of init.licenses), given the providers (as in CheckerNodesInit). */
  faultsOf(position: number, providers: readonly ProviderPlan[]): string[];
  fraudProofs: boolean;
  /** The nodes build their own chain clients, as `checker run` does (CheckerNodesInit.ownChainClients). */
  ownChainClients?: boolean;
  /** Each node serves its status API and dashboard on a free port of 127.0.0.1 (operators[i].apiPort); off by default. */
  statusApi?: boolean;
}

export interface InProcessNetwork {
  chain: DevnetChain;
  deployment: Deployment;
  providers: ProviderPlan[];
  operators: InProcessOperator[];
  /** Started. */
  nodes: CheckerNode[];
  /**
   * Signals the `hardhat node` process (its process group): SIGSTOP freezes the RPC (it accepts
   * connections and answers nothing, like a hung RPC), SIGCONT resumes it.
   */
  signalChain(signal: "SIGSTOP" | "SIGCONT"): void;
  /** Stops the nodes, the providers and the chain, and removes the data directory. */
  stop(): Promise<void>;
}

/** Starts the network; throws when setup did not land before genesis (the licenses would not be epoch 1's). */
export async function startInProcessNetwork(init: InProcessNetworkInit): Promise<InProcessNetwork> {
  const checkers = init.licenses.length;
  const apis = init.statusApi === true ? checkers : 0;
  const ports = await freePorts(1 + checkers + init.providerFaults.length + apis);
  const [rpcPort, ...rest] = ports as [number, ...number[]];
  const children: Child[] = [];
  const nodes: CheckerNode[] = [];
  const stop = async () => {
    await Promise.allSettled(nodes.map((n) => n.stop()));
    for (const c of [...children].reverse()) await stopChild(c).catch(() => undefined);
    rmSync(init.dataDir, { recursive: true, force: true });
  };
  try {
    const chain = await startChain(init.dataDir, rpcPort);
    children.push(chain.node);
    const latest = await chain.publicClient.getBlock();
    const deployment = await deployAll(chain.wallet(0), chain.publicClient, {
      genesisTime: latest.timestamp + BigInt(init.genesisDelaySeconds),
      epochSeconds: BigInt(init.epochSeconds),
      reportCommitteeSize: 8,
      reportQuorumBps: DEVNET.reportQuorumBps,
      committeePeriodEpochs: DEVNET.committeePeriodEpochs,
      activationDelayEpochs: DEVNET.activationDelayEpochs,
      ...init.deploy,
    });
    const setupStart = Date.now();

    const providers: ProviderPlan[] = [];
    for (const [i, fault] of init.providerFaults.entries()) {
      const dir = join(init.dataDir, `provider-${i + 1}`);
      providers.push({
        name: `provider-${i + 1}`,
        dataDir: dir,
        ...(await initProvider(dir)),
        port: rest[checkers + i] as number,
        fault,
      });
    }
    const operators = await newOperators(
      chain,
      checkers,
      rest,
      rest.slice(checkers + init.providerFaults.length),
    );
    await fundGas(chain, [
      ...operators.map((o) => o.address),
      chain.wallet(init.ownerIndex).account.address,
      ...providers.map((p) => p.address),
    ]);
    for (const p of providers) await transferTokens(chain, deployment, p.address, DEVNET.providerTokens);
    for (const op of operators) await registerOperator(chain, deployment, op);
    for (const count of new Set(init.licenses)) {
      const holders = operators.filter((_, i) => init.licenses[i] === count).map((o) => o.address);
      await mintAndDelegate(chain, deployment, holders, count, [init.ownerIndex]);
    }
    // Registration, answer key (with its proof of possession) and stake; the key signs from epoch 1.
    for (const p of providers) await registerAndStakeProvider(p, chain.rpcUrl, deployment);
    for (const p of providers) children.push(await startProvider(p, deployment, init.dataDir));

    nodes.push(
      ...(await createCheckerNodes({
        operators,
        providers,
        chain,
        deployment,
        dataDir: init.dataDir,
        epochSeconds: init.epochSeconds,
        params: init.params,
        logger: init.logger,
        faultsOf: (op) => init.faultsOf(operators.indexOf(op), providers),
        fraudProofs: init.fraudProofs,
        ...(init.ownChainClients === undefined ? {} : { ownChainClients: init.ownChainClients }),
      })),
    );
    await Promise.all(nodes.map((n) => n.start()));
    const licensed = await chain.publicClient.readContract({
      address: deployment.contracts.checkerRegistry,
      abi: checkerRegistryAbi,
      functionName: "licenseCountAt",
      args: [1n],
    });
    const delegated = init.licenses.reduce((a, b) => a + b, 0);
    if (licensed !== BigInt(delegated)) {
      throw new Error(
        `setup took ${Date.now() - setupStart} ms and ran past genesis: epoch 1 counts ${licensed} of ${delegated} licenses`,
      );
    }
    const signalChain = (signal: "SIGSTOP" | "SIGCONT") => {
      const pid = chain.node.process.pid;
      if (pid === undefined) throw new Error("the hardhat node has no pid");
      process.kill(-pid, signal);
    };
    return { chain, deployment, providers, operators, nodes, signalChain, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Calls `f` every second until it returns a value; throws after `timeoutMs` with the last error seen. */
export async function poll<T>(what: string, timeoutMs: number, f: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
}
