/**
 * `npm start`: a whole checkernet on this machine, offline and on 127.0.0.1
 * only. A Hardhat node, the contracts, licenses minted to owners and
 * delegated to operators, checker nodes and providers (one faulty) as real
 * processes, and a live view of the network. See docs/devnet.md.
 *
 * SIGINT, SIGTERM and SIGHUP stop every process in order; if the devnet is
 * killed outright, each child stops by itself (devnet/lifeline.ts).
 *
 *   npm start -- [--checkers 6] [--providers 3] [--epoch-seconds 20] [--epochs N] [--summary FILE] [--data-dir .devnet]
 */
import { join } from "node:path";
import { formatTokens } from "@checkernet/protocol/tokens";
import { Command, InvalidArgumentError } from "commander";
import { displayPath } from "./devnet/accounts.ts";
import { DEFAULT_OPTIONS, type DevnetHandle, type Snapshot, startDevnet } from "./devnet/index.ts";
import { DEVNET, type DevnetOptions } from "./devnet/params.ts";
import { renderSnapshot } from "./devnet/table.ts";

function positiveInt(name: string, min = 1) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw) || Number(raw) < min)
      throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
    return Number(raw);
  };
}

const program = new Command("devnet")
  .description("run a local checkernet: chain, contracts, checkers and providers, with a live view")
  .option("--checkers <n>", "checker nodes", positiveInt("--checkers"), DEFAULT_OPTIONS.checkers)
  .option(
    "--providers <n>",
    "providers (the last one is faulty)",
    positiveInt("--providers"),
    DEFAULT_OPTIONS.providers,
  )
  .option(
    "--providers-per-agent <n>",
    "registered providers each provider process serves (each its own keys, peer id and port)",
    positiveInt("--providers-per-agent"),
    1,
  )
  .option(
    "--epoch-seconds <s>",
    "epoch length in seconds",
    positiveInt("--epoch-seconds", 5),
    DEFAULT_OPTIONS.epochSeconds,
  )
  .option(
    "--epochs <n>",
    "stop cleanly and exit 0 once epoch S + n + 2 begins, S being the epoch every node is up in",
    positiveInt("--epochs"),
  )
  .option("--summary <file>", "write a JSON summary here when the devnet stops")
  .option(
    "--data-dir <dir>",
    "deployment, node data and logs (wiped at start)",
    join(process.cwd(), ".devnet"),
  )
  .option("--no-live", "print one line per refresh instead of redrawing the table")
  .showHelpAfterError();

async function main(): Promise<void> {
  program.parse();
  /** The options of startDevnet that are flags (the callbacks are this script's). */
  const o = program.opts<Omit<DevnetOptions, "onSnapshot" | "log">>();
  const tty = process.stdout.isTTY === true && o.live;
  const startedAt = Date.now();
  let handle: DevnetHandle | undefined;
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping every process...\n`);
    if (handle === undefined) {
      // Still starting: startDevnet's own cleanup runs when its step fails; the exit hook kills the rest.
      process.exit(130);
    }
    void handle.stop("signal");
  };
  // SIGHUP: the terminal closed. Every child also has a lifeline (devnet/lifeline.ts) for a SIGKILL.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => onSignal(signal));

  const draw = (s: Snapshot) => {
    if (tty) {
      const text = renderSnapshot(s, {
        dataDir: o.dataDir,
        startedAt,
        ...(handle === undefined
          ? {}
          : { accounts: handle.accounts, accountsFile: displayPath(handle.accountsFile, process.cwd()) }),
      });
      process.stdout.write(`\x1b[2J\x1b[H${text}\n`);
    } else {
      const up = s.checkers.filter((c) => c.up).length;
      const peers = s.checkers.map((c) => c.peers).join(",");
      const slashes = s.providers.map((p) => `${p.name}:${p.pendingSlashes}`).join(",");
      process.stdout.write(
        `[epoch ${s.chainEpoch}] checkers up ${up}/${s.checkers.length} peers ${peers} reports ${s.reports.length} seeds revealed ${s.seedsRevealed.length} attestations ${s.attestationsReported} pending slashes ${slashes} rewards unclaimed ${formatTokens(s.rewardsClaimable)} ${DEVNET.tokenSymbol}\n`,
      );
    }
  };

  handle = await startDevnet({
    checkers: o.checkers,
    providers: o.providers,
    providersPerAgent: o.providersPerAgent ?? 1,
    epochSeconds: o.epochSeconds,
    ...(o.epochs === undefined ? {} : { epochs: o.epochs }),
    ...(o.summary === undefined ? {} : { summary: o.summary }),
    dataDir: o.dataDir,
    live: tty,
    onSnapshot: draw,
    log: (line) =>
      process.stdout.write(`devnet [${((Date.now() - startedAt) / 1000).toFixed(1)}s]: ${line}\n`),
  });
  const outcome = await handle.finished;
  const summary = await handle.stop(outcome.reason);
  if (tty) {
    const last = handle.last();
    if (last !== undefined) draw(last);
  }
  if (summary.error !== null) {
    process.stderr.write(`devnet failed: ${summary.error}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(
    `devnet stopped (${summary.stoppedBy}) at epoch ${summary.endEpoch}: ${summary.reports.length} reports landed, ${summary.seedsRevealed.length} seeds revealed, ${summary.attestations.reported} attestations reported${o.summary === undefined ? "" : `; summary in ${o.summary}`}\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`devnet: ${(e as Error).message}\n`);
  process.exit(1);
});
