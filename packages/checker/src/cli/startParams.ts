import { DEFAULT_PARAMS, type ProtocolParams } from "@checkernet/protocol/params";
import type { Logger } from "@checkernet/runtime";
import { createPublicClient, type PublicClient } from "viem";
import {
  chainProtocolParams,
  clockMismatch,
  firstParamMismatch,
  readChainParams,
} from "../chain/protocolParams.ts";
import { chainTransport } from "../chain/transport.ts";
import type { CheckerConfig } from "../config.ts";
import { readNetworkDefinition, readNetworkParams } from "../networkDefinition.ts";
import { CliError, CliErrorCode } from "./cliError.ts";

/**
 * The protocol parameters `checker start` runs the node with:
 * - the network file's `params`, after one read of the chain's values (chain/protocolParams.ts): a
 *   parameter the contracts hold with another value refuses the start, on one line naming it, the file's
 *   value and the chain's;
 * - without `params` (a file written before them, or no network file), the chain's values where the
 *   contracts hold them and the built-in defaults for the rest, said in one info line.
 * With a network file, its `genesisTime` and `epochSeconds` must be the chain's too (one line otherwise).
 * Without a chain (no registry or report contract configured) the file's or the built-in ones. An RPC that
 * does not answer at start does not stop it (as the epoch clock's read, services/chainConnection.ts): the
 * node warns and runs with the file's parameters or the defaults.
 *
 * @throws CliError PARAMS_MISMATCH
 */
export async function startParams(
  cfg: CheckerConfig,
  networkFile: string | undefined,
  logger: Logger,
  client?: PublicClient,
): Promise<ProtocolParams> {
  const fromFile = networkFile === undefined ? undefined : readNetworkParams(networkFile);
  const local: ProtocolParams = { ...DEFAULT_PARAMS, ...fromFile, epochSeconds: cfg.epochSeconds };
  const { verifyingContract: epochReports, checkerRegistry, slashingContract: slashing } = cfg;
  if (epochReports === undefined || checkerRegistry === undefined) return local;
  let chain: Awaited<ReturnType<typeof readChainParams>>;
  try {
    chain = await readChainParams(
      client ??
        (createPublicClient({
          transport: chainTransport(cfg.rpcUrl, { fallbacks: cfg.rpcFallbackUrls }),
        }) as PublicClient),
      { epochReports, checkerRegistry, slashing },
    );
  } catch (e) {
    logger.warn(
      { err: (e as Error).message },
      `cannot read the protocol parameters from the chain; running with ${fromFile === undefined ? "the built-in defaults" : "the network file's"} unchecked`,
    );
    return local;
  }
  if (networkFile !== undefined) {
    // The file's own clock first (the error names the file), then the one the node runs with, which a
    // config file, CHECKER_GENESIS_MS / CHECKER_EPOCH_SECONDS or a flag may have overridden.
    const own = readNetworkDefinition(networkFile);
    const sources = [
      {
        clock: { genesisMs: Number(own.genesisMs), epochSeconds: Number(own.epochSeconds) },
        source: `network file ${networkFile}`,
        remedy: "use the network's published file",
      },
      {
        clock: cfg,
        source: `the node's config (a config file, CHECKER_GENESIS_MS / CHECKER_EPOCH_SECONDS or a flag overrides network file ${networkFile})`,
        remedy: "drop the override",
      },
    ];
    for (const { clock, source, remedy } of sources) {
      const wrong = clockMismatch(clock, chain);
      if (wrong !== undefined)
        throw new CliError(
          CliErrorCode.PARAMS_MISMATCH,
          `${wrong.field} is ${wrong.value} in ${source} but the chain's ${wrong.chain}: the node's epochs would not be the chain's; ${remedy}`,
        );
    }
  }
  if (fromFile === undefined) {
    const params = chainProtocolParams(chain);
    const held = Object.keys(chain.held).join(", ");
    logger.info(
      { held },
      networkFile === undefined
        ? "no network file: protocol parameters from the chain where the contracts hold them, built-in defaults for the rest"
        : `the network file ${networkFile} has no params: protocol parameters from the chain where the contracts hold them, built-in defaults for the rest`,
    );
    const wrong = firstParamMismatch(params, chain);
    if (wrong !== undefined) throw mismatchError("the built-in defaults", wrong);
    return params;
  }
  const wrong = firstParamMismatch(fromFile, chain);
  if (wrong !== undefined) throw mismatchError(`network file ${networkFile}`, wrong);
  return { ...local, epochSeconds: chain.epochSeconds };
}

function mismatchError(source: string, wrong: NonNullable<ReturnType<typeof firstParamMismatch>>): CliError {
  return new CliError(
    CliErrorCode.PARAMS_MISMATCH,
    `params.${wrong.name} is ${wrong.value} in ${source} but the chain's ${wrong.chain}: the node would run under other rules than the contracts enforce; use the network's published file`,
  );
}
