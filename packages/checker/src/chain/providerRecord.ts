import { GPU_CLASSES, gpuClass } from "@checkernet/protocol/challenges/gpu-classes";
import { regionById } from "@checkernet/protocol/challenges/regions";
import { peerIdFromMultihash, peerIdFromString } from "@libp2p/peer-id";
import { type Address, type Hex, hexToBytes, zeroHash } from "viem";
import type { ProviderEntry, UnusableEntry } from "../validation/providerDirectory.ts";

/**
 * ProviderRegistry entries as the checker uses them: the peer id, GPU class and region decoded from what the
 * provider registered (ChainDirectory, getOperatorPeerId).
 */

/**
 * A registry entry as the checker needs it, or, where a field cannot be used, which one and why (an
 * UnusableProvider: still a member of the checking sets it is in, attested TIMEOUT without a run).
 */
export function toProviderRecord(
  address: Address,
  info: { peerId: Hex; gpuModel: string; vramMiB: number; region: string },
): ProviderEntry {
  const unusable = (field: UnusableEntry["field"], reason: string) => ({
    address,
    unusable: { field, reason },
  });
  let peerId: string;
  try {
    peerId = peerIdFromBytes(hexToBytes(info.peerId));
  } catch (e) {
    return unusable("peerId", `peer id does not decode: ${(e as Error).message}`);
  }
  const cls = gpuClassOf(info.gpuModel);
  if (cls === undefined) return unusable("gpuModel", `unknown GPU model ${JSON.stringify(info.gpuModel)}`);
  let region: number;
  try {
    region = regionById(info.region).code;
  } catch {
    return unusable("region", `unknown region ${JSON.stringify(info.region)}`);
  }
  return {
    address,
    peerId,
    multiaddrs: [],
    classId: cls,
    region,
    vramBytes: info.vramMiB * 2 ** 20,
    // TODO(chain): the dataset salt is the epoch seed the provider filled from; until the registry records it, the zero salt.
    vramSalt: zeroHash,
  };
}

/** GPU class code from a registry model string: a class id ("h100-pcie") or a class model name, case-insensitive. */
export function gpuClassOf(model: string): number | undefined {
  const m = model.trim().toLowerCase();
  try {
    return gpuClass(m).code;
  } catch {
    return GPU_CLASSES.find(
      (c) => c.model.toLowerCase() === m || c.id.replace(/-/g, "") === m.replace(/-/g, ""),
    )?.code;
  }
}

/** A libp2p peer id from its multihash bytes (identity or sha2-256; single-byte code and length). */
export function peerIdFromBytes(bytes: Uint8Array): string {
  // The provider agent registers the UTF-8 text of the base58btc peer id (docs/provider.md);
  // operators register the binary multihash. Both name the same peer.
  if (bytes.length > 0 && bytes.every((b) => BASE58_BYTES.has(b))) {
    return peerIdFromString(new TextDecoder().decode(bytes)).toString();
  }
  if (bytes.length < 2) throw new Error("multihash too short");
  const code = bytes[0]!;
  const size = bytes[1]!;
  if ((code !== 0x00 && code !== 0x12) || bytes.length !== size + 2)
    throw new Error("not an identity or sha2-256 multihash");
  const digest = bytes.subarray(2);
  return peerIdFromMultihash({ code, size, digest, bytes } as never).toString();
}

const BASE58_BYTES = new Set(
  [..."123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"].map((c) => c.charCodeAt(0)),
);
