import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Abi, Hex } from "viem";

type AbiError = Extract<Abi[number], { type: "error" }>;

/** Contracts whose ABI and creation bytecode are exported for viem (src/generated/). */
export const EXPORTED_CONTRACTS = [
  { name: "RewardToken", source: "RewardToken.sol" },
  { name: "CheckerLicense", source: "CheckerLicense.sol" },
  { name: "CheckerRegistry", source: "CheckerRegistry.sol" },
  { name: "ProviderRegistry", source: "ProviderRegistry.sol" },
  { name: "EpochReports", source: "EpochReports.sol" },
  { name: "Slashing", source: "Slashing.sol" },
  { name: "Rewards", source: "Rewards.sol" },
  { name: "FraudProofs", source: "FraudProofs.sol" },
  { name: "BLS12381Mock", source: "mocks/BLS12381Mock.sol" },
  { name: "MatmulEntryMock", source: "mocks/MatmulEntryMock.sol" },
  { name: "VramBlockMock", source: "mocks/VramBlockMock.sol" },
  { name: "NaiveAttestations", source: "bench/NaiveAttestations.sol" },
  { name: "EcdsaReports", source: "bench/EcdsaReports.sol" },
] as const;

export interface CompiledContract {
  name: string;
  abi: Abi;
  bytecode: Hex;
}

/** packages/contracts/artifacts, where `hardhat compile` writes (hardhat.config.ts). */
const ARTIFACTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../artifacts");

/** Reads one contract's Hardhat artifact. Throws with a hint when `hardhat compile` has not run. */
async function readArtifact(name: string, source: string): Promise<CompiledContract> {
  const file = path.join(ARTIFACTS_DIR, "packages/contracts/contracts", source, `${name}.json`);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new Error(`artifact ${file} is missing: run \`npx hardhat compile\` at the repository root`);
  }
  const artifact = JSON.parse(text) as { abi: Abi; bytecode: Hex };
  return { name, abi: artifact.abi, bytecode: artifact.bytecode };
}

function errorSignature(error: AbiError): string {
  return `${error.name}(${error.inputs.map((input) => input.type).join(",")})`;
}

/**
 * Adds to each contract's ABI the custom errors of all the others, so viem
 * decodes an error that bubbles up from a called contract (Slashing calling
 * EpochReports, CheckerLicense calling CheckerRegistry) by its name.
 */
function withSharedErrors(contracts: readonly CompiledContract[]): CompiledContract[] {
  const shared = new Map<string, AbiError>();
  for (const contract of contracts) {
    for (const item of contract.abi) {
      if (item.type === "error") shared.set(errorSignature(item), item);
    }
  }
  return contracts.map((contract) => {
    const own = new Set(
      contract.abi.filter((item): item is AbiError => item.type === "error").map(errorSignature),
    );
    const foreign = [...shared.entries()]
      .filter(([signature]) => !own.has(signature))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([, error]) => error);
    return { ...contract, abi: [...contract.abi, ...foreign] };
  });
}

/** All exported contracts from the artifacts, with shared errors. */
export async function readExportedArtifacts(): Promise<CompiledContract[]> {
  const compiled = await Promise.all(
    EXPORTED_CONTRACTS.map(({ name, source }) => readArtifact(name, source)),
  );
  return withSharedErrors(compiled);
}

/** `EpochReports` -> `epochReports`, `BLS12381Mock` -> `bls12381Mock`. */
export function camelName(name: string): string {
  const leadingCaps = /^[A-Z0-9]+(?=[A-Z][a-z])|^[A-Z0-9]+$|^[A-Z]/.exec(name)?.[0] ?? "";
  return leadingCaps.toLowerCase() + name.slice(leadingCaps.length);
}
