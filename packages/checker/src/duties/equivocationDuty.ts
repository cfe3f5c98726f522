import { equivocationCodec } from "@checkernet/protocol/equivocation";
import type { Logger } from "@checkernet/runtime";
import { type Address, concat, getAddress, hexToBytes, keccak256, type PublicClient } from "viem";
import { getReportCommittee } from "../chain/actions/getReportCommittee.ts";
import {
  SubmitEquivocationError,
  SubmitEquivocationErrorCode,
  submitEquivocation,
} from "../chain/actions/submitEquivocation.ts";
import type { CheckerDb, EquivocationRecord } from "../db/checkerDb.ts";
import type { SubmitterWallet } from "./aggregatorDuty.ts";
import { committeeOperators } from "./leader/members.ts";
import { turnPollMs } from "./leader/timing.ts";

export interface EquivocationDutyComponents {
  db: CheckerDb;
  logger: Logger;
  publicClient: PublicClient;
  /** Pays for slashEquivocation; without it evidence stays stored (pending). */
  walletClient?: SubmitterWallet;
  /** This node's operator: its place in the submission order. Without one the node submits last. */
  operator?: Address;
}

export interface EquivocationDutyInit {
  slashing: Address;
  epochReports: Address;
  /** Each submitter in the order waits this much longer than the one before it (default 4 s). */
  stepMs?: number;
  /** How often stored evidence is looked at (default a quarter of stepMs, at least 1 s: turnPollMs). */
  pollMs?: number;
  /** First wait after an RPC error (default 1 s); it doubles per attempt up to maxRetryMs (default 30 s). */
  retryBaseMs?: number;
  maxRetryMs?: number;
}

/**
 * Where `operator` stands in the order that submits the evidence `id` of `epoch`: the operators of
 * the epoch's report committee (every node reads the same), sorted by keccak256(id ‖ operator). A
 * node outside the committee comes after all of them.
 */
export function submissionRank(id: `0x${string}`, committee: readonly Address[], operator?: Address): number {
  const order = [...committee]
    .map((o) => ({ o, key: keccak256(concat([id, o])) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((x) => x.o);
  const me = operator === undefined ? -1 : order.indexOf(getAddress(operator));
  return me < 0 ? order.length : me;
}

/**
 * Submits the stored equivocation evidence (db `equivocations`) to Slashing.slashEquivocation, once
 * per (epoch, checker) across the network: the first node of `submissionRank` sends at once, the
 * next `stepMs` later, and so on; each one asks `isEquivocationSlashed` first and an
 * already-slashed checker is success ("already-slashed"), whoever's transaction it was. RPC faults
 * are retried with backoff; any other refusal is final ("rejected"). Records are read from the db,
 * so a restart resumes where it stopped. docs/protocol/equivocation.md.
 */
export class EquivocationDuty {
  private readonly components: EquivocationDutyComponents;
  private readonly init: EquivocationDutyInit;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** When this node's turn comes, per evidence id (from the moment it first saw the record). */
  private readonly dueMs = new Map<string, number>();
  private warnedNoWallet = false;

  constructor(components: EquivocationDutyComponents, init: EquivocationDutyInit) {
    this.components = components;
    this.init = init;
  }

  start(): void {
    if (this.timer !== undefined) return;
    const tick = () => {
      this.running ??= this.poll()
        .then(() => undefined)
        .catch((e: unknown) => this.components.logger.warn({ err: e }, "equivocation poll failed"))
        .finally(() => {
          this.running = undefined;
        });
      this.timer = setTimeout(tick, this.init.pollMs ?? turnPollMs(this.init.stepMs ?? 4_000, 1_000));
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Sends every pending record whose turn has come; returns the records it changed. */
  async poll(): Promise<EquivocationRecord[]> {
    const { db, walletClient, logger } = this.components;
    const pending = (await db.listEquivocations()).filter((r) => r.status === "pending");
    if (pending.length === 0) return [];
    if (walletClient === undefined) {
      if (!this.warnedNoWallet)
        logger.warn(
          { pending: pending.length },
          "equivocation evidence stored but not submitted: no transaction key",
        );
      this.warnedNoWallet = true;
      return [];
    }
    const changed: EquivocationRecord[] = [];
    for (const record of pending) {
      if (!(await this.isDue(record))) continue;
      const next = await this.submit(record, walletClient);
      await db.updateEquivocation(next);
      if (next.status !== "pending") this.dueMs.delete(record.id);
      changed.push(next);
    }
    return changed;
  }

  private async isDue(record: EquivocationRecord): Promise<boolean> {
    let due = this.dueMs.get(record.id);
    if (due === undefined) {
      const { seats } = await getReportCommittee(this.components.publicClient, {
        epochReports: this.init.epochReports,
        epoch: record.epoch,
      });
      const rank = submissionRank(record.id, committeeOperators(seats), this.components.operator);
      due = Date.now() + rank * (this.init.stepMs ?? 4_000);
      this.dueMs.set(record.id, due);
    }
    return due <= Date.now();
  }

  private async submit(record: EquivocationRecord, wallet: SubmitterWallet): Promise<EquivocationRecord> {
    const { publicClient, logger } = this.components;
    const log = { epoch: String(record.epoch), checker: record.checker, id: record.id };
    const attempts = record.attempts + 1;
    let evidence: ReturnType<typeof equivocationCodec.decode>;
    try {
      evidence = equivocationCodec.decode(hexToBytes(record.evidence));
    } catch (e) {
      return { ...record, status: "rejected", attempts, error: (e as Error).message };
    }
    try {
      const sent = await submitEquivocation(publicClient, wallet, { slashing: this.init.slashing, evidence });
      if (sent.hash === null) {
        logger.info(log, "equivocator already slashed for the epoch");
        return { ...record, status: "already-slashed", attempts, error: null };
      }
      logger.info({ ...log, tx: sent.hash, gasUsed: String(sent.gasUsed) }, "equivocation slashed on chain");
      return { ...record, status: "landed", attempts, tx: sent.hash, error: null };
    } catch (e) {
      const code = e instanceof SubmitEquivocationError ? e.code : undefined;
      if (
        code !== undefined &&
        code !== SubmitEquivocationErrorCode.RPC &&
        code !== SubmitEquivocationErrorCode.FAILED
      ) {
        logger.error({ ...log, err: (e as Error).message }, "equivocation evidence refused by the contract");
        return { ...record, status: "rejected", attempts, error: (e as Error).message };
      }
      const base = this.init.retryBaseMs ?? 1_000;
      const wait = Math.min(base * 2 ** Math.min(attempts - 1, 10), this.init.maxRetryMs ?? 30_000);
      this.dueMs.set(record.id, Date.now() + wait);
      logger.warn(
        { ...log, err: (e as Error).message, retryInMs: wait },
        "equivocation evidence not sent; retrying",
      );
      return { ...record, attempts, error: (e as Error).message };
    }
  }
}
