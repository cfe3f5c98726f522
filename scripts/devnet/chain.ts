import { join } from "node:path";
import {
  checkerLicenseAbi,
  checkerRegistryAbi,
  type Deployment,
  deployAll,
  rewardTokenAbi,
  writeDeploymentFile,
} from "@checkernet/contracts";
import { g1ToEip2537, g2ToEip2537 } from "@checkernet/protocol/bls/eip2537";
import { loadBlsBackend } from "@checkernet/protocol/bls/index";
import { proveKeyPossession } from "@checkernet/protocol/bls/pop";
import { peerIdFromString } from "@libp2p/peer-id";
import {
  type Account,
  type Address,
  bytesToHex,
  type Chain,
  createPublicClient,
  createWalletClient,
  type Hash,
  http,
  type PublicClient,
  parseEther,
  type Transport,
  type WalletClient,
} from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { DEVNET, type HostPlacement, LOOPBACK } from "./params.ts";
import { type Child, spawnChild, waitUntil } from "./proc.ts";

export type Wallet = WalletClient<Transport, Chain, Account>;

export interface DevnetChain {
  rpcUrl: string;
  node: Child;
  chain: Chain;
  publicClient: PublicClient;
  wallet(index: number): Wallet;
}

const HARDHAT_BIN = join(import.meta.dirname, "../../node_modules/hardhat/dist/src/cli.js");
/** The repository's config plus the devnet's node network (block time, timestamps). */
const HARDHAT_CONFIG = join(import.meta.dirname, "hardhat.config.ts");

/** Starts `hardhat node` on <at.ip>:port (127.0.0.1 by default) and waits until it answers JSON-RPC. */
export async function startChain(
  dataDir: string,
  port: number,
  at: HostPlacement = LOOPBACK,
): Promise<DevnetChain> {
  const rpcUrl = `http://${at.ip}:${port}`;
  const node = spawnChild({
    name: "hardhat node",
    command: process.execPath,
    args: [HARDHAT_BIN, "--config", HARDHAT_CONFIG, "node", "--hostname", at.ip, "--port", String(port)],
    logFile: join(dataDir, "chain.log"),
    cwd: join(import.meta.dirname, "../.."),
    lifeline: true,
    netns: at.netns,
  });
  const probe = createPublicClient({ transport: http(rpcUrl, { retryCount: 0, timeout: 2_000 }) });
  const chainId = await waitUntil("the chain's JSON-RPC", () => probe.getChainId(), {
    timeoutMs: 120_000,
    child: node,
  });
  const chain: Chain = {
    id: chainId,
    name: "devnet",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  };
  // Hardhat mines each transaction at once: poll receipts often.
  const transport = http(rpcUrl);
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 200 }) as PublicClient;
  // The node stamps its genesis block when it starts loading and its interval blocks a second apart from
  // there, so its clock trails the wall's by the few seconds it took to start (4 s measured on a busy 2-core
  // machine). Contracts read that clock: seeds, reveals and reports would all come seconds late into an
  // epoch. One block stamped with the wall's time (the next second) makes the node keep time from it: its
  // latest block then reads within about half a second of the wall clock, either side.
  await publicClient.request({
    method: "evm_setNextBlockTimestamp",
    params: [Math.ceil(Date.now() / 1000)],
  } as never);
  await publicClient.request({ method: "evm_mine", params: [] } as never);
  const wallets = new Map<number, Wallet>();
  return {
    rpcUrl,
    node,
    chain,
    publicClient,
    wallet(index) {
      let w = wallets.get(index);
      if (w === undefined) {
        w = createWalletClient({
          account: mnemonicToAccount(DEVNET.mnemonic, { addressIndex: index }),
          chain,
          transport,
          pollingInterval: 200,
        });
        wallets.set(index, w);
      }
      return w;
    },
  };
}

async function mined(c: DevnetChain, what: string, send: Promise<Hash>): Promise<void> {
  const receipt = await c.publicClient.waitForTransactionReceipt({ hash: await send, pollingInterval: 100 });
  if (receipt.status !== "success")
    throw new Error(`${what}: transaction ${receipt.transactionHash} reverted`);
}

/**
 * Deploys the contracts with the devnet's parameters (`DEVNET`), genesis `genesisDelaySeconds` ahead of
 * the chain's clock.
 */
export async function deploy(c: DevnetChain, dataDir: string, epochSeconds: number): Promise<Deployment> {
  const latest = await c.publicClient.getBlock();
  const deployment = await deployAll(c.wallet(0), c.publicClient, {
    genesisTime: latest.timestamp + BigInt(DEVNET.genesisDelaySeconds),
    epochSeconds: BigInt(epochSeconds),
    reportCommitteeSize: DEVNET.reportCommitteeSize,
    reportQuorumBps: DEVNET.reportQuorumBps,
    committeePeriodEpochs: DEVNET.committeePeriodEpochs,
    activationDelayEpochs: DEVNET.activationDelayEpochs,
    contestWindowEpochs: DEVNET.contestWindowEpochs,
    recheckDeadlineEpochs: DEVNET.recheckDeadlineEpochs,
    // Reports from the end of the checking phase (the deploy default); lateness, unbonding: the defaults.
  });
  await writeDeploymentFile(join(dataDir, "deployment.json"), deployment);
  return deployment;
}

