import { readFile } from "node:fs/promises";
import type { ResultLeaf } from "@checkernet/protocol/merkle/leaves";
import { type Address, getAddress, type Hex, isAddress, isHex } from "viem";
import { ChainError, ChainErrorCode } from "./errors.ts";

/**
 * Reads `{ leaf, proof }` for `provider contest`: the provider's result leaf
 * of a report (as packages/protocol/src/merkle/leaves.ts lays it out, amounts
 * as decimal strings) and its Merkle proof against the report's results root.
 * Every field is checked; a wrong one names itself.
 */
export async function readLeafFile(path: string): Promise<{ leaf: ResultLeaf; proof: Hex[] }> {
  const bad = (why: string): never => {
    throw new ChainError(ChainErrorCode.BAD_ARGUMENT, `leaf file ${path}: ${why}`, { path });
  };
  let json: { leaf?: Record<string, unknown>; proof?: unknown };
  try {
    json = JSON.parse(await readFile(path, "utf8"));
  } catch (cause) {
    return bad((cause as Error).message);
  }
  const l = json?.leaf ?? bad("no leaf");
  const uint = (field: string, max: number): number => {
    const v = l[field];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0 || v > max)
      bad(`leaf.${field} must be an integer in [0, ${max}]`);
    return v as number;
  };
  const address = (v: unknown, field: string): Address => {
    if (typeof v !== "string" || !isAddress(v, { strict: false })) bad(`${field} must be an address`);
    return getAddress(v as string);
  };
  const slash = l.slashAmount;
  if (typeof slash !== "string" || !/^\d+$/.test(slash))
    bad("leaf.slashAmount must be a decimal string (wei)");
  if (!Array.isArray(l.accusers)) bad("leaf.accusers must be a list of addresses");
  if (
    !Array.isArray(json.proof) ||
    !json.proof.every((h) => typeof h === "string" && isHex(h, { strict: true }) && h.length === 66)
  ) {
    bad("proof must be a list of 32-byte hex nodes");
  }
  const verdict = uint("verdict", 2);
  const leaf: ResultLeaf = {
    provider: address(l.provider, "leaf.provider"),
    verdict: verdict as ResultLeaf["verdict"],
    scoreBps: uint("scoreBps", 0xffff_ffff),
    medianLatencyUs: uint("medianLatencyUs", 0xffff_ffff),
    attestations: uint("attestations", 0xffff),
    failures: uint("failures", 0xffff),
    slashAmount: BigInt(slash as string),
    accusers: (l.accusers as unknown[]).map((a, i) => address(a, `leaf.accusers[${i}]`)),
  };
  return { leaf, proof: json.proof as Hex[] };
}
