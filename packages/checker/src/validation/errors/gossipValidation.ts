import { CheckerError } from "../../errors.ts";
/**
 * What gossipsub does with a message that failed validation, as in Lodestar's
 * `chain/errors/gossipValidation.ts`: IGNORE drops it without blame (late,
 * duplicate, not yet knowable), REJECT drops it and penalizes the sender's
 * peer score (provably invalid).
 */
export const GossipAction = {
  IGNORE: "IGNORE",
  REJECT: "REJECT",
} as const;
export type GossipAction = (typeof GossipAction)[keyof typeof GossipAction];

/** Base of every typed gossip validation error: an action plus a `type` object whose `code` labels metrics. */
export class GossipActionError<T extends { code: string }> extends CheckerError {
  override name = "GossipActionError";
  readonly action: GossipAction;
  readonly type: T;

  constructor(action: GossipAction, type: T, message?: string) {
    super(message ?? type.code);
    this.action = action;
    this.type = type;
  }

  /**
   * Whether the verdict follows from the message's bytes and this node's clock alone: no chain state,
   * no signature. A REJECT of that kind is certain whoever relays it (an honest peer forwards only
   * what it accepted, under a clock within an epoch of ours), so an unproven sender is hung up on
   * its first one (network/gossip/graylist.ts). Subclasses name their rules.
   */
  get decidedFromMessage(): boolean {
    return false;
  }

  /** Structured fields for logs, bigints as strings. */
  getMetadata(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.type as Record<string, unknown>)) {
      out[k] = typeof v === "bigint" ? v.toString() : v;
    }
    return out;
  }
}
