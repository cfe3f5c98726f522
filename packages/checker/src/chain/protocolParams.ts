import { checkerRegistryAbi, epochReportsAbi, slashingAbi } from "@checkernet/contracts/generated/index";
import { epochBounds } from "@checkernet/protocol/epoch";
import { DEFAULT_PARAMS, type ProtocolParams } from "@checkernet/protocol/params";
import type { Address, ContractFunctionParameters, PublicClient } from "viem";
import type { NetworkParams } from "../networkParams.ts";
import { multicallOrEach } from "./actions/multicallOrEach.ts";

/** The contracts that hold protocol parameters; Slashing's are skipped where it is not configured. */
export interface ParamContracts {
  epochReports: Address;
  checkerRegistry: Address;
  slashing?: Address | undefined;
}

type HeldContract = keyof ParamContracts;

/**
 * The protocol parameters the contracts hold, each with the getter that returns it: a node whose value
 * differs would aggregate or re-check under other rules than the chain enforces (a report signed by the
 * wrong number of seats, a re-check after its deadline, a payout over the budget).
 */
const CHAIN_HELD = [
  { name: "reportCommitteeSize", contract: "epochReports", getter: "reportCommitteeSize" },
  { name: "reportQuorumBps", contract: "epochReports", getter: "reportQuorumBps" },
  { name: "committeePeriodEpochs", contract: "epochReports", getter: "committeePeriodEpochs" },
  { name: "reportLatenessEpochs", contract: "epochReports", getter: "reportLatenessEpochs" },
  { name: "epochRewardPool", contract: "epochReports", getter: "epochRewardBudget" },
  { name: "activationDelayEpochs", contract: "checkerRegistry", getter: "activationDelayEpochs" },
  { name: "contestWindowEpochs", contract: "slashing", getter: "contestWindowEpochs" },
  { name: "contestBond", contract: "slashing", getter: "contestBond" },
  { name: "recheckDeadlineEpochs", contract: "slashing", getter: "recheckDeadlineEpochs" },
  { name: "recheckWindowEpochs", contract: "slashing", getter: "recheckWindowEpochs" },
] as const satisfies readonly { name: keyof NetworkParams; contract: HeldContract; getter: string }[];

const CONTRACT_NAMES: Record<HeldContract, string> = {
  epochReports: "EpochReports",
  checkerRegistry: "CheckerRegistry",
  slashing: "Slashing",
};
const ABIS = { epochReports: epochReportsAbi, checkerRegistry: checkerRegistryAbi, slashing: slashingAbi };

/** What the chain says about the parameters, read once at start. */
export interface ChainParams {
  /** EpochReports' clock: unix seconds at which epoch 1 begins. */
  genesisTime: number;
  epochSeconds: number;
  /** Seconds into an epoch before EpochReports accepts its report: the node's checking phase may not end sooner. */
  reportDelaySeconds: number;
  /** The parameters the contracts hold, by ProtocolParams name (Slashing's absent without its address). */
  held: Partial<NetworkParams>;
  /** `Contract.getter()` of each held parameter, for messages. */
  getters: Partial<Record<keyof NetworkParams, string>>;
}

/** Reads every parameter the contracts hold in one (deployless) multicall. */
export async function readChainParams(client: PublicClient, contracts: ParamContracts): Promise<ChainParams> {
  const held = CHAIN_HELD.filter((p) => contracts[p.contract] !== undefined);
  const calls = [
    { contract: "epochReports", getter: "genesisTime" },
    { contract: "epochReports", getter: "epochSeconds" },
    { contract: "epochReports", getter: "reportDelaySeconds" },
    ...held,
  ].map(
    (c) =>
      ({
        address: contracts[c.contract as HeldContract] as Address,
        abi: ABIS[c.contract as HeldContract],
        functionName: c.getter,
      }) as ContractFunctionParameters,
  );
  const values = await multicallOrEach<bigint>(
    client,
    calls,
    (i) => client.readContract(calls[i] as never) as Promise<bigint>,
  );
  const [genesisTime, epochSeconds, reportDelaySeconds, ...rest] = values as bigint[];
  const out: ChainParams = {
    genesisTime: Number(genesisTime),
    epochSeconds: Number(epochSeconds),
    reportDelaySeconds: Number(reportDelaySeconds),
    held: {},
    getters: {},
  };
  held.forEach((p, i) => {
    const value = rest[i] as bigint;
    (out.held as Record<string, number | bigint>)[p.name] =
      typeof DEFAULT_PARAMS[p.name] === "bigint" ? value : Number(value);
    out.getters[p.name] = `${CONTRACT_NAMES[p.contract]}.${p.getter}()`;
  });
  return out;
}

