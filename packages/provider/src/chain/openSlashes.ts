import { SlashStatus, slashingAbi } from "@checkernet/contracts";
import type { Address } from "viem";
import type { ProviderChain } from "./client.ts";
import { toChainError } from "./errors.ts";

/** A slash of this provider that is still open: contestable (pending) or being re-checked (contested). */
export interface OpenSlash {
  slashId: bigint;
  /** The epoch whose report gave the FAIL verdict: what `provider contest <epoch>` takes. */
  epoch: bigint;
  /** Proposed amount, wei. */
  amount: bigint;
  status: "pending" | "contested";
  /** Last epoch in which a contest is accepted. */
  contestDeadline: bigint;
  /** Contested: the last epoch in which the re-check may resolve it. */
  resolveDeadline: bigint;
}

/**
 * This provider's open slashes, oldest first, and the chain's current epoch:
 * every SlashOpened naming it, kept when its record is still pending or
 * contested (a slash is opened once; its record says where it stands now).
 */
export async function openSlashes(
  chain: ProviderChain,
  address: Address = chain.account.address,
): Promise<{ currentEpoch: bigint; slashes: OpenSlash[] }> {
  const slashing = { address: chain.contracts.slashing, abi: slashingAbi } as const;
  try {
    const [opened, currentEpoch] = await Promise.all([
      chain.publicClient.getContractEvents({
        ...slashing,
        eventName: "SlashOpened",
        args: { provider: address },
        fromBlock: chain.contracts.startBlock ?? 0n,
      }),
      chain.publicClient.readContract({ ...slashing, functionName: "currentEpoch" }),
    ]);
    const ids = [
      ...new Set(opened.map((e) => e.args.slashId).filter((id): id is bigint => id !== undefined)),
    ];
    const records = await Promise.all(
      ids.map((id) => chain.publicClient.readContract({ ...slashing, functionName: "slashOf", args: [id] })),
    );
    const slashes: OpenSlash[] = [];
    records.forEach((r, i) => {
      if (r.status !== SlashStatus.Pending && r.status !== SlashStatus.Contested) return;
      slashes.push({
        slashId: ids[i] as bigint,
        epoch: BigInt(r.epoch),
        amount: r.amount,
        status: r.status === SlashStatus.Pending ? "pending" : "contested",
        contestDeadline: BigInt(r.contestDeadline),
        resolveDeadline: BigInt(r.resolveDeadline),
      });
    });
    slashes.sort((a, b) => (a.epoch < b.epoch ? -1 : a.epoch > b.epoch ? 1 : 0));
    return { currentEpoch: BigInt(currentEpoch), slashes };
  } catch (err) {
    throw toChainError(err, "status");
  }
}
