import { checkerLicenseAbi, rewardsAbi, slashingAbi } from "@checkernet/contracts/generated/index";
import { Beneficiary } from "@checkernet/protocol/merkle/leaves";
import { type Address, getAddress, type PublicClient } from "viem";
import { toChainActionError } from "../chain/actions/errors.ts";
import { getLandedReports, type LandedReport } from "../chain/actions/getLandedReports.ts";
import type { EpochClock } from "../chain/clock.ts";
import type { CheckerDb } from "../db/checkerDb.ts";
import { type ReportRole, type ReportStatus, readReportRecord } from "../reports/aggregatorRecords.ts";
import { storedRewardsFromDb } from "../rewards/licenseRewards.ts";
import { HttpError, sendJson } from "./http.ts";
import type { Route } from "./router.ts";

/** How far back the first scan for landed reports looks (a long-running chain is not scanned from genesis). */
const FIRST_SCAN_BLOCKS = 50_000n;
/** Answers are reused this long: the page asks every few seconds, blocks come every second or more. */
const CACHE_MS = 2_000;
/** Landed reports listed (newest first). */
const MAX_REPORTS = 50;

export interface HistoryContracts {
  epochReports: Address;
  rewards: Address;
  checkerLicense: Address;
  /** When set, each epoch's unlock epoch (Slashing.penaltiesFinalEpoch + 1) is shown. */
  slashing?: Address;
}

/** What `GET /history` returns (bigints as decimal strings). */
export interface History {
  operator: Address;
  /** Reports that landed on-chain, newest first, with the gas of their transaction. */
  reports: (Omit<LandedReport, "epoch" | "totalRewards" | "blockNumber" | "gasUsed"> & {
    epoch: bigint;
    totalRewards: bigint;
    blockNumber: bigint;
    gasUsed: bigint;
    /**
     * What this node did for the epoch's report, from its own record (aggregated and landed it, co-signed
     * it, lost the race, fetched it from a peer); null when it kept no record of the epoch.
     */
    thisNode: { role: ReportRole; status: ReportStatus } | null;
  })[];
  /**
   * This operator's license rewards per landed epoch, oldest first: the
   * leaves this node stored whose tree is the one on-chain, for the licenses
   * delegated to the operator in that epoch (CheckerLicense.operatorAt).
   */
  rewards: {
    epoch: bigint;
    amount: bigint;
    licenses: { licenseId: bigint; amount: bigint; claimed: boolean }[];
    /**
     * First epoch in which these license rewards can be claimed (the epoch's penalties are final then);
     * null when unknown (no Slashing address).
     */
    unlockEpoch: bigint | null;
  }[];
  /** `locked`: unclaimed amounts of epochs not unlocked yet (part of `unclaimed`). */
  totals: { earned: bigint; claimed: bigint; unclaimed: bigint; locked: bigint };
}

/**
 * Reads what landed on-chain for the dashboard: reports with their gas and
 * transaction, and this operator's license rewards over time. Past epochs
 * never change, so their reads are cached; only claims are re-read.
 */
export class HistoryReader {
  private readonly client: PublicClient;
  private readonly db: CheckerDb;
  private readonly clock: EpochClock;
  private readonly contracts: HistoryContracts;
  private readonly operator: Address;
  private readonly landed = new Map<bigint, LandedReport>();
  /** Per landed epoch: our license leaves (operatorAt read once). */
  private readonly ours = new Map<bigint, { licenseId: bigint; amount: bigint }[]>();
  private readonly claimed = new Set<string>();
  /** Per landed epoch: Slashing.penaltiesFinalEpoch + 1 (fixed once the report landed). */
  private readonly unlocks = new Map<bigint, bigint>();
  private scannedTo: bigint | undefined;
  private cached: { atMs: number; value: Promise<History> } | undefined;

  constructor(
    components: { publicClient: PublicClient; db: CheckerDb; clock: EpochClock },
    init: { contracts: HistoryContracts; operator: Address },
  ) {
    this.client = components.publicClient;
    this.db = components.db;
    this.clock = components.clock;
    this.contracts = init.contracts;
    this.operator = getAddress(init.operator);
  }

  read(): Promise<History> {
    const now = Date.now();
    if (this.cached === undefined || now - this.cached.atMs > CACHE_MS) {
      const value = this.build();
      // A failed read is not cached.
      value.catch(() => {
        if (this.cached?.value === value) this.cached = undefined;
      });
      this.cached = { atMs: now, value };
    }
    return this.cached.value;
  }

