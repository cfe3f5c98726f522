/**
 * `npm run testbed`: the devnet spread over Linux network namespaces (scripts/testbed/netns.ts) — the
 * chain, five public checkers (one a circuit relay), two checkers each behind its own NAT, two providers,
 * each on its own address — and a partition that cuts two checkers off for two epochs, then heals.
 * Prints a table per epoch and how the NAT'd checkers reach each other, writes the JSON summary.
 *
 * Needs root (network namespaces); without it, prints why and exits 2.
 *
 *   npm run testbed [-- --summary testbed.json --data-dir .testbed]
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command } from "commander";
import type { TestbedSummary } from "./testbed/harness.ts";
import { TESTBED_HOSTS } from "./testbed/harness.ts";
import { createTopology, testbedUnavailable } from "./testbed/netns.ts";

const HARNESS = join(import.meta.dirname, "testbed/harness.ts");

const program = new Command()
  .name("testbed")
  .description("the devnet over network namespaces: NAT'd checkers, a relay, a partition that heals")
  .option("--summary <file>", "where the JSON summary goes", "testbed.json")
  .option("--data-dir <dir>", "node data and logs (wiped at start)", join(process.cwd(), ".testbed"))
  .showHelpAfterError();

function table(s: TestbedSummary): string {
  const name = new Map(Object.entries(s.operators).map(([n, a]) => [a, n]));
  const lines = [
    "epoch  phase      reported          signers/committee  cut-off seats  signers",
    ...s.epochs.map(
      (e) =>
        `${e.epoch.padEnd(5)}  ${e.phase.padEnd(9)}  ${(e.landedIn === null ? "NO" : e.landedIn === e.phase ? "yes" : `yes (${e.landedIn})`).padEnd(16)}  ` +
        `${`${e.signers.length}/${e.committee.length}`.padEnd(17)}  ${String(e.cutOffSeats).padEnd(13)}  ` +
        [...new Set(e.signers.map((a) => name.get(a) ?? a))].join(","),
    ),
    ...s.natted.map((n) => `${n.name}: reachability ${n.reachability}, announces ${n.announced.join(" ")}`),
    ...s.connections.map((c) => `${c.from} -> ${c.to}: ${c.paths.join(", ") || "not connected"}`),
  ];
  for (const p of s.devnet?.slashesPending ?? [])
    lines.push(`${p.provider} (${p.fault}): ${p.pendingSlashes} pending slashes`);
  return lines.join("\n");
}

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<{ summary: string; dataDir: string }>();
  const why = testbedUnavailable();
  if (why !== undefined) {
    console.error(`testbed: ${why}`);
    process.exit(2);
  }
  const dataDir = resolve(o.dataDir);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const topology = createTopology(
    [TESTBED_HOSTS.chain, ...TESTBED_HOSTS.publicCheckers, ...TESTBED_HOSTS.providers],
    TESTBED_HOSTS.nattedCheckers,
  );
  const summaryFile = resolve(o.summary);
  let code: number | null = 1;
  try {
    // The harness runs inside the lan namespace: from there it reaches every host (and no host reaches it).
    const harness = spawn(
      "ip",
      ["netns", "exec", topology.lan, process.execPath, "--import", "tsx", HARNESS, dataDir, summaryFile],
      {
        stdio: ["ignore", "inherit", "inherit"],
        env: {
          ...process.env,
          TESTBED_TOPOLOGY: JSON.stringify({ lan: topology.lan, hosts: topology.hosts }),
        },
      },
    );
    const stop = () => harness.kill("SIGTERM");
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    process.on("SIGHUP", stop);
    code = await new Promise<number | null>((r) => harness.on("exit", (c) => r(c)));
  } finally {
    topology.destroy();
  }
  try {
    console.log(table(JSON.parse(readFileSync(summaryFile, "utf8")) as TestbedSummary));
  } catch {
    // No summary: the harness's own output says why.
  }
  console.log(`summary: ${summaryFile}; logs: ${dataDir}/<name>.log`);
  process.exit(code ?? 1);
}

await main();