/**
 * The first epoch whose license snapshot holds all `count` delegated licenses: 1 when they were delegated
 * before genesis (the launch set), else the epoch of the last delegation plus the activation delay.
 */
export async function firstEpochOfLicenses(
  c: DevnetChain,
  deployment: Deployment,
  count: number,
): Promise<bigint> {
  const registry = { address: deployment.contracts.checkerRegistry, abi: checkerRegistryAbi } as const;
  const next = await c.publicClient.readContract({ ...registry, functionName: "effectiveEpochOfChange" });
  for (let e = 1n; e < next; e++) {
    if (
      (await c.publicClient.readContract({ ...registry, functionName: "licenseCountAt", args: [e] })) >= count
    )
      return e;
  }
  return next;
}

/**
 * ETH for gas (from the deployer) to every address below half its share: `DEVNET.gasFunding` each, or an
 * equal part of half the deployer's balance when that is less (100 providers: 10,000 ETH would not do).
 */
export async function fundGas(c: DevnetChain, addresses: readonly Address[]): Promise<void> {
  const deployer = c.wallet(0);
  const balance = await c.publicClient.getBalance({ address: deployer.account.address });
  const share = BigInt(Math.max(1, addresses.length));
  const funding = DEVNET.gasFunding * share <= balance / 2n ? DEVNET.gasFunding : balance / 2n / share;
  for (const to of addresses) {
    const has = await c.publicClient.getBalance({ address: to });
    if (has >= funding / 2n) continue;
    await mined(c, `fund ${to}`, deployer.sendTransaction({ to, value: funding }));
  }
}

export async function transferTokens(
  c: DevnetChain,
  deployment: Deployment,
  to: Address,
  tokens: bigint,
): Promise<void> {
  await mined(
    c,
    `tokens to ${to}`,
    c.wallet(0).writeContract({
      address: deployment.contracts.rewardToken,
      abi: rewardTokenAbi,
      functionName: "transfer",
      args: [to, parseEther(tokens.toString())],
    }),
  );
}

export interface OperatorKeys {
  index: number;
  address: Address;
  secretKey: Uint8Array;
  peerId: string;
}

/** Registers the operator's BLS key with its proof of possession and its libp2p peer id. */
export async function registerOperator(
  c: DevnetChain,
  deployment: Deployment,
  op: OperatorKeys,
): Promise<void> {
  const bls = await loadBlsBackend("auto");
  const domain = {
    chainId: BigInt(deployment.chainId),
    verifyingContract: deployment.contracts.epochReports,
  };
  const pop = proveKeyPossession(bls, op.secretKey, domain, op.address);
  await mined(
    c,
    `register operator ${op.address}`,
    c.wallet(op.index).writeContract({
      address: deployment.contracts.checkerRegistry,
      abi: checkerRegistryAbi,
      functionName: "register",
      args: [
        bytesToHex(g1ToEip2537(bls.publicKey(op.secretKey))),
        bytesToHex(g2ToEip2537(pop)),
        bytesToHex(peerIdFromString(op.peerId).toMultihash().bytes),
      ],
    }),
  );
}

/**
 * Mints `perOperator` licenses for each operator to the license owners
 * (round-robin) and has each owner delegate them: owners are not operators,
 * as in the network the design describes.
 */
export async function mintAndDelegate(
  c: DevnetChain,
  deployment: Deployment,
  operators: readonly Address[],
  perOperator: number,
  ownerIndices: readonly number[],
): Promise<{ licenseId: bigint; owner: Address; operator: Address }[]> {
  const license = { address: deployment.contracts.checkerLicense, abi: checkerLicenseAbi } as const;
  const out: { licenseId: bigint; owner: Address; operator: Address }[] = [];
  let next = (await c.publicClient.readContract({ ...license, functionName: "totalSupply" })) + 1n;
  let k = 0;
  for (const operator of operators) {
    for (let i = 0; i < perOperator; i++, k++) {
      const ownerIndex = ownerIndices[k % ownerIndices.length] as number;
      const owner = c.wallet(ownerIndex);
      await mined(
        c,
        "mint license",
        c.wallet(0).writeContract({ ...license, functionName: "mint", args: [owner.account.address] }),
      );
      const licenseId = next++;
      await mined(
        c,
        `delegate license ${licenseId}`,
        owner.writeContract({ ...license, functionName: "delegate", args: [licenseId, operator] }),
      );
      out.push({ licenseId, owner: owner.account.address, operator });
    }
  }
  return out;
}