  private async build(): Promise<History> {
    await this.scan();
    const stored = await storedRewardsFromDb(this.db, this.clock.currentEpoch());
    const rewards: History["rewards"] = [];
    for (const s of stored.sort((a, b) => (a.epoch < b.epoch ? -1 : 1))) {
      const landed = this.landed.get(s.epoch);
      // Leaves of a report that did not land (or lost to another) are not rewards.
      if (landed === undefined || landed.rewardsRoot.toLowerCase() !== s.rewardsRoot.toLowerCase()) continue;
      let ours = this.ours.get(s.epoch);
      if (ours === undefined) {
        ours = [];
        for (const leaf of s.rewards) {
          if (leaf.beneficiary !== Beneficiary.LICENSE) continue;
          const op = await this.call("operatorAt", () =>
            this.client.readContract({
              address: this.contracts.checkerLicense,
              abi: checkerLicenseAbi,
              functionName: "operatorAt",
              args: [leaf.id, s.epoch],
            }),
          );
          if (getAddress(op) === this.operator) ours.push({ licenseId: leaf.id, amount: leaf.amount });
        }
        this.ours.set(s.epoch, ours);
      }
      const licenses = [];
      for (const l of ours) {
        const key = `${s.epoch}:${l.licenseId}`;
        if (!this.claimed.has(key) && l.amount > 0n) {
          const done = await this.call("isClaimed", () =>
            this.client.readContract({
              address: this.contracts.rewards,
              abi: rewardsAbi,
              functionName: "isClaimed",
              args: [s.epoch, Beneficiary.LICENSE, l.licenseId],
            }),
          );
          if (done) this.claimed.add(key);
        }
        licenses.push({ ...l, claimed: this.claimed.has(key) });
      }
      let unlockEpoch = this.unlocks.get(s.epoch) ?? null;
      const slashing = this.contracts.slashing;
      if (unlockEpoch === null && slashing !== undefined && ours.length > 0) {
        unlockEpoch =
          (await this.call("penaltiesFinalEpoch", () =>
            this.client.readContract({
              address: slashing,
              abi: slashingAbi,
              functionName: "penaltiesFinalEpoch",
              args: [s.epoch],
            }),
          )) + 1n;
        this.unlocks.set(s.epoch, unlockEpoch);
      }
      rewards.push({
        epoch: s.epoch,
        amount: ours.reduce((a, l) => a + l.amount, 0n),
        licenses,
        unlockEpoch,
      });
    }
    const all = rewards.flatMap((r) => r.licenses);
    const earned = all.reduce((a, l) => a + l.amount, 0n);
    const claimed = all.filter((l) => l.claimed).reduce((a, l) => a + l.amount, 0n);
    const now = this.clock.currentEpoch();
    const locked = rewards
      .filter((r) => r.unlockEpoch !== null && now < r.unlockEpoch)
      .flatMap((r) => r.licenses)
      .filter((l) => !l.claimed)
      .reduce((a, l) => a + l.amount, 0n);
    const reports: History["reports"] = [];
    for (const r of [...this.landed.values()]
      .sort((a, b) => (a.epoch > b.epoch ? -1 : 1))
      .slice(0, MAX_REPORTS)) {
      // The node's record outlives /status's short list of recent reports: every landed epoch gets its role.
      const record = await readReportRecord(this.db, r.epoch).catch(() => undefined);
      reports.push({
        ...r,
        thisNode: record === undefined ? null : { role: record.role, status: record.status },
      });
    }
    return {
      operator: this.operator,
      reports,
      rewards,
      totals: { earned, claimed, unclaimed: earned - claimed, locked },
    };
  }

  /** Reads ReportSubmitted events since the last scan. */
  private async scan(): Promise<void> {
    const latest = await this.call("blockNumber", () => this.client.getBlockNumber());
    const from =
      this.scannedTo === undefined
        ? latest > FIRST_SCAN_BLOCKS
          ? latest - FIRST_SCAN_BLOCKS
          : 0n
        : this.scannedTo + 1n;
    if (from > latest) return;
    for (const r of await getLandedReports(this.client, {
      epochReports: this.contracts.epochReports,
      fromBlock: from,
      toBlock: latest,
    })) {
      this.landed.set(r.epoch, r);
    }
    this.scannedTo = latest;
  }

  private async call<T>(what: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw toChainActionError(e, what);
    }
  }
}

/** `GET /history`: landed reports and this operator's rewards over time (503 without a chain or operator). */
export function historyRoutes(reader: HistoryReader | undefined): Route[] {
  return [
    {
      path: "/history",
      handler: async ({ res }) => {
        if (reader === undefined) {
          throw new HttpError(503, "no chain or operator configured: nothing landed to show");
        }
        let history: History;
        try {
          history = await reader.read();
        } catch (e) {
          throw new HttpError(503, `the chain cannot be read: ${(e as Error).message}`);
        }
        sendJson(res, 200, history);
      },
    },
  ];
}
