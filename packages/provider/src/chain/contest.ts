import { SlashStatus } from "@checkernet/contracts";
import { epochReportsAbi, rewardTokenAbi, slashingAbi } from "@checkernet/contracts/generated/index";
import type { ResultLeaf } from "@checkernet/protocol/merkle/leaves";
import { formatTokens } from "@checkernet/protocol/tokens";
import { Verdict } from "@checkernet/protocol/types";
import { getAddress, type Hash, type Hex, isHex } from "viem";
import type { ProviderChain } from "./client.ts";
import { ChainError, ChainErrorCode, toChainError } from "./errors.ts";
import { approveRewardToken, sendTransaction } from "./send.ts";

const STATUS_NAMES = ["none", "pending", "contested", "executed", "cancelled"] as const;

export interface ContestParameters {
  /** The epoch whose report gave the FAIL verdict. */
  epoch: bigint;
  /** The provider's result leaf of that epoch's report. */
  leaf: ResultLeaf;
  /** Its proof against the report's results root. */
  proof: Hex[];
}

export interface ContestReceipt {
  slashId: bigint;
  bond: bigint;
  approve?: Hash;
  contest: Hash;
  /** The epoch in which the re-check committee re-runs the challenges, and the last epoch for its report. */
  recheckEpoch: bigint;
  resolveDeadline: bigint;
}

/**
 * Contests this provider's slash for `epoch`: checks, before spending gas,
 * that the leaf is this provider's FAIL leaf, that its slash (if already
 * opened) is still pending, that the window is open and that the bond is
 * there; then approves the bond and calls `Slashing.contest`, which also opens
 * the slash when nobody has yet.
 *
 * @example
 * const { slashId } = await contestSlash(chain, { epoch: 12n, leaf, proof })
 * const outcome = await followContest(chain, slashId)
 */
export async function contestSlash(chain: ProviderChain, p: ContestParameters): Promise<ContestReceipt> {
  const me = chain.account.address;
  if (getAddress(p.leaf.provider) !== getAddress(me)) {
    throw new ChainError(
      ChainErrorCode.BAD_ARGUMENT,
      `the leaf is about ${p.leaf.provider}, not this provider ${me}`,
      {},
    );
  }
  if (p.leaf.verdict !== Verdict.FAIL || p.leaf.slashAmount === 0n) {
    throw new ChainError(
      ChainErrorCode.NO_PENDING_SLASH,
      `nothing to contest: the epoch ${p.epoch} leaf is not a FAIL with a slash`,
      {
        verdict: p.leaf.verdict,
      },
    );
  }
  if (!p.proof.every((h) => isHex(h, { strict: true }) && h.length === 66)) {
    throw new ChainError(ChainErrorCode.BAD_ARGUMENT, "the proof must be a list of 32-byte hex nodes", {});
  }
  const slashing = { address: chain.contracts.slashing, abi: slashingAbi } as const;
  let bond: bigint;
  try {
    const [existing, window, landed, currentEpoch, bondAmount, balance] = await Promise.all([
      chain.publicClient.readContract({ ...slashing, functionName: "slashIdOf", args: [p.epoch, me] }),
      chain.publicClient.readContract({ ...slashing, functionName: "contestWindowEpochs" }),
      // Without the reports address (an older deployment file), the reported epoch stands in for the landing
      // epoch: the check is then at most early, and the contract has the last word.
      chain.contracts.epochReports === undefined
        ? Promise.resolve(p.epoch)
        : chain.publicClient.readContract({
            address: chain.contracts.epochReports,
            abi: epochReportsAbi,
            functionName: "landedEpochOf",
            args: [p.epoch],
          }),
      chain.publicClient.readContract({ ...slashing, functionName: "currentEpoch" }),
      chain.publicClient.readContract({ ...slashing, functionName: "contestBond" }),
      chain.publicClient.readContract({
        address: chain.contracts.rewardToken,
        abi: rewardTokenAbi,
        functionName: "balanceOf",
        args: [me],
      }),
    ]);
    bond = bondAmount;
    if (existing !== 0n) {
      const record = await chain.publicClient.readContract({
        ...slashing,
        functionName: "slashOf",
        args: [existing],
      });
      if (record.status !== SlashStatus.Pending) {
        throw new ChainError(
          ChainErrorCode.NO_PENDING_SLASH,
          `slash ${existing} of epoch ${p.epoch} is ${STATUS_NAMES[record.status] ?? record.status}, not pending`,
          { slashId: existing, status: record.status },
        );
      }
    }
    // The window counts from the epoch in which the report landed, not from the reported epoch. No report
    // (landed 0): the contract says so itself (SlashingUnknownEpoch).
    const lastEpoch = BigInt(landed) + BigInt(window);
    if (landed !== 0n && BigInt(currentEpoch) > lastEpoch) {
      throw new ChainError(
        ChainErrorCode.WINDOW_CLOSED,
        `the contest window of epoch ${p.epoch} (its report landed in epoch ${landed}) closed after epoch ${lastEpoch}; it is now epoch ${currentEpoch}`,
        { epoch: p.epoch, landedEpoch: landed, currentEpoch, lastEpoch },
      );
    }
    if (balance < bond) {
      throw new ChainError(
        ChainErrorCode.INSUFFICIENT_BOND,
        `the contest bond is ${formatTokens(bond)} tokens and this provider holds ${formatTokens(balance)}`,
        { bond, balance },
      );
    }
  } catch (err) {
    throw toChainError(err, "contest");
  }
  const approve = await approveRewardToken(chain, "approve bond", chain.contracts.slashing, bond);
  const contest = await sendTransaction(chain, "contest", () =>
    chain.walletClient.writeContract({
      ...slashing,
      functionName: "contest",
      args: [p.epoch, p.leaf, p.proof],
      chain: null,
    }),
  );
  try {
    const slashId = await chain.publicClient.readContract({
      ...slashing,
      functionName: "slashIdOf",
      args: [p.epoch, me],
    });
    const record = await chain.publicClient.readContract({
      ...slashing,
      functionName: "slashOf",
      args: [slashId],
    });
    return {
      slashId,
      bond,
      approve,
      contest,
      recheckEpoch: BigInt(record.recheckEpoch),
      resolveDeadline: BigInt(record.resolveDeadline),
    };
  } catch (err) {
    throw toChainError(err, "contest");
  }
}

