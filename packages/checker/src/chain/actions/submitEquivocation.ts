import { slashEquivocationArgs } from "@checkernet/contracts/equivocation";
import { slashingAbi } from "@checkernet/contracts/generated/index";
import { g2ToEip2537 } from "@checkernet/protocol/bls/eip2537";
import { canonicalEquivocation, type EquivocationEvidence } from "@checkernet/protocol/equivocation";
import {
  type Account,
  type Address,
  type Chain,
  type Hash,
  hexToBytes,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { CheckerError } from "../../errors.ts";
import { ChainActionErrorCode, toChainActionError } from "./errors.ts";

export interface SubmitEquivocationParameters {
  slashing: Address;
  /** Two attestations of one (epoch, provider) signed by one checker (packages/protocol `EquivocationEvidence`). */
  evidence: EquivocationEvidence;
}

export interface SubmitEquivocationReturnType {
  /** null when the checker was already slashed for that epoch (by this evidence or another): nothing was sent. */
  hash: Hash | null;
  gasUsed: bigint;
}

/** Why the contract refused the evidence (one code per revert of `slashEquivocation`), or the chain failed. */
export const SubmitEquivocationErrorCode = {
  /** The attestations differ in epoch, provider or checker. */
  NOT_SAME_SLOT: "SUBMIT_EQUIVOCATION_ERROR_NOT_SAME_SLOT",
  /** Both attestations are the same message. */
  SAME_ROOT: "SUBMIT_EQUIVOCATION_ERROR_SAME_ROOT",
  /** The epoch is in the future or older than `equivocationWindowEpochs`: the evidence is useless now. */
  OUTSIDE_WINDOW: "SUBMIT_EQUIVOCATION_ERROR_OUTSIDE_WINDOW",
  /** The checker has no key in the CheckerRegistry (never registered, or exited). */
  UNKNOWN_CHECKER: "SUBMIT_EQUIVOCATION_ERROR_UNKNOWN_CHECKER",
  /** The first attestation's signature (as given in `evidence`) does not verify. */
  BAD_SIGNATURE_FIRST: "SUBMIT_EQUIVOCATION_ERROR_BAD_SIGNATURE_FIRST",
  /** The second attestation's signature (as given in `evidence`) does not verify. */
  BAD_SIGNATURE_SECOND: "SUBMIT_EQUIVOCATION_ERROR_BAD_SIGNATURE_SECOND",
  /** Any other revert (`details.revert` names it). */
  REVERTED: ChainActionErrorCode.REVERTED,
  /** The RPC failed: retry later. */
  RPC: ChainActionErrorCode.RPC,
  /** The transaction was mined but failed. */
  FAILED: ChainActionErrorCode.FAILED,
} as const;
export type SubmitEquivocationErrorCode =
  (typeof SubmitEquivocationErrorCode)[keyof typeof SubmitEquivocationErrorCode];

export class SubmitEquivocationError extends CheckerError {
  override name = "SubmitEquivocationError";
  readonly code: SubmitEquivocationErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: SubmitEquivocationErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(`${message} [${code}]`);
    this.code = code;
    this.details = details;
  }
}

const REVERT_CODES: Record<string, SubmitEquivocationErrorCode> = {
  SlashingEquivocationNotSameSlot: SubmitEquivocationErrorCode.NOT_SAME_SLOT,
  SlashingEquivocationSameRoot: SubmitEquivocationErrorCode.SAME_ROOT,
  SlashingEquivocationOutsideWindow: SubmitEquivocationErrorCode.OUTSIDE_WINDOW,
  SlashingEquivocationUnknownChecker: SubmitEquivocationErrorCode.UNKNOWN_CHECKER,
};

/**
 * Sends `Slashing.slashEquivocation` with both signed attestations of
 * `evidence` (canonical order, signatures expanded to EIP-2537): the
 * checker that signed them forfeits its licenses' rewards of the epoch and
 * is jailed. Anyone may call it. The contract's checks run first in gas
 * estimation, so refused evidence costs no gas and throws a
 * SubmitEquivocationError naming the rule; a checker already slashed for
 * that epoch is not an error (hash null), so racing reporters stay quiet.
 *
 * @example
 * const { hash } = await submitEquivocation(publicClient, walletClient, { slashing, evidence });
 */
