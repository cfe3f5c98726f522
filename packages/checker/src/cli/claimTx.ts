import { readFile } from "node:fs/promises";
import { rewardsAbi } from "@checkernet/contracts/generated/index";
import { formatTokens } from "@checkernet/protocol/tokens";
import {
  type Address,
  decodeFunctionData,
  encodeFunctionData,
  getAddress,
  type Hex,
  keccak256,
  type PublicClient,
  parseTransaction,
  recoverTransactionAddress,
  serializeTransaction,
  type TransactionSerializableEIP1559,
} from "viem";
import type { RewardClaim } from "../chain/actions/claimRewards.ts";
import { ChainActionError, ChainActionErrorCode, toChainActionError } from "../chain/actions/errors.ts";
import { CliError, CliErrorCode } from "./cliError.ts";

/**
 * `checker claim --print-tx` and `checker claim --send-raw`: the claim as an
 * unsigned EIP-1559 transaction for a signer that never touches the node (a
 * cold key, a hardware wallet, `cast wallet sign`), and the broadcast of what
 * it signed. The owner's key never has to be on the machine that runs the node.
 */

/** The calldata of a claim: `claim` for one leaf, `claimMany` for several (as claimRewards sends them). */
function claimCalldata(claims: readonly RewardClaim[]): { functionName: string; data: Hex } {
  const args = claims.map((c) => ({
    epoch: c.epoch,
    leaf: { beneficiary: c.leaf.beneficiary, id: c.leaf.id, amount: c.leaf.amount },
    proof: c.proof,
  }));
  const [first] = args;
  if (args.length === 1 && first !== undefined)
    return {
      functionName: "claim",
      data: encodeFunctionData({
        abi: rewardsAbi,
        functionName: "claim",
        args: [first.epoch, first.leaf, first.proof],
      }),
    };
  return {
    functionName: "claimMany",
    data: encodeFunctionData({ abi: rewardsAbi, functionName: "claimMany", args: [args] }),
  };
}

/**
 * The unsigned transaction that claims `claims` from `owner`'s account: the
 * chain's id, the account's next nonce, the gas the RPC estimates for it and
 * EIP-1559 fees. Numbers that may pass 2^53 are decimal strings.
 */
export async function unsignedClaimTx(
  client: PublicClient,
  rewards: Address,
  owner: Address,
  claims: readonly RewardClaim[],
) {
  const { functionName, data } = claimCalldata(claims);
  let tx: TransactionSerializableEIP1559;
  try {
    const [chainId, nonce, gas, fees] = await Promise.all([
      client.getChainId(),
      client.getTransactionCount({ address: owner, blockTag: "pending" }),
      client.estimateGas({ account: owner, to: rewards, data }),
      client.estimateFeesPerGas({ chain: null, type: "eip1559" }),
    ]);
    tx = {
      type: "eip1559",
      chainId,
      to: rewards,
      data,
      value: 0n,
      nonce,
      // 20 % over the estimate: a hardware wallet may take minutes, and other claims change the state.
      gas: (gas * 12n) / 10n,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    };
  } catch (e) {
    throw toChainActionError(e, "build the claim transaction");
  }
  const unsigned = serializeTransaction(tx);
  const amount = claims.reduce((s, c) => s + c.leaf.amount, 0n);
  return {
    from: owner,
    tx: {
      type: tx.type,
      chainId: tx.chainId,
      to: tx.to,
      value: "0",
      nonce: tx.nonce,
      gas: String(tx.gas),
      maxFeePerGas: String(tx.maxFeePerGas),
      maxPriorityFeePerGas: String(tx.maxPriorityFeePerGas),
      data,
    },
    function: functionName,
    calldata: data,
    // What a signer that takes raw bytes signs: keccak256 of the unsigned EIP-1559 serialization.
    unsignedSerialized: unsigned,
    signingHash: keccak256(unsigned),
    claims: claims.map((c) => ({
      epoch: String(c.epoch),
      licenseId: String(c.leaf.id),
      amount: String(c.leaf.amount),
    })),
    amount: String(amount),
    amountTokens: formatTokens(amount),
    next: `sign tx with ${owner}'s key, then: checker claim --send-raw <signed 0x-hex or a file holding it>`,
  };
}

