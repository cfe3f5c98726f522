import { DEFAULT_PARAMS } from "@checkernet/protocol/params";
import {
  type Abi,
  type Account,
  type Address,
  type Chain,
  getAddress,
  getContractAddress,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
  zeroHash,
} from "viem";
import { ContractsError } from "./errors.ts";
import * as generated from "./generated/index.ts";

/**
 * Contract parameters that packages/protocol/src/params.ts does not hold,
 * each with where its default comes from.
 */
export const CONTRACT_DEFAULTS = {
  /** One epoch: a license never counts for two operators in the same epoch. */
  delegationCooldownEpochs: 1n,
  /**
   * The activation delay plus a contest window and re-check deadline: an operator cannot leave while its last
   * snapshot's failures can still be contested (the registry requires at least the activation delay).
   */
  exitDelayEpochs: BigInt(
    DEFAULT_PARAMS.activationDelayEpochs +
      DEFAULT_PARAMS.contestWindowEpochs +
      DEFAULT_PARAMS.recheckDeadlineEpochs,
  ),
  /**
   * Twice (report lateness + contest window + re-check deadline): longer than the time during which a reported
   * failure can still be opened and decided, so a provider cannot withdraw ahead of a slash for a failure
   * already committed (the Slashing constructor refuses anything not longer than that sum).
   */
  unbondingEpochs: BigInt(
    2 *
      (DEFAULT_PARAMS.reportLatenessEpochs +
        DEFAULT_PARAMS.contestWindowEpochs +
        DEFAULT_PARAMS.recheckDeadlineEpochs),
  ),
  /** Ten contest bonds: a provider must have something to lose before it is sampled. */
  minProviderStake: 10n * DEFAULT_PARAMS.contestBond,
  /** Four contest windows (16 epochs, 4 hours at 15-minute epochs) of forfeited license rewards per false accusation. */
  accuserJailEpochs: BigInt(4 * DEFAULT_PARAMS.contestWindowEpochs),
  /**
   * One day (96 epochs at 15-minute epochs) out of every committee for signing two attestations for one slot.
   * Unlike a false accusation (a network fluke can overturn an honest FAIL), a conflicting pair is never an
   * accident of the network: it is a stolen key, or one key run by two nodes. A day is long enough for the
   * operator to notice, stop the second node or exit and register a fresh key, and it costs a day of seat
   * rewards, far more than one stalled report could gain; it is 6 accuser jails, not forever, because the
   * honest owner of a stolen key must be able to come back.
   */
  equivocationJailEpochs: BigInt(Math.round((24 * 3600) / DEFAULT_PARAMS.epochSeconds)),
  /**
   * Evidence of epoch e is slashable until e + this: the contest window plus the re-check deadline, the longest
   * the contract allows, because license rewards of e unlock only after that (penaltiesFinalEpoch), so a forfeit
   * accepted in the window always lands before a claim. The exit delay is longer still, so an equivocator cannot
   * leave the registry (taking its key along) before the window closes.
   */
  equivocationWindowEpochs: BigInt(DEFAULT_PARAMS.contestWindowEpochs + DEFAULT_PARAMS.recheckDeadlineEpochs),
  /**
   * A commitment of epoch e can be proven wrong until e + this: the contest window, as long as a committee FAIL
   * can be opened (FraudProofs requires less than unbondingEpochs, so a provider cannot withdraw first).
   */
  fraudProofWindowEpochs: BigInt(DEFAULT_PARAMS.contestWindowEpochs),
  /** A proven fraud slashes what a committee FAIL slashes (params.slashBps), of stake plus unbonding tokens. */
  fraudSlashBps: BigInt(DEFAULT_PARAMS.slashBps),
  /**
   * Half of a fraud slash to the checker named in the signed commitment: far more than the proof's gas, and a
   * provider that names itself to reclaim its slash still loses the other half.
   */
  fraudBountyBps: 5_000n,
  /** Devnet faucet: 1 billion tokens to the deployer. */
  initialSupply: 1_000_000_000n * 10n ** 18n,
} as const;

