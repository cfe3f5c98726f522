import type { Logger } from "@checkernet/runtime";
import { type Address, bytesToHex, type PublicClient } from "viem";
import { getOperatorStanding } from "./actions/getOperatorStanding.ts";
import type { SnapshotLicenseIds } from "./snapshotLicenseIds.ts";

export interface OperatorStanding {
  registered: boolean | null;
  keyMatches: boolean | null;
  /** Licenses counting for the operator in the current epoch's snapshot. */
  licenses: number | null;
  licenseIds: bigint[];
  /** Licenses delegated to it, some perhaps counting only from a later epoch (the activation delay). */
  delegated: number | null;
}

const UNKNOWN: OperatorStanding = {
  registered: null,
  keyMatches: null,
  licenses: null,
  licenseIds: [],
  delegated: null,
};

/**
 * The operator's registration and delegated licenses, read from the chain at
 * most every `maxAgeMs` and only when asked (status is polled each second by
 * the dashboard; the registry changes at epoch boundaries). With the node's
 * clock, a settled standing (registered under this node's key) is read once
 * per epoch of it instead (issue 15: 3.3 `operatorInfo` calls an epoch while
 * the dashboard was open): its licenses are the epoch's snapshot, and a
 * delegation counts only from a later epoch. An operator still registering,
 * or under another key, is read every `maxAgeMs`, so the alert clears soon
 * after the fix. Reads never block the caller: it gets the last value while a
 * refresh runs.
 */
export class OperatorStandingWatch {
  private readonly client: PublicClient;
  private readonly logger: Logger;
  private readonly snapshots: SnapshotLicenseIds | undefined;
  private readonly checkerRegistry: Address;
  private readonly operator: Address;
  private readonly ownKey: string | null;
  private readonly maxAgeMs: number;
  private value: OperatorStanding = UNKNOWN;
  /** The epoch the last read's license ids are of: the same epoch's are not read again (a final snapshot). */
  private idsEpoch: bigint | undefined;
  private readAtMs = 0;
  /** The clock's epoch at the last read. */
  private readAtEpoch: bigint | undefined;
  private readonly clock: { currentEpoch(): bigint } | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(
    components: {
      publicClient: PublicClient;
      logger: Logger;
      /** The node's held snapshots (its ChainDirectory): the epoch's ids come from there, not the chain. */
      snapshots?: SnapshotLicenseIds;
      /** The node's epoch clock: a settled standing is read once per epoch of it. */
      clock?: { currentEpoch(): bigint };
    },
    init: { checkerRegistry: Address; operator: Address; ownPublicKey: string | null; maxAgeMs?: number },
  ) {
    this.client = components.publicClient;
    this.logger = components.logger;
    this.snapshots = components.snapshots;
    this.clock = components.clock;
    this.checkerRegistry = init.checkerRegistry;
    this.operator = init.operator;
    this.ownKey = init.ownPublicKey?.toLowerCase() ?? null;
    this.maxAgeMs = init.maxAgeMs ?? 5_000;
  }

  /** The last known standing; starts a refresh when it is older than maxAgeMs. */
  get(nowMs = Date.now()): OperatorStanding {
    if (this.inFlight === undefined && nowMs - this.readAtMs >= this.maxAgeMs && this.due()) {
      this.inFlight = this.refresh(nowMs).finally(() => {
        this.inFlight = undefined;
      });
    }
    return this.value;
  }

  /** The refresh `get` started, if one runs (for tests and callers that want the fresh value). */
  settled(): Promise<void> {
    return this.inFlight ?? Promise.resolve();
  }

  /** Whether a read is worth making: always without a clock or while the standing needs the operator's action. */
  private due(): boolean {
    const v = this.value;
    if (this.clock === undefined || v.registered !== true || v.keyMatches === false) return true;
    return this.clock.currentEpoch() !== this.readAtEpoch;
  }

  /** Reads now (`nowMs` on the caller's time, as `get`'s); a failure keeps the last value (the chain alert says why). */
  async refresh(nowMs = Date.now()): Promise<void> {
    const clockEpoch = this.clock?.currentEpoch();
    try {
      const s = await getOperatorStanding(this.client, {
        checkerRegistry: this.checkerRegistry,
        operator: this.operator,
        ...(this.snapshots === undefined ? {} : { snapshots: this.snapshots }),
        ...(this.idsEpoch === undefined
          ? {}
          : { known: { epoch: this.idsEpoch, licenseIds: this.value.licenseIds } }),
      });
      this.idsEpoch = s.epoch;
      this.value = {
        registered: s.registered,
        keyMatches:
          !s.registered || this.ownKey === null
            ? null
            : s.publicKey !== null && bytesToHex(s.publicKey).toLowerCase() === this.ownKey,
        licenses: s.weight,
        licenseIds: s.licenseIds,
        delegated: s.delegated,
      };
      this.readAtMs = nowMs;
      // Settled for the epoch only when the chain answered for it: its clock follows blocks, so the first
      // read of an epoch often lands before the epoch's first block and returns the epoch before.
      this.readAtEpoch = s.epoch === clockEpoch ? clockEpoch : undefined;
    } catch (e) {
      this.logger.debug({ err: (e as Error).message }, "operator standing not read");
    }
  }
}