/** `--send-raw`'s value: 0x-hex of a signed transaction, or a file holding it. */
export async function readSignedTx(value: string): Promise<Hex> {
  let raw = value.trim();
  if (!raw.startsWith("0x")) {
    try {
      raw = (await readFile(value, "utf8")).trim();
    } catch {
      throw new CliError(
        CliErrorCode.BAD_FLAG,
        `--send-raw: "${short(value)}" is neither 0x-hex nor a readable file; expected a signed transaction (0x-hex) or a file holding one`,
      );
    }
  }
  if (!/^0x([0-9a-fA-F]{2})+$/.test(raw))
    throw new CliError(
      CliErrorCode.BAD_FLAG,
      `--send-raw: "${short(raw)}" is not a signed transaction; expected 0x followed by an even number of hex digits`,
    );
  return raw as Hex;
}

/**
 * Broadcasts a signed claim after checking, before anything is sent, that it
 * calls the configured Rewards contract's claim or claimMany on this chain.
 */
export async function sendSignedClaim(client: PublicClient, rewards: Address, raw: Hex) {
  let parsed: ReturnType<typeof parseTransaction>;
  let from: Address;
  try {
    parsed = parseTransaction(raw);
    from = await recoverTransactionAddress({ serializedTransaction: raw as never });
  } catch (e) {
    throw new CliError(
      CliErrorCode.BAD_FLAG,
      `--send-raw: not a signed transaction (${(e as { shortMessage?: string }).shortMessage ?? (e as Error).message}); expected the signer's output for the tx of \`checker claim --print-tx\``,
    );
  }
  if (parsed.to === undefined || parsed.to === null || getAddress(parsed.to) !== getAddress(rewards))
    throw new CliError(
      CliErrorCode.WRONG_TX,
      `--send-raw: the transaction goes to ${parsed.to ?? "nowhere (a contract creation)"}, not to the Rewards contract ${rewards} (rewardsContract); refusing to send it`,
    );
  let claims: number;
  let amount = 0n;
  try {
    const call = decodeFunctionData({ abi: rewardsAbi, data: parsed.data ?? "0x" });
    if (call.functionName === "claim") {
      claims = 1;
      amount = call.args[1].amount;
    } else if (call.functionName === "claimMany") {
      claims = call.args[0].length;
      for (const c of call.args[0]) amount += c.leaf.amount;
    } else throw new Error(call.functionName);
  } catch {
    throw new CliError(
      CliErrorCode.WRONG_TX,
      `--send-raw: the transaction's data is not a Rewards claim or claimMany call; refusing to send it`,
    );
  }
  let hash: Hex;
  try {
    const chainId = await client.getChainId();
    if (parsed.chainId !== chainId)
      throw new CliError(
        CliErrorCode.WRONG_TX,
        `--send-raw: the transaction is signed for chain ${parsed.chainId ?? "none (pre-EIP-155)"}, the RPC's chain is ${chainId}; refusing to send it`,
      );
    const next = await client.getTransactionCount({ address: from, blockTag: "pending" });
    if (parsed.nonce !== undefined && parsed.nonce < next)
      throw new CliError(
        CliErrorCode.WRONG_TX,
        `--send-raw: nonce ${parsed.nonce} of ${from} is used already (its next is ${next}): sent before? print a fresh one with checker claim --print-tx --owner ${from}`,
      );
    hash = await client.sendRawTransaction({ serializedTransaction: raw as never });
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw toChainActionError(e, "send the signed claim");
  }
  let receipt: Awaited<ReturnType<PublicClient["waitForTransactionReceipt"]>>;
  try {
    receipt = await client.waitForTransactionReceipt({ hash });
  } catch (e) {
    throw toChainActionError(e, "claim receipt");
  }
  if (receipt.status !== "success")
    throw new ChainActionError(
      ChainActionErrorCode.FAILED,
      `the signed claim ${hash} was mined but reverted (claimed already, or not yet unlocked?)`,
      { hash },
    );
  return {
    tx: hash,
    from,
    claims,
    amount: String(amount),
    amountTokens: formatTokens(amount),
    gasUsed: String(receipt.gasUsed),
  };
}

function short(s: string): string {
  return s.length > 24 ? `${s.slice(0, 21)}...` : s;
}
