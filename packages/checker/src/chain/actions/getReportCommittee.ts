import { epochReportsAbi } from "@checkernet/contracts/generated/index";
import { type Address, getAddress, type PublicClient } from "viem";
import { toChainActionError } from "./errors.ts";

export interface GetReportCommitteeParameters {
  epochReports: Address;
  epoch: bigint;
}

export interface GetReportCommitteeReturnType {
  /** The operator of each seat (seat i = bit i of the signer bitfield); operators may repeat. */
  seats: Address[];
  /** Seats that must sign: quorumFor(seats.length). */
  quorum: number;
}

/**
 * The epoch's report committee as the contract draws it (`reportCommittee`)
 * and the quorum it requires (`quorumFor`).
 *
 * @example
 * const { seats, quorum } = await getReportCommittee(publicClient, { epochReports, epoch });
 */
export async function getReportCommittee(
  client: PublicClient,
  params: GetReportCommitteeParameters,
): Promise<GetReportCommitteeReturnType> {
  try {
    const c = { address: params.epochReports, abi: epochReportsAbi } as const;
    const operators = await client.readContract({
      ...c,
      functionName: "reportCommittee",
      args: [params.epoch],
    });
    const quorum = await client.readContract({
      ...c,
      functionName: "quorumFor",
      args: [BigInt(operators.length)],
    });
    return { seats: operators.map((a) => getAddress(a)), quorum: Number(quorum) };
  } catch (e) {
    throw toChainActionError(e, "reportCommittee");
  }
}