export type ContestOutcome =
  | { state: "pending" | "contested"; slashId: bigint; resolveDeadline: bigint }
  /** The re-check confirmed the failure: stake slashed, bond burned. */
  | { state: "upheld"; slashId: bigint; bondBurned: bigint }
  /** The re-check found the provider honest: slash cancelled, bond refunded, accusers penalized. */
  | { state: "overturned"; slashId: bigint; bondRefunded: bigint }
  /**
   * No conclusive re-check (an INCONCLUSIVE verdict, or none by the deadline): slash cancelled, nobody
   * penalized, and the bond forfeited (burned), so that contesting is never free.
   */
  | { state: "expired"; slashId: bigint; bondRefunded: bigint; bondForfeited: bigint }
  /** Executed without a contest. */
  | { state: "executed"; slashId: bigint };

/** Where a contested slash stands, read from its record and the Slashing contract's events. */
export async function contestOutcome(chain: ProviderChain, slashId: bigint): Promise<ContestOutcome> {
  const slashing = { address: chain.contracts.slashing, abi: slashingAbi } as const;
  try {
    const record = await chain.publicClient.readContract({
      ...slashing,
      functionName: "slashOf",
      args: [slashId],
    });
    if (record.status === SlashStatus.None) {
      throw new ChainError(ChainErrorCode.NO_PENDING_SLASH, `no slash has id ${slashId}`, { slashId });
    }
    if (record.status === SlashStatus.Pending || record.status === SlashStatus.Contested) {
      return {
        state: record.status === SlashStatus.Pending ? "pending" : "contested",
        slashId,
        resolveDeadline: BigInt(record.resolveDeadline),
      };
    }
    const events = await chain.publicClient.getContractEvents({
      ...slashing,
      args: { slashId },
      fromBlock: chain.contracts.startBlock ?? 0n,
    });
    let expired: { bondRefunded: bigint } | undefined;
    let forfeited = 0n;
    for (const event of events) {
      const args = event.args as {
        slashId?: bigint;
        bondBurned?: bigint;
        bondRefunded?: bigint;
        bond?: bigint;
      };
      if (args.slashId !== slashId) continue;
      if (event.eventName === "SlashUpheld")
        return { state: "upheld", slashId, bondBurned: args.bondBurned ?? 0n };
      if (event.eventName === "SlashOverturned")
        return { state: "overturned", slashId, bondRefunded: args.bondRefunded ?? 0n };
      if (event.eventName === "ContestExpired") expired = { bondRefunded: args.bondRefunded ?? 0n };
      if (event.eventName === "BondForfeited") forfeited = args.bond ?? 0n;
    }
    if (expired !== undefined) {
      return { state: "expired", slashId, bondRefunded: expired.bondRefunded, bondForfeited: forfeited };
    }
    return { state: "executed", slashId };
  } catch (err) {
    throw toChainError(err, "contest status");
  }
}

/** Polls `contestOutcome` until the contest is resolved (or `signal` aborts). */
export async function followContest(
  chain: ProviderChain,
  slashId: bigint,
  options: { pollMs?: number; signal?: AbortSignal; onPoll?: (o: ContestOutcome) => void } = {},
): Promise<ContestOutcome> {
  for (;;) {
    const outcome = await contestOutcome(chain, slashId);
    options.onPoll?.(outcome);
    if (outcome.state !== "pending" && outcome.state !== "contested") return outcome;
    options.signal?.throwIfAborted();
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 2_000));
  }
}
