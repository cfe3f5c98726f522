import type { BlsBackend } from "@checkernet/protocol/bls/backend";
import { g2ToEip2537 } from "@checkernet/protocol/bls/index";
import type { Logger } from "@checkernet/runtime";
import { type Address, bytesToHex, type Hex, zeroAddress } from "viem";

/** What the committee signs in one round. */
export interface CosignRound {
  /** The committee's seats in order; a zero address is an empty seat. */
  seats: readonly Address[];
  /** The operators asked, each once (the seat holders, or those of them a plugin kept). */
  members: readonly Address[];
  /** The signing root every member signs. */
  root: Uint8Array;
}

/** How the engine reaches and checks one member (supplied by the duty). */
export interface CosignHooks {
  /** This node's operator and secret key: its own seat is signed locally. */
  self: { operator: Address; secretKey: Uint8Array };
  /** Asks a member for its signature over the round's root. */
  askMember(operator: Address): Promise<Uint8Array>;
  /** The member's registered key; undefined when none is known. */
  publicKeyOf(operator: Address): Promise<Uint8Array | undefined> | Uint8Array | undefined;
  /** Log fields naming the round, and the message logged for a member that did not sign. */
  logFields: Record<string, unknown>;
  missingMessage: string;
}

/** A committee's signatures by seat: bit i of `bitfield` set for each signed seat i. */
export interface SeatSignatures {
  bitfield: bigint;
  signatures: Uint8Array[];
}

/**
 * Collects the members' co-signatures concurrently; a member that fails to
 * answer, or answers with a signature that does not verify against its
 * registered key, is logged and left out. The result counts one signature per
 * seat the signer holds (the contract adds its key once per seat).
 */
export async function collectCosignatures(
  bls: BlsBackend,
  logger: Logger,
  round: CosignRound,
  hooks: CosignHooks,
): Promise<SeatSignatures> {
  const byOperator = new Map<Address, Uint8Array>();
  await Promise.all(
    round.members.map(async (operator) => {
      try {
        if (operator === hooks.self.operator) {
          byOperator.set(operator, bls.sign(hooks.self.secretKey, round.root));
          return;
        }
        const signature = await hooks.askMember(operator);
        const pk = await hooks.publicKeyOf(operator);
        if (pk === undefined || !bls.verify(pk, round.root, signature)) {
          throw new Error("co-signature does not verify against the registered key");
        }
        byOperator.set(operator, signature);
      } catch (e) {
        logger.warn({ ...hooks.logFields, operator, err: (e as Error).message }, hooks.missingMessage);
      }
    }),
  );
  const signatures: Uint8Array[] = [];
  let bitfield = 0n;
  round.seats.forEach((operator, seat) => {
    const s = operator === zeroAddress ? undefined : byOperator.get(operator);
    if (s === undefined) return;
    signatures.push(s);
    bitfield |= 1n << BigInt(seat);
  });
  return { bitfield, signatures };
}

/** Whether the signed seats reach the contract's quorum (and at least one seat signed). */
export function reachesQuorum(signed: SeatSignatures, quorum: number): boolean {
  return signed.signatures.length > 0 && signed.signatures.length >= quorum;
}

/** The seats' signatures aggregated into the EIP-2537 G2 encoding the contract verifies. */
export function aggregateSignature(bls: BlsBackend, signed: SeatSignatures): Hex {
  return bytesToHex(g2ToEip2537(bls.aggregateSignatures(signed.signatures)));
}
