import { checkerRegistryAbi } from "@checkernet/contracts/generated/index";
import type { BlsBackend } from "@checkernet/protocol/bls/backend";
import { g1ToEip2537, g2ToEip2537 } from "@checkernet/protocol/bls/index";
import { proveKeyPossession } from "@checkernet/protocol/bls/pop";
import type { NetworkDomain } from "@checkernet/protocol/types";
import { peerIdFromString } from "@libp2p/peer-id";
import {
  type Account,
  type Address,
  bytesToHex,
  type Chain,
  type Hash,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { ChainActionError, ChainActionErrorCode, toChainActionError } from "./errors.ts";

export interface RegisterOperatorParameters {
  checkerRegistry: Address;
  /** The signing domain of the deployment (chain id, EpochReports address): the proof is bound to it. */
  domain: NetworkDomain;
  /** The operator's BLS secret key (unlocked from its keystore). */
  secretKey: Uint8Array;
  /** The node's libp2p peer id, registered so that others can reach it. */
  peerId: string;
}

export interface RegisterOperatorReturnType {
  operator: Address;
  hash: Hash;
  gasUsed: bigint;
}

/**
 * Registers the wallet's account as a checker operator:
 * `CheckerRegistry.register(publicKey, proofOfPossession, peerId)`, with the
 * proof of possession signed for this account and deployment (rogue-key
 * attacks need a key whose secret nobody holds, which the proof rules out).
 * The call is simulated first, so a refusal costs no gas and names its reason.
 *
 * @example
 * const { hash } = await registerOperator(publicClient, wallet, bls, { checkerRegistry, domain, secretKey, peerId });
 */
export async function registerOperator(
  publicClient: PublicClient,
  walletClient: WalletClient<Transport, Chain | undefined, Account>,
  bls: BlsBackend,
  params: RegisterOperatorParameters,
): Promise<RegisterOperatorReturnType> {
  const operator = walletClient.account.address;
  const pop = proveKeyPossession(bls, params.secretKey, params.domain, operator);
  let peerIdBytes: Uint8Array;
  try {
    peerIdBytes = peerIdFromString(params.peerId).toMultihash().bytes;
  } catch (e) {
    throw new ChainActionError(
      ChainActionErrorCode.INVALID_PROOF,
      `not a libp2p peer id: ${params.peerId} (${(e as Error).message})`,
    );
  }
  let hash: Hash;
  try {
    const { request } = await publicClient.simulateContract({
      address: params.checkerRegistry,
      abi: checkerRegistryAbi,
      functionName: "register",
      args: [
        bytesToHex(g1ToEip2537(bls.publicKey(params.secretKey))),
        bytesToHex(g2ToEip2537(pop)),
        bytesToHex(peerIdBytes),
      ],
      account: walletClient.account,
    });
    hash = await walletClient.writeContract({ ...request, chain: walletClient.chain ?? null });
  } catch (e) {
    throw toChainActionError(e, "register");
  }
  let receipt: Awaited<ReturnType<PublicClient["waitForTransactionReceipt"]>>;
  try {
    receipt = await publicClient.waitForTransactionReceipt({ hash });
  } catch (e) {
    throw toChainActionError(e, "register receipt");
  }
  if (receipt.status !== "success") {
    throw new ChainActionError(ChainActionErrorCode.FAILED, "register transaction failed", { hash });
  }
  return { operator, hash, gasUsed: receipt.gasUsed };
}
