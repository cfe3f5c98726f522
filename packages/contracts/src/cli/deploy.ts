/**
 * Deploys the contract set to a running node and writes the addresses.
 *
 *   npx tsx packages/contracts/src/cli/deploy.ts <out.json> [--rpc http://127.0.0.1:8545]
 *       [--epoch-seconds 10] [--genesis-delay 0] [--committee-size 16]
 *
 * The deployer is CHECKERNET_DEPLOYER_KEY (a 0x private key) when set, else
 * the node's first unlocked account (what `hardhat node` offers).
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import {
  type Account,
  type Address,
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  type PublicClient,
  type Transport,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { type Deployment, type DeployOptions, deployAll } from "../deploy.ts";
import { writeDeploymentFile } from "../deploymentFile.ts";

export interface DeployToNodeOptions extends DeployOptions {
  /** Seconds between now (the node's latest block) and the start of epoch 1. */
  genesisDelaySeconds?: bigint;
  /** A private key; default: the node's first unlocked account. */
  privateKey?: Hex;
}

/** Deploys through `transport` and writes `outFile`; returns the deployment. */
export async function deployToNode(
  transport: Transport,
  outFile: string,
  options: DeployToNodeOptions = {},
): Promise<Deployment> {
  const publicClient = createPublicClient({ transport }) as PublicClient;
  const chainId = await publicClient.getChainId();
  const chain = {
    id: chainId,
    name: `chain-${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [] } },
  };
  let account: Account | Address;
  if (options.privateKey !== undefined) {
    account = privateKeyToAccount(options.privateKey);
  } else {
    const [first] = await createWalletClient({ transport }).getAddresses();
    if (first === undefined) throw new Error("the node has no unlocked account; set CHECKERNET_DEPLOYER_KEY");
    account = first;
  }
  const walletClient = createWalletClient({ account, chain, transport });
  const latest = await publicClient.getBlock();
  const deployment = await deployAll(walletClient, publicClient, {
    genesisTime: latest.timestamp + (options.genesisDelaySeconds ?? 0n),
    ...options,
  });
  await mkdir(path.dirname(path.resolve(outFile)), { recursive: true });
  await writeDeploymentFile(outFile, deployment);
  return deployment;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      rpc: { type: "string", default: "http://127.0.0.1:8545" },
      "epoch-seconds": { type: "string" },
      "genesis-delay": { type: "string", default: "0" },
      "committee-size": { type: "string" },
    },
  });
  const outFile = positionals[0];
  if (outFile === undefined) {
    console.error(
      "usage: deploy.ts <out.json> [--rpc URL] [--epoch-seconds N] [--genesis-delay S] [--committee-size K]",
    );
    process.exit(2);
  }
  const deployment = await deployToNode(http(values.rpc), outFile, {
    genesisDelaySeconds: BigInt(values["genesis-delay"]),
    ...(values["epoch-seconds"] !== undefined && { epochSeconds: BigInt(values["epoch-seconds"]) }),
    ...(values["committee-size"] !== undefined && { reportCommitteeSize: Number(values["committee-size"]) }),
    ...(process.env.CHECKERNET_DEPLOYER_KEY !== undefined && {
      privateKey: process.env.CHECKERNET_DEPLOYER_KEY as Hex,
    }),
  });
  console.log(`deployed to chain ${deployment.chainId}; addresses written to ${outFile}`);
  for (const [name, address] of Object.entries(deployment.contracts))
    console.log(`  ${name.padEnd(17)} ${address}`);
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  await main();
}