export interface DeployOptions {
  /** Timestamp at which epoch 1 starts. Default: the latest block's timestamp. */
  genesisTime?: bigint;
  /** Seconds per epoch. Default: params.epochSeconds (900); devnets use a few seconds. */
  epochSeconds?: bigint;
  /** Seats of the report committee (1..190). Default: params.reportCommitteeSize (135). */
  reportCommitteeSize?: number;
  /** Quorum in basis points of seats. Default: params.reportQuorumBps (6000: 81 of 135). */
  reportQuorumBps?: number;
  /** Epochs per committee period (the report committee is sealed once per period). Default: params.committeePeriodEpochs. */
  committeePeriodEpochs?: bigint;
  /** Epochs between a membership change and the first snapshot holding it (≥ 2). Default: params.activationDelayEpochs. */
  activationDelayEpochs?: bigint;
  /** Seconds into an epoch before its report is accepted. Default: the checking phase (epochSeconds · checkingPhaseBps). */
  reportDelaySeconds?: bigint;
  /** Epochs after its own during which a report is accepted. Default: params.reportLatenessEpochs. */
  reportLatenessEpochs?: bigint;
  /** The most a report may pay out. Default: params.epochRewardPool. */
  epochRewardBudget?: bigint;
  /** Seed of epoch 0. Default: zero, which makes the contract derive one from prevrandao. */
  genesisSeed?: Hex;
  /** Default: params.contestWindowEpochs (4). */
  contestWindowEpochs?: bigint;
  /** Default: params.contestBond (100 tokens). */
  contestBond?: bigint;
  /** Default: params.recheckDeadlineEpochs (4). */
  recheckDeadlineEpochs?: bigint;
  /** Default: reportCommitteeSize (a re-check committee decides a slash: the same capture target). */
  recheckCommitteeSize?: number;
  accuserJailEpochs?: bigint;
  /** Default: CONTRACT_DEFAULTS.equivocationJailEpochs (one day). */
  equivocationJailEpochs?: bigint;
  /**
   * Default: CONTRACT_DEFAULTS.equivocationWindowEpochs, capped at contestWindowEpochs + recheckDeadlineEpochs
   * when those are given.
   */
  equivocationWindowEpochs?: bigint;
  /**
   * Epochs over which re-check members test the provider at private moments. Default: params.recheckWindowEpochs,
   * shortened to recheckDeadlineEpochs − 1 when the deadline given is shorter.
   */
  recheckWindowEpochs?: bigint;
  delegationCooldownEpochs?: bigint;
  exitDelayEpochs?: bigint;
  unbondingEpochs?: bigint;
  minProviderStake?: bigint;
  /** Default: CONTRACT_DEFAULTS.fraudProofWindowEpochs, or contestWindowEpochs when that is given. */
  fraudProofWindowEpochs?: bigint;
  /** Default: CONTRACT_DEFAULTS.fraudSlashBps (params.slashBps). */
  fraudSlashBps?: bigint;
  /** Default: CONTRACT_DEFAULTS.fraudBountyBps. */
  fraudBountyBps?: bigint;
  /** Tokens minted to `initialHolder` at deployment. */
  initialSupply?: bigint;
  /** Receives the initial supply. Default: the deployer. */
  initialHolder?: Address;
  /** May mint licenses (and nothing else). Default: the deployer. */
  licenseOwner?: Address;
}

export interface ContractAddresses {
  epochReports: Address;
  rewardToken: Address;
  checkerRegistry: Address;
  checkerLicense: Address;
  providerRegistry: Address;
  slashing: Address;
  rewards: Address;
  fraudProofs: Address;
}

/** What the devnet and the nodes need to find and use a deployment. */
export interface Deployment {
  chainId: number;
  deployer: Address;
  /** Block of the first deployment transaction: nodes scan events from here. */
  startBlock: bigint;
  genesisTime: bigint;
  epochSeconds: bigint;
  contracts: ContractAddresses;
}

export type DeployErrorCode =
  | "DEPLOY_ERROR_NO_ACCOUNT"
  | "DEPLOY_ERROR_ADDRESS_MISMATCH"
  | "DEPLOY_ERROR_REVERTED";

