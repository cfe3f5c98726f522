import type { ProtocolParams } from "@checkernet/protocol/params";
import type { Logger } from "@checkernet/runtime";
import type { CheckerDb } from "../db/checkerDb.ts";
import { EVIDENCE_LIMITS } from "../validation/equivocations.ts";
import type { NodeService } from "./service.ts";

type RetentionParams = Pick<
  ProtocolParams,
  "reportLatenessEpochs" | "contestWindowEpochs" | "recheckDeadlineEpochs"
>;

/**
 * Epochs of history the node keeps in its db (docs/operator.md, "Disk"), the larger of:
 * - the slash's life: this node's evidence of epoch e (its attestation, with the transcript or no-run
 *   reason behind it) is served while a FAIL of e can still be opened or contested (its report lands up
 *   to reportLatenessEpochs late and its window runs contestWindowEpochs from there) and until the
 *   contest's re-check deadline (recheckDeadlineEpochs), one epoch of margin added: 11 at the defaults;
 * - the equivocation book's memory (EVIDENCE_LIMITS.pastEpochs, 64): evidence it loads at start.
 *
 * @example
 * retainedEpochs(DEFAULT_PARAMS); // 64n: 16 h at 900-s epochs
 */
export function retainedEpochs(params: RetentionParams): bigint {
  const slashLife =
    BigInt(params.reportLatenessEpochs + params.contestWindowEpochs + params.recheckDeadlineEpochs) + 1n;
  return slashLife > EVIDENCE_LIMITS.pastEpochs ? slashLife : EVIDENCE_LIMITS.pastEpochs;
}

export interface DbPruneComponents {
  db: CheckerDb;
  clock: { currentEpoch(): bigint; readonly epochSeconds: number };
  params: RetentionParams;
  logger: Logger;
}

/**
 * Prunes the node's db once an epoch (CheckerDb.prune: gossip attestations with the transcripts of its
 * own, no-run reasons, equivocation evidence, co-signed reports) of the epochs before the current one
 * minus retainedEpochs. Without it they grew for ever (review5 L5).
 */
export class DbPruneService implements NodeService {
  private readonly c: DbPruneComponents;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  /** The first epoch kept at the last prune: nothing to do until it moves. */
  private keptFrom = 0n;

  constructor(components: DbPruneComponents) {
    this.c = components;
  }

  start(): void {
    if (this.timer !== undefined) return;
    const run = () => {
      this.running ??= this.pruneOnce()
        .catch((e: unknown) => this.c.logger.warn({ err: (e as Error).message }, "db prune failed"))
        .finally(() => {
          this.running = undefined;
        });
    };
    run();
    this.timer = setInterval(run, this.c.clock.epochSeconds * 1_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Deletes the epochs before currentEpoch - retainedEpochs when that moved; returns the attestations deleted. */
  async pruneOnce(): Promise<number> {
    const current = this.c.clock.currentEpoch();
    const keep = retainedEpochs(this.c.params);
    const keptFrom = current > keep ? current - keep : 0n;
    if (keptFrom <= this.keptFrom) return 0;
    const deleted = await this.c.db.prune(keptFrom);
    this.keptFrom = keptFrom;
    this.c.logger.debug({ keptFrom: String(keptFrom), attestations: deleted }, "db pruned");
    return deleted;
  }
}