/** Where a node's parameters and the chain's disagree: the parameter, its value and the chain's. */
export interface ParamMismatch {
  name: keyof NetworkParams;
  value: string;
  chain: string;
}

/**
 * Where a network file's clock (`genesisTime`, `epochSeconds`) is not the chain's: the node would number
 * epochs and time its phases on another clock than EpochReports, so every report and seat would be off.
 */
export function clockMismatch(
  file: { genesisMs: number; epochSeconds: number },
  chain: ChainParams,
): { field: "genesisTime" | "epochSeconds"; value: string; chain: string } | undefined {
  if (file.genesisMs !== chain.genesisTime * 1000)
    return {
      field: "genesisTime",
      value: String(file.genesisMs / 1000),
      chain: `EpochReports.genesisTime() = ${chain.genesisTime}`,
    };
  if (file.epochSeconds !== chain.epochSeconds)
    return {
      field: "epochSeconds",
      value: String(file.epochSeconds),
      chain: `EpochReports.epochSeconds() = ${chain.epochSeconds}`,
    };
  return undefined;
}

/**
 * The first parameter the chain refutes: one it holds with another value, or a checking phase that ends
 * before EpochReports accepts reports (the node would submit each report too early).
 */
export function firstParamMismatch(params: NetworkParams, chain: ChainParams): ParamMismatch | undefined {
  for (const [name, held] of Object.entries(chain.held) as [keyof NetworkParams, number | bigint][]) {
    if (params[name] !== held)
      return { name, value: String(params[name]), chain: `${chain.getters[name]} = ${held}` };
  }
  const checkingEndsMs = checkingPhaseMs(chain.epochSeconds, params.checkingPhaseBps);
  if (checkingEndsMs === undefined || checkingEndsMs < chain.reportDelaySeconds * 1000)
    return {
      name: "checkingPhaseBps",
      value: `${params.checkingPhaseBps} (the checking phase ends ${checkingEndsMs === undefined ? "nowhere" : `${checkingEndsMs / 1000} s`} into a ${chain.epochSeconds} s epoch)`,
      chain: `EpochReports.reportDelaySeconds() = ${chain.reportDelaySeconds}, so reports would be sent before the chain accepts them`,
    };
  return undefined;
}

/** The parameters a node runs with where the network file has none: the chain's where it holds them, the built-in defaults otherwise. */
export function chainProtocolParams(chain: ChainParams): ProtocolParams {
  return { ...DEFAULT_PARAMS, ...chain.held, epochSeconds: chain.epochSeconds };
}

/** Milliseconds from an epoch's start to the end of its checking phase (the node's clock, protocol epoch.ts). */
function checkingPhaseMs(epochSeconds: number, checkingPhaseBps: number): number | undefined {
  try {
    const b = epochBounds(1n, 0, epochSeconds, checkingPhaseBps);
    return b.publishStartMs - b.startMs;
  } catch {
    return undefined;
  }
}

/** The parameters a deployment runs under, read from its contracts: what the devnet writes into its network file. */
export async function protocolParamsOnChain(
  client: PublicClient,
  contracts: ParamContracts,
): Promise<ProtocolParams> {
  return chainProtocolParams(await readChainParams(client, contracts));
}
