import { checkerRegistryAbi } from "@checkernet/contracts/generated/index";
import { leanPublicClient } from "../chain/leanClients.ts";
import { chainTransport } from "../chain/transport.ts";
import type { CheckerConfig } from "../config.ts";
import { CliError, CliErrorCode } from "./cliError.ts";

/**
 * `checker start` refuses an operator with more licenses delegated than one
 * node runs (maxLicensesPerNode, at most MAX_LICENSES_PER_NODE): past the
 * measured size the node's memory and the epoch's work are untested. An RPC
 * that does not answer does not stop the start (the node reports RPC_DOWN
 * and reads the weight again each epoch).
 *
 * @throws CliError TOO_MANY_LICENSES
 */
export async function checkLicenseLimit(cfg: CheckerConfig): Promise<void> {
  if (cfg.operatorAddress === undefined || cfg.checkerRegistry === undefined) return;
  const client = leanPublicClient({
    transport: chainTransport(cfg.rpcUrl, { fallbacks: cfg.rpcFallbackUrls }),
  });
  let weight: bigint;
  try {
    weight = await client.readContract({
      address: cfg.checkerRegistry,
      abi: checkerRegistryAbi,
      functionName: "weightOf",
      args: [cfg.operatorAddress],
    });
  } catch {
    return;
  }
  if (weight > BigInt(cfg.maxLicensesPerNode))
    throw new CliError(
      CliErrorCode.TOO_MANY_LICENSES,
      `operator ${cfg.operatorAddress} has ${weight} licenses delegated; one node runs at most maxLicensesPerNode = ${cfg.maxLicensesPerNode} (CHECKER_MAX_LICENSES_PER_NODE; docs/operator.md "Sizing"): undelegate ${weight - BigInt(cfg.maxLicensesPerNode)} to a second operator`,
    );
}
