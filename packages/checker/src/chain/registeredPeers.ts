import type { Address, PublicClient } from "viem";
import { getOperatorPeerId } from "./actions/getOperatorPeerId.ts";
import type { SnapshotLicenseIds } from "./snapshotLicenseIds.ts";

export const REGISTERED_PEER_LIMITS = {
  /** How often the operators of the current snapshot are looked at: a new one's peer id is read then. */
  pollMs: 60_000,
  /**
   * How long an operator's peer id is kept before it is read again (updatePeerId): a checker that moves
   * to a new key waits at most this for it, and is let in as a proven peer once it delivers anyway.
   */
  rereadMs: 3_600_000,
  /** operatorInfo reads in flight at once: 1,000 operators are read in ~125 rounds, light on any RPC. */
  concurrency: 8,
} as const;

/**
 * The libp2p peer ids that the operators of the current license snapshot registered in CheckerRegistry
 * (operatorInfo.peerId): the identities the inbound identity budget never charges nor refuses
 * (network/identityBudget.ts, review5 M2). Each costs a license, so an attacker cannot add to them
 * with fresh keys, and an operator that leaves the snapshot leaves the set at the next poll.
 */
export class RegisteredCheckerPeers {
  private readonly client: PublicClient;
  private readonly checkerRegistry: Address;
  private readonly snapshots: SnapshotLicenseIds;
  private readonly now: () => number;
  /** Each operator's peer id (null: none that decodes) and when it was read. */
  private readonly byOperator = new Map<Address, { peer: string | null; readAtMs: number }>();
  private peers = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    client: PublicClient,
    checkerRegistry: Address,
    snapshots: SnapshotLicenseIds,
    now: () => number = Date.now,
  ) {
    this.client = client;
    this.checkerRegistry = checkerRegistry;
    this.snapshots = snapshots;
    this.now = now;
  }

  has(peer: string): boolean {
    return this.peers.has(peer);
  }

  /**
   * Reads the peer ids of `epoch`'s operators: those not read yet, and those read `rereadMs` ago. An
   * operator whose read fails keeps its last peer id and is tried again at the next refresh.
   */
  async refresh(epoch: bigint): Promise<void> {
    const operators = await this.snapshots.licenseIdsAt(epoch);
    if (operators === undefined) return;
    const now = this.now();
    const due = [...operators.keys()].filter((o) => {
      const read = this.byOperator.get(o);
      return read === undefined || now - read.readAtMs >= REGISTERED_PEER_LIMITS.rereadMs;
    });
    for (let i = 0; i < due.length; i += REGISTERED_PEER_LIMITS.concurrency) {
      await Promise.all(
        due.slice(i, i + REGISTERED_PEER_LIMITS.concurrency).map(async (operator) => {
          const params = { checkerRegistry: this.checkerRegistry, operator };
          const peer = await getOperatorPeerId(this.client, params).catch(() => undefined);
          if (peer !== undefined) this.byOperator.set(operator, { peer, readAtMs: now });
        }),
      );
    }
    for (const operator of this.byOperator.keys())
      if (!operators.has(operator)) this.byOperator.delete(operator);
    this.peers = new Set([...this.byOperator.values()].flatMap((r) => (r.peer === null ? [] : [r.peer])));
  }

  /** Refreshes now and every `pollMs` with the epoch `epochNow` answers; failures wait for the next poll. */
  start(epochNow: () => bigint): void {
    if (this.timer !== undefined) return;
    const poll = async () => {
      await this.refresh(epochNow()).catch(() => undefined);
      if (this.timer !== undefined) this.timer = setTimeout(poll, REGISTERED_PEER_LIMITS.pollMs).unref();
    };
    this.timer = setTimeout(poll, 0).unref();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
