import { checkerRegistryAbi } from "@checkernet/contracts/generated/index";
import { g1FromEip2537 } from "@checkernet/protocol/bls/eip2537";
import { peerIdFromString } from "@libp2p/peer-id";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import { type Address, bytesToHex, getAddress, hexToBytes, isAddress } from "viem";
import type { ProviderChain } from "../chain/client.ts";
import { ChainError, ChainErrorCode, toChainError } from "../chain/errors.ts";
import type { EvidenceSource } from "./verify.ts";

/** `<checker address>@<multiaddr ending in /p2p/<peer id>>`, as `provider evidence --checker` takes it. */
export function parseCheckerTarget(text: string): { checker: Address; addr: Multiaddr } {
  const at = text.indexOf("@");
  const address = text.slice(0, at);
  const bad = (why: string): never => {
    throw new ChainError(
      ChainErrorCode.BAD_ARGUMENT,
      `--checker "${text}": ${why}; expected <address>@<multiaddr>/p2p/<peer id>`,
      {},
    );
  };
  if (at <= 0 || !isAddress(address, { strict: false })) bad("no checker address before @");
  let addr: Multiaddr;
  try {
    addr = multiaddr(text.slice(at + 1));
  } catch (err) {
    return bad((err as Error).message);
  }
  if (addr.getComponents().find((c) => c.name === "p2p") === undefined)
    bad("the multiaddr has no /p2p/<peer id>");
  return { checker: getAddress(address), addr };
}

/**
 * Turns checker addresses and multiaddrs into evidence sources, with the
 * public key and peer id the checker registry holds: the BLS key the evidence
 * must be signed with, and the peer id Noise must authenticate (a multiaddr
 * naming another peer is refused, so evidence cannot come from an impostor).
 */
export async function evidenceSources(
  chain: ProviderChain,
  checkerRegistry: Address,
  targets: readonly { checker: Address; addr: Multiaddr }[],
): Promise<EvidenceSource[]> {
  const sources: EvidenceSource[] = [];
  for (const { checker, addr } of targets) {
    let info: { registered: boolean; publicKey: `0x${string}`; peerId: `0x${string}` };
    try {
      info = await chain.publicClient.readContract({
        address: checkerRegistry,
        abi: checkerRegistryAbi,
        functionName: "operatorInfo",
        args: [checker],
      });
    } catch (err) {
      throw toChainError(err, "checker registry lookup");
    }
    if (!info.registered) {
      throw new ChainError(ChainErrorCode.BAD_ARGUMENT, `checker ${checker} is not registered`, { checker });
    }
    const p2p = addr.getComponents().find((c) => c.name === "p2p")?.value ?? "";
    const named = bytesToHex(peerIdFromString(p2p).toMultihash().bytes);
    if (named.toLowerCase() !== info.peerId.toLowerCase()) {
      throw new ChainError(
        ChainErrorCode.BAD_ARGUMENT,
        `checker ${checker} registered peer ${info.peerId}, not ${p2p}`,
        {
          checker,
        },
      );
    }
    sources.push({ checker, publicKey: g1FromEip2537(hexToBytes(info.publicKey)), peer: addr });
  }
  return sources;
}
