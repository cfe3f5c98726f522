import { readFile, writeFile } from "node:fs/promises";
import { type Address, getAddress, isAddress } from "viem";
import { type ContractAddresses, DEPLOY_ORDER, type Deployment } from "./deploy.ts";
import { ContractsError } from "./errors.ts";

/**
 * The JSON file a deployment is written to and the nodes read: bigints as
 * decimal strings, addresses checksummed.
 *
 * {
 *   "chainId": 31337, "deployer": "0x…", "startBlock": "1",
 *   "genesisTime": "1795603042", "epochSeconds": "10",
 *   "contracts": { "epochReports": "0x…", "rewardToken": "0x…", "checkerRegistry": "0x…",
 *                  "checkerLicense": "0x…", "providerRegistry": "0x…", "slashing": "0x…", "rewards": "0x…",
 *                  "fraudProofs": "0x…" }
 * }
 */
export interface DeploymentFile {
  chainId: number;
  deployer: Address;
  startBlock: string;
  genesisTime: string;
  epochSeconds: string;
  contracts: ContractAddresses;
}

export class DeploymentFileError extends ContractsError {
  override name = "DeploymentFileError";
  readonly field: string;
  constructor(field: string, message: string) {
    super(`deployment file: ${field}: ${message}`);
    this.field = field;
  }
}

export function toDeploymentFile(deployment: Deployment): DeploymentFile {
  return {
    chainId: deployment.chainId,
    deployer: deployment.deployer,
    startBlock: deployment.startBlock.toString(),
    genesisTime: deployment.genesisTime.toString(),
    epochSeconds: deployment.epochSeconds.toString(),
    contracts: deployment.contracts,
  };
}

function bigintField(record: Record<string, unknown>, field: string): bigint {
  const value = record[field];
  if (typeof value !== "string" || !/^[0-9]+$/.test(value)) {
    throw new DeploymentFileError(field, "must be a decimal string");
  }
  return BigInt(value);
}

function addressField(value: unknown, field: string): Address {
  if (typeof value !== "string" || !isAddress(value, { strict: false })) {
    throw new DeploymentFileError(field, "must be a 20-byte hex address");
  }
  return getAddress(value);
}

/** Parses and checks a deployment file's JSON text; every error names the field. */
export function parseDeploymentFile(text: string): Deployment {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new DeploymentFileError("(root)", `not JSON: ${(cause as Error).message}`);
  }
  if (typeof json !== "object" || json === null) throw new DeploymentFileError("(root)", "must be an object");
  const record = json as Record<string, unknown>;
  if (typeof record.chainId !== "number" || !Number.isSafeInteger(record.chainId) || record.chainId <= 0) {
    throw new DeploymentFileError("chainId", "must be a positive integer");
  }
  const contracts = record.contracts;
  if (typeof contracts !== "object" || contracts === null) {
    throw new DeploymentFileError("contracts", "must be an object");
  }
  const addresses = Object.fromEntries(
    DEPLOY_ORDER.map((key) => [
      key,
      addressField((contracts as Record<string, unknown>)[key], `contracts.${key}`),
    ]),
  ) as unknown as ContractAddresses;
  return {
    chainId: record.chainId,
    deployer: addressField(record.deployer, "deployer"),
    startBlock: bigintField(record, "startBlock"),
    genesisTime: bigintField(record, "genesisTime"),
    epochSeconds: bigintField(record, "epochSeconds"),
    contracts: addresses,
  };
}

export async function writeDeploymentFile(path: string, deployment: Deployment): Promise<void> {
  await writeFile(path, `${JSON.stringify(toDeploymentFile(deployment), null, 2)}\n`);
}

/**
 * Reads the file written by `writeDeploymentFile` (or the deploy CLI).
 *
 * @example
 * const { contracts, genesisTime, epochSeconds } = await readDeploymentFile(".devnet/deployment.json");
 */
export async function readDeploymentFile(path: string): Promise<Deployment> {
  return parseDeploymentFile(await readFile(path, "utf8"));
}
