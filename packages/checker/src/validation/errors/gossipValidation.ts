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

  /** Structured fields for logs, bigints as strings. */
  getMetadata(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.type as Record<string, unknown>)) {
      out[k] = typeof v === "bigint" ? v.toString() : v;
    }
    return out;
  }
}