export class DeployError extends ContractsError {
  override name = "DeployError";
  readonly code: DeployErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: DeployErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

/**
 * The contracts refer to each other through immutables (the license and the
 * registry notify each other, the token's minter is the rewards contract), so
 * every address is computed from the deployer's nonce first and passed to the
 * constructors. EpochReports comes first: it is the domain's verifying
 * contract, and the first contract of the default Hardhat account has the
 * address the protocol's golden vectors were signed for.
 */
export const DEPLOY_ORDER = [
  "epochReports",
  "rewardToken",
  "checkerRegistry",
  "checkerLicense",
  "providerRegistry",
  "slashing",
  "rewards",
  "fraudProofs",
] as const satisfies readonly (keyof ContractAddresses)[];

/**
 * Deploys the whole contract set from `walletClient`'s account and returns
 * the addresses. Sends eight transactions in order and waits for each.
 *
 * @example
 * const deployment = await deployAll(walletClient, publicClient, { epochSeconds: 10n });
 * await walletClient.writeContract({ address: deployment.contracts.checkerLicense, abi: checkerLicenseAbi,
 *   functionName: "mint", args: [owner] });
 */
export async function deployAll(
  walletClient: WalletClient<Transport, Chain | undefined, Account | undefined>,
  publicClient: PublicClient,
  options: DeployOptions = {},
): Promise<Deployment> {
  const account = walletClient.account;
  if (account === undefined) {
    throw new DeployError("DEPLOY_ERROR_NO_ACCOUNT", "the wallet client has no account to deploy from");
  }
  const deployer = getAddress(account.address);
  const chainId = await publicClient.getChainId();
  const latest = await publicClient.getBlock();
  const genesisTime = options.genesisTime ?? latest.timestamp;
  const epochSeconds = options.epochSeconds ?? BigInt(DEFAULT_PARAMS.epochSeconds);
  const reportCommitteeSize = options.reportCommitteeSize ?? DEFAULT_PARAMS.reportCommitteeSize;
  const recheckCommitteeSize = options.recheckCommitteeSize ?? reportCommitteeSize;
  const recheckDeadlineEpochs = options.recheckDeadlineEpochs ?? BigInt(DEFAULT_PARAMS.recheckDeadlineEpochs);
  // The window must end by the deadline (deadline ≥ 2 + window − 1): a shorter deadline gets a shorter window.
  const recheckWindowEpochs =
    options.recheckWindowEpochs ??
    BigInt(Math.max(1, Math.min(DEFAULT_PARAMS.recheckWindowEpochs, Number(recheckDeadlineEpochs) - 1)));
  const activationDelayEpochs = options.activationDelayEpochs ?? BigInt(DEFAULT_PARAMS.activationDelayEpochs);
  const contestWindowEpochs = options.contestWindowEpochs ?? BigInt(DEFAULT_PARAMS.contestWindowEpochs);

  const nonce = await publicClient.getTransactionCount({ address: deployer, blockTag: "pending" });
  const addresses = Object.fromEntries(
    DEPLOY_ORDER.map((name, i) => [name, getContractAddress({ from: deployer, nonce: BigInt(nonce + i) })]),
  ) as unknown as ContractAddresses;

  const constructors: Record<keyof ContractAddresses, { abi: Abi; bytecode: Hex; args: readonly unknown[] }> =
    {
      epochReports: {
        abi: generated.epochReportsAbi,
        bytecode: generated.epochReportsBytecode,
        args: [
          genesisTime,
          epochSeconds,
          addresses.checkerRegistry,
          {
            committeeSize: BigInt(reportCommitteeSize),
            quorumBps: BigInt(options.reportQuorumBps ?? DEFAULT_PARAMS.reportQuorumBps),
            committeePeriodEpochs:
              options.committeePeriodEpochs ?? BigInt(DEFAULT_PARAMS.committeePeriodEpochs),
            reportDelaySeconds:
              options.reportDelaySeconds ??
              (epochSeconds * BigInt(DEFAULT_PARAMS.checkingPhaseBps)) / 10_000n,
            reportLatenessEpochs: options.reportLatenessEpochs ?? BigInt(DEFAULT_PARAMS.reportLatenessEpochs),
            rewardBudget: options.epochRewardBudget ?? DEFAULT_PARAMS.epochRewardPool,
            genesisSeed: options.genesisSeed ?? zeroHash,
          },
        ],
      },
      rewardToken: {
        abi: generated.rewardTokenAbi,
        bytecode: generated.rewardTokenBytecode,
        args: [
          addresses.rewards,
          options.initialHolder ?? deployer,
          options.initialSupply ?? CONTRACT_DEFAULTS.initialSupply,
        ],
      },
      checkerRegistry: {
        abi: generated.checkerRegistryAbi,
        bytecode: generated.checkerRegistryBytecode,
        args: [
          genesisTime,
          epochSeconds,
          addresses.checkerLicense,
          addresses.slashing,
          addresses.epochReports,
          options.exitDelayEpochs ?? maxBigInt(CONTRACT_DEFAULTS.exitDelayEpochs, activationDelayEpochs),
          activationDelayEpochs,
        ],
      },
      checkerLicense: {
        abi: generated.checkerLicenseAbi,
        bytecode: generated.checkerLicenseBytecode,
        args: [
          genesisTime,
          epochSeconds,
          options.licenseOwner ?? deployer,
          addresses.checkerRegistry,
          options.delegationCooldownEpochs ?? CONTRACT_DEFAULTS.delegationCooldownEpochs,
        ],
      },
      providerRegistry: {
        abi: generated.providerRegistryAbi,
        bytecode: generated.providerRegistryBytecode,
        args: [
          genesisTime,
          epochSeconds,
          addresses.rewardToken,
          addresses.slashing,
          addresses.fraudProofs,
          options.minProviderStake ?? CONTRACT_DEFAULTS.minProviderStake,
          options.unbondingEpochs ?? CONTRACT_DEFAULTS.unbondingEpochs,
          // Answer keys follow the registries' activation-delay convention (a change in c counts from c + A).
          activationDelayEpochs,
        ],
      },
      slashing: {
        abi: generated.slashingAbi,
        bytecode: generated.slashingBytecode,
        args: [
          genesisTime,
          epochSeconds,
          {
            reports: addresses.epochReports,
            providers: addresses.providerRegistry,
            registry: addresses.checkerRegistry,
            token: addresses.rewardToken,
          },
          {
            contestWindowEpochs,
            contestBond: options.contestBond ?? DEFAULT_PARAMS.contestBond,
            recheckDeadlineEpochs,
            recheckCommitteeSize: BigInt(recheckCommitteeSize),
            accuserJailEpochs: options.accuserJailEpochs ?? CONTRACT_DEFAULTS.accuserJailEpochs,
            recheckWindowEpochs: recheckWindowEpochs,
            equivocationJailEpochs:
              options.equivocationJailEpochs ?? CONTRACT_DEFAULTS.equivocationJailEpochs,
            equivocationWindowEpochs:
              options.equivocationWindowEpochs ??
              minBigInt(
                CONTRACT_DEFAULTS.equivocationWindowEpochs,
                contestWindowEpochs + recheckDeadlineEpochs,
              ),
          },
        ],
      },
      rewards: {
        abi: generated.rewardsAbi,
        bytecode: generated.rewardsBytecode,
        args: [
          addresses.epochReports,
          addresses.rewardToken,
          addresses.checkerLicense,
          addresses.checkerRegistry,
          addresses.slashing,
        ],
      },
      fraudProofs: {
        abi: generated.fraudProofsAbi,
        bytecode: generated.fraudProofsBytecode,
        args: [
          genesisTime,
          epochSeconds,
          addresses.providerRegistry,
          addresses.slashing,
          options.fraudProofWindowEpochs ??
            options.contestWindowEpochs ??
            CONTRACT_DEFAULTS.fraudProofWindowEpochs,
          options.fraudSlashBps ?? CONTRACT_DEFAULTS.fraudSlashBps,
          options.fraudBountyBps ?? CONTRACT_DEFAULTS.fraudBountyBps,
        ],
      },
    };

  let startBlock: bigint | undefined;
  for (const [i, name] of DEPLOY_ORDER.entries()) {
    const { abi, bytecode, args } = constructors[name];
    const hash = await walletClient.deployContract({
      abi,
      bytecode,
      args,
      account,
      chain: walletClient.chain,
      nonce: nonce + i,
    });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") {
      throw new DeployError("DEPLOY_ERROR_REVERTED", `deployment of ${name} reverted`, { hash });
    }
    if (receipt.contractAddress?.toLowerCase() !== addresses[name].toLowerCase()) {
      throw new DeployError(
        "DEPLOY_ERROR_ADDRESS_MISMATCH",
        `${name} landed at ${receipt.contractAddress}, not at the predicted ${addresses[name]}: another transaction from the deployer interleaved`,
        { expected: addresses[name], actual: receipt.contractAddress },
      );
    }
    startBlock ??= receipt.blockNumber;
  }

  return {
    chainId,
    deployer,
    startBlock: startBlock ?? latest.number,
    genesisTime,
    epochSeconds,
    contracts: addresses,
  };
}

function maxBigInt(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function minBigInt(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
