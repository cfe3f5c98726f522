/**
 * The namespace testbed end to end (issue 15): `npm run testbed`'s launcher, as a newcomer runs it, on a
 * network of Linux namespaces — the chain, five public checkers (checker-1 relays), two checkers each
 * behind its own NAT (masquerade, nothing can dial in), two providers (provider-2 faulty) — with
 * checker-4 and checker-5 cut off for two epochs, then healed.
 *
 * It needs root to create namespaces. Without it the test is skipped with the reason, except under
 * CI=true, where it must run (CI has root).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Address } from "viem";
import { afterAll, describe, expect, it } from "vitest";
import type { TestbedSummary } from "../../scripts/testbed/harness.ts";
import { testbedUnavailable } from "../../scripts/testbed/netns.ts";

const ROOT = join(import.meta.dirname, "../..");
const unavailable = testbedUnavailable();
const skip = unavailable !== undefined && process.env.CI !== "true";
if (skip) console.warn(`testbed e2e skipped: ${unavailable}`);

const dir = mkdtempSync(join(tmpdir(), "checkernet-testbed-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function runTestbed(): Promise<{ code: number | null; output: string; summary: TestbedSummary }> {
  const summaryFile = join(dir, "testbed.json");
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "scripts/testbed.ts", "--summary", summaryFile, "--data-dir", join(dir, "data")],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout.on("data", (b: Buffer) => {
    output += b.toString();
  });
  child.stderr.on("data", (b: Buffer) => {
    output += b.toString();
  });
  const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
  return { code, output, summary: JSON.parse(readFileSync(summaryFile, "utf8")) as TestbedSummary };
}

describe.skipIf(skip)("namespace testbed: NAT, relay, partition", () => {
  it("checkers behind NAT co-sign through the relay; a partition of two checkers heals; nobody honest is blamed", async () => {
    const { code, output, summary } = await runTestbed();
    // The table and paths, for whoever reads the test's output.
    console.log(output.split("\n").slice(-25).join("\n"));
    expect(summary.error, output.slice(-4_000)).toBeNull();
    expect(code).toBe(0);

    const phases = summary.epochs.map((e) => e.phase);
    expect(phases.filter((p) => p === "partition")).toHaveLength(2);
    const firstAfter = summary.epochs.find((e) => e.phase === "after");
    for (const e of summary.epochs) {
      if (e === firstAfter) {
        // The healed checkers' gossip mesh re-forms during this epoch: their own attestations may not
        // reach the others yet, and as members they refuse a report that omits them. It lands whenever
        // the rest hold a quorum; from the next epoch on, always (docs/network-conditions.md).
        if (e.committee.length - e.cutOffSeats >= e.quorumSeats) expect(e.reported).toBe(true);
      } else if (e.phase !== "partition") {
        expect(e.reported, `epoch ${e.epoch} (${e.phase}) reported`).toBe(true);
      } else {
        // During the partition the near side lands the report whenever it holds a quorum of the seats.
        const nearSeats = e.committee.length - e.cutOffSeats;
        if (nearSeats >= e.quorumSeats)
          expect(e.reported, `epoch ${e.epoch} (partition) reported`).toBe(true);
        // A report that landed during the partition cannot carry the cut-off checkers' signatures. One
        // that lacked a quorum may land late, after the heal, signed by them too (reportLatenessEpochs).
        const cut = new Set(["checker-4", "checker-5"].map((n) => summary.operators[n]));
        if (e.landedIn === "partition") expect(e.signers.filter((s) => cut.has(s))).toEqual([]);
      }
    }

    // Behind NAT: a relay reservation (a /p2p-circuit address), and a path to each other (which one is
    // printed above: relayed through checker-1, or direct after a DCUtR hole punch).
    // It announces that address and no private one (192.168.k.2 is unreachable from the network); no
    // public checker ever learnt one (its log would name it: a dial in vain), and the public checkers
    // still announce their own 10.77.1.x addresses.
    for (const n of summary.natted) {
      expect(
        n.announced.some((a) => a.includes("/p2p-circuit")),
        `${n.name} listens through the relay`,
      ).toBe(true);
      expect(
        n.announced.filter((a) => !a.includes("/p2p-circuit")),
        `${n.name} announces only relay addresses`,
      ).toEqual([]);
      expect(n.announced.filter((a) => a.includes("/192.168."))).toEqual([]);
    }
    for (const [name, mentions] of Object.entries(summary.privateAddressMentions))
      expect(mentions, `${name}'s log names a NAT'd checker's private address`).toBe(0);
    for (const name of ["checker-1", "checker-2", "checker-3", "checker-4", "checker-5"]) {
      const ip = summary.hosts[name]?.ip as string;
      expect(
        summary.announced[name]?.some((a) => a.startsWith(`/ip4/${ip}/tcp/`)),
        `${name} announces ${ip}`,
      ).toBe(true);
    }
    expect(summary.connections.length).toBe(2);
    for (const c of summary.connections) expect(c.paths.length, `${c.from} -> ${c.to}`).toBeGreaterThan(0);

    // The NAT'd checkers sit on report committees and their co-signatures land.
    for (const name of ["checker-6", "checker-7"]) {
      const operator = summary.operators[name];
      const seated = summary.epochs.filter((e) => e.reported && e.committee.includes(operator as Address));
      if (seated.length > 0) {
        expect(
          seated.some((e) => e.signers.includes(operator as Address)),
          `${name} co-signed a landed report it had a seat for`,
        ).toBe(true);
      }
    }

    // Nobody honest is blamed; the faulty provider still is.
    const slashes = Object.fromEntries((summary.devnet?.slashesPending ?? []).map((p) => [p.provider, p]));
    // Counted as opened (SlashOpened: pending, or already executed by the nodes' slash keepers).
    expect(slashes["provider-1"]?.pendingSlashes).toBe(0);
    expect(slashes["provider-1"]?.slashes).toHaveLength(0);
    expect(slashes["provider-2"]?.slashes.length).toBeGreaterThan(0);
    // The cut-off checkers are back in the mesh.
    expect(summary.devnet?.peers["checker-4"]).toBeGreaterThan(0);
    expect(summary.devnet?.peers["checker-5"]).toBeGreaterThan(0);
  }, 900_000);
});
