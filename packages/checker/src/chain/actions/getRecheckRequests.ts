import { slashingAbi } from "@checkernet/contracts/generated/index";
import { type Address, getAddress, type PublicClient } from "viem";
import { toChainActionError } from "./errors.ts";

export interface GetRecheckRequestsParameters {
  slashing: Address;
  fromBlock: bigint;
  toBlock: bigint;
}

/** One `RecheckRequested` event. */
export interface RecheckRequest {
  slashId: bigint;
  provider: Address;
  accusedEpoch: bigint;
  recheckEpoch: bigint;
  resolveDeadline: bigint;
  committeeSize: number;
  blockNumber: bigint;
}

/**
 * The re-checks requested (`Slashing.RecheckRequested`) in blocks
 * fromBlock..toBlock, oldest first.
 *
 * @example
 * const requests = await getRecheckRequests(publicClient, { slashing, fromBlock: 0n, toBlock: 100n });
 */
export async function getRecheckRequests(
  client: PublicClient,
  params: GetRecheckRequestsParameters,
): Promise<RecheckRequest[]> {
  try {
    const logs = await client.getContractEvents({
      address: params.slashing,
      abi: slashingAbi,
      eventName: "RecheckRequested",
      fromBlock: params.fromBlock,
      toBlock: params.toBlock,
      strict: true,
    });
    return logs.map((log) => ({
      slashId: log.args.slashId,
      provider: getAddress(log.args.provider),
      accusedEpoch: BigInt(log.args.accusedEpoch),
      recheckEpoch: BigInt(log.args.recheckEpoch),
      resolveDeadline: BigInt(log.args.resolveDeadline),
      committeeSize: Number(log.args.committeeSize),
      blockNumber: log.blockNumber,
    }));
  } catch (e) {
    throw toChainActionError(e, "RecheckRequested logs");
  }
}
