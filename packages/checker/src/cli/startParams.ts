import { DEFAULT_PARAMS, type ProtocolParams } from "@checkernet/protocol/params";
import type { Logger } from "@checkernet/runtime";
import {
  BaseError,
  ContractFunctionExecutionError,
  ContractFunctionRevertedError,
  ContractFunctionZeroDataError,
  type PublicClient,
} from "viem";
import { leanPublicClient } from "../chain/leanClients.ts";
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
 * Without a chain (no registry or report contract configured) the file's or the built-in ones. The node
 * never runs with parameters it could not check: while the RPC does not answer, `start` waits for it (one
 * warning a try, naming the RPC, backing off to START_CHAIN_WAIT.maxDelayMs) and goes on once it answers, so
 * an RPC down at start needs no restart. (Running meanwhile would gain little: without the chain the node
 * has no snapshot, committee or provider list to check with; and it cannot swap its parameters once built.)
 *
 * @throws CliError PARAMS_MISMATCH
 */
export async function startParams(
  cfg: CheckerConfig,
  networkFile: string | undefined,
  logger: Logger,
  client?: PublicClient,
  wait: ChainWait = START_CHAIN_WAIT,
): Promise<ProtocolParams> {
  const fromFile = networkFile === undefined ? undefined : readNetworkParams(networkFile);
  const local: ProtocolParams = { ...DEFAULT_PARAMS, ...fromFile, epochSeconds: cfg.epochSeconds };
  const { verifyingContract: epochReports, checkerRegistry, slashingContract: slashing } = cfg;
  if (epochReports === undefined || checkerRegistry === undefined) return local;
  const reader =
    client ?? leanPublicClient({ transport: chainTransport(cfg.rpcUrl, { fallbacks: cfg.rpcFallbackUrls }) });
  const rpc = [cfg.rpcUrl, ...cfg.rpcFallbackUrls].join(", ");
  const chain = await untilAnswered(
    async () => {
      try {
        return await readChainParams(reader, { epochReports, checkerRegistry, slashing });
      } catch (e) {
        throw wrongContract(e, rpc) ?? e;
      }
    },
    (attempt, delayMs, e) =>
      logger.warn(
        { rpc, attempt, retryInMs: delayMs, err: (e as Error).message },
        `cannot read the protocol parameters from the chain at ${rpc}; the node starts once it has checked them (trying again in ${delayMs / 1000} s)`,
      ),
    wait,
  );
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

/** How `start` waits for an RPC that does not answer: the first pause, doubled per try up to the last. */
export interface ChainWait {
  firstDelayMs: number;
  maxDelayMs: number;
}

export const START_CHAIN_WAIT: ChainWait = { firstDelayMs: 1_000, maxDelayMs: 30_000 };

/**
 * The CliError for an answer that waiting will not change: the RPC answered, but a configured address holds no
 * contract (its getter returned no data) or not this network's (the getter reverted): a wrong network file,
 * chain or contract address. Undefined for anything else (no answer, a timeout, a rate limit), which is waited out.
 */
function wrongContract(e: unknown, rpc: string): CliError | undefined {
  if (!(e instanceof BaseError)) return undefined;
  const cause = e.walk(
    (x) => x instanceof ContractFunctionZeroDataError || x instanceof ContractFunctionRevertedError,
  );
  if (cause === null) return undefined;
  const call = e.walk(
    (x) => x instanceof ContractFunctionExecutionError,
  ) as ContractFunctionExecutionError | null;
  const where = call?.contractAddress === undefined ? "" : ` at ${call.contractAddress}`;
  return new CliError(
    CliErrorCode.WRONG_CONTRACT,
    `the chain at ${rpc} answered, but ${call?.functionName ?? "a getter"}()${where} ${cause instanceof ContractFunctionZeroDataError ? "returned no data: no contract there" : "reverted: not this network's contract"}; check the network file's chainId, rpcUrls and contracts, or that the RPC has finished syncing`,
  );
}

/** `read()` until it answers, calling `onFailure` before each pause; a CliError ends the wait. */
async function untilAnswered<T>(
  read: () => Promise<T>,
  onFailure: (attempt: number, delayMs: number, e: unknown) => void,
  wait: ChainWait,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (e) {
      if (e instanceof CliError) throw e;
      const delayMs = Math.min(wait.firstDelayMs * 2 ** Math.min(attempt - 1, 16), wait.maxDelayMs);
      onFailure(attempt, delayMs, e);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
