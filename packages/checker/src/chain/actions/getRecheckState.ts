import type { SlashStatus } from "@checkernet/contracts";
import { epochReportsAbi, slashingAbi } from "@checkernet/contracts/generated/index";
import { type Address, getAddress, type Hex, type PublicClient } from "viem";
import { toChainActionError } from "./errors.ts";

export interface GetRecheckStateParameters {
  slashing: Address;
  epochReports: Address;
  slashId: bigint;
}

export interface RecheckState {
  slashId: bigint;
  provider: Address;
  accusedEpoch: bigint;
  recheckEpoch: bigint;
  /**
   * Epochs from `recheckEpoch` over which the members test the provider, each in its own private epoch
   * (`recheckRunEpoch`); the verdict is accepted from the last of them (`Slashing.recheckWindowEpochs`).
   */
  windowEpochs: bigint;
  resolveDeadline: bigint;
  status: SlashStatus;
  /** The operator of each seat of the re-check committee (seat i = bit i of the signer bitfield; zero: empty). */
  committee: Address[];
  /** Seats that must sign (`EpochReports.quorumFor(committee.length)`). */
  quorum: number;
  /** The contract's clock (`Slashing.currentEpoch`). */
  currentEpoch: bigint;
  /** `EpochReports.domainSeparator`, mixed into the header's signing root. */
  domainSeparator: Hex;
}

/**
 * Where a contested slash stands and who re-checks it. The committee is read
 * from `Slashing.recheckCommittee`, which draws it from the snapshot and seed
 * of the re-check epoch: it is final only once that epoch has begun
 * (currentEpoch ≥ recheckEpoch), because until then the seed proposer of the
 * epoch before may still reveal its seed. Empty seats are the zero address.
 *
 * Every value is read at one block (the head, read first): behind a load-balanced
 * RPC whose backends differ by a block or two, currentEpoch from one backend and
 * recheckCommittee from another still before the re-check epoch's seed was
 * revealed gave a committee drawn with the fallback seed, taken as final. A
 * backend without that block fails the read ("header not found"): the caller
 * reads again.
 *
 * @example
 * const s = await getRecheckState(publicClient, { slashing, epochReports, slashId: 1n });
 * if (s.status === SlashStatus.Contested && s.currentEpoch >= s.recheckEpoch) ...
 */
export async function getRecheckState(
  client: PublicClient,
  params: GetRecheckStateParameters,
): Promise<RecheckState> {
  const slashing = { address: params.slashing, abi: slashingAbi } as const;
  const reports = { address: params.epochReports, abi: epochReportsAbi } as const;
  try {
    const at = { blockNumber: await client.getBlockNumber({ cacheTime: 0 }) };
    const [record, committee, currentEpoch, domainSeparator, windowEpochs] = await Promise.all([
      client.readContract({ ...slashing, functionName: "slashOf", args: [params.slashId], ...at }),
      client.readContract({ ...slashing, functionName: "recheckCommittee", args: [params.slashId], ...at }),
      client.readContract({ ...slashing, functionName: "currentEpoch", ...at }),
      client.readContract({ ...reports, functionName: "domainSeparator", ...at }),
      client.readContract({ ...slashing, functionName: "recheckWindowEpochs", ...at }),
    ]);
    const quorum =
      committee.length === 0
        ? 0
        : await client.readContract({
            ...reports,
            functionName: "quorumFor",
            args: [BigInt(committee.length)],
            ...at,
          });
    return {
      slashId: params.slashId,
      provider: getAddress(record.provider),
      accusedEpoch: BigInt(record.epoch),
      recheckEpoch: BigInt(record.recheckEpoch),
      windowEpochs: BigInt(windowEpochs),
      resolveDeadline: BigInt(record.resolveDeadline),
      status: record.status as SlashStatus,
      committee: committee.map((a) => getAddress(a)),
      quorum: Number(quorum),
      currentEpoch: BigInt(currentEpoch),
      domainSeparator,
    };
  } catch (e) {
    throw toChainActionError(e, "slashOf/recheckCommittee");
  }
}