export async function submitEquivocation(
  publicClient: PublicClient,
  walletClient: WalletClient<Transport, Chain | undefined, Account>,
  params: SubmitEquivocationParameters,
): Promise<SubmitEquivocationReturnType> {
  const { evidence, slashing } = params;
  const { checker, epoch } = evidence.first.attestation;
  // FIRST / SECOND name the halves as the caller gave them, as verifyEquivocation does.
  const swapped = canonicalEquivocation(evidence).first !== evidence.first;
  const halfCode = (canonicalIndex: number) =>
    (canonicalIndex === 0) !== swapped
      ? SubmitEquivocationErrorCode.BAD_SIGNATURE_FIRST
      : SubmitEquivocationErrorCode.BAD_SIGNATURE_SECOND;

  let args: ReturnType<typeof slashEquivocationArgs>;
  try {
    args = slashEquivocationArgs(evidence);
  } catch (e) {
    // A signature that is not a G2 point can never verify: refused before any RPC.
    const bad = badPointIndex(evidence);
    throw new SubmitEquivocationError(halfCode(bad), "an attestation signature is not a valid BLS point", {
      reason: (e as Error).message,
    });
  }

  const already = await publicClient
    .readContract({
      address: slashing,
      abi: slashingAbi,
      functionName: "isEquivocationSlashed",
      args: [checker, epoch],
    })
    .catch((e: unknown) => {
      throw fromChainActionError(e, "isEquivocationSlashed");
    });
  if (already) return { hash: null, gasUsed: 0n };

  let hash: Hash;
  try {
    hash = await walletClient.writeContract({
      address: slashing,
      abi: slashingAbi,
      functionName: "slashEquivocation",
      args: [...args],
      chain: walletClient.chain ?? null,
      account: walletClient.account,
    });
  } catch (e) {
    const err = toChainActionError(e, "slashEquivocation");
    const revert = err.details.revert as string | undefined;
    if (revert === "SlashingEquivocationAlreadySlashed") return { hash: null, gasUsed: 0n };
    if (revert === "SlashingEquivocationInvalidSignature") {
      const [index] = err.details.args as readonly [bigint, unknown];
      throw new SubmitEquivocationError(
        halfCode(Number(index)),
        err.message.replace(/ \[[A-Z_]+\]$/, ""),
        err.details,
      );
    }
    const code = revert === undefined ? undefined : REVERT_CODES[revert];
    if (code !== undefined) {
      throw new SubmitEquivocationError(code, err.message.replace(/ \[[A-Z_]+\]$/, ""), err.details);
    }
    throw fromChainActionError(err, "slashEquivocation");
  }
  let receipt: Awaited<ReturnType<PublicClient["waitForTransactionReceipt"]>>;
  try {
    receipt = await publicClient.waitForTransactionReceipt({ hash });
  } catch (e) {
    throw fromChainActionError(e, "slashEquivocation receipt");
  }
  if (receipt.status !== "success") {
    throw new SubmitEquivocationError(
      SubmitEquivocationErrorCode.FAILED,
      "slashEquivocation transaction failed",
      {
        hash,
      },
    );
  }
  return { hash, gasUsed: receipt.gasUsed };
}

function fromChainActionError(e: unknown, action: string): SubmitEquivocationError {
  const err = toChainActionError(e, action);
  const code =
    err.code === ChainActionErrorCode.RPC
      ? SubmitEquivocationErrorCode.RPC
      : err.code === ChainActionErrorCode.FAILED
        ? SubmitEquivocationErrorCode.FAILED
        : SubmitEquivocationErrorCode.REVERTED;
  return new SubmitEquivocationError(code, err.message.replace(/ \[[A-Z_]+\]$/, ""), err.details);
}

/** The canonical index (0 or 1) of the first half whose signature does not expand to a G2 point. */
function badPointIndex(evidence: EquivocationEvidence): number {
  try {
    g2ToEip2537(hexToBytes(canonicalEquivocation(evidence).first.signature));
    return 1;
  } catch {
    return 0;
  }
}
