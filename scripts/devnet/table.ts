import { formatEther } from "viem";
import type { Snapshot } from "./monitor.ts";

function pad(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd(),
  );
}

function tokens(wei: string): string {
  const n = Number(formatEther(BigInt(wei)));
  return n.toLocaleString("en-US", { maximumFractionDigits: 2 });
}

/** The compact live view: one line per checker, per provider, the last reports. */
export function renderSnapshot(s: Snapshot, extra: { dataDir: string; startedAt: number }): string {
  const lines: string[] = [];
  const uptime = Math.round((Date.now() - extra.startedAt) / 1000);
  lines.push(
    `checkernet devnet · chain epoch ${s.chainEpoch} · up ${uptime}s · reports ${s.reports.length} · seeds revealed ${s.seedsRevealed.length} · attestations reported ${s.attestationsReported} · rewards claimable ${tokens(s.rewardsClaimable)} (claimed ${tokens(s.rewardsClaimed)})`,
  );
  lines.push("");
  lines.push(
    ...pad([
      [
        "checker",
        "operator",
        "epoch",
        "peers",
        "seats(last)",
        "gossip ok/bad",
        "pending rpts",
        "chain",
        "dashboard",
      ],
      ...s.checkers.map((c) =>
        c.up
          ? [
              c.name,
              `${c.operator.slice(0, 10)}…`,
              c.epoch ?? "-",
              String(c.peers),
              String(c.ownAttestations),
              `${c.gossipAccepted}/${c.gossipRejected}`,
              String(c.pendingReports),
              c.chainConnected === true ? "ok" : c.chainConnected === false ? "DOWN" : "-",
              `http://127.0.0.1:${c.apiPort}/`,
            ]
          : [c.name, `${c.operator.slice(0, 10)}…`, "DOWN", "", "", "", "", c.error ?? "", ""],
      ),
    ]),
  );
  lines.push("");
  lines.push(
    ...pad([
      ["provider", "address", "fault", "pending slashes", "slashed epochs (amount)", "fraud-proof slashes"],
      ...s.providers.map((p) => [
        p.name,
        `${p.address.slice(0, 10)}…`,
        p.fault,
        String(p.pendingSlashes),
        p.slashes.map((x) => `${x.epoch} (${tokens(x.amount)})`).join(", ") || "-",
        (p.fraudSlashes ?? []).map((x) => `${x.epoch} (${tokens(x.amount)})`).join(", ") || "-",
      ]),
    ]),
  );
  lines.push("");
  const recent = s.reports.slice(-6);
  lines.push(
    ...pad([
      ["report epoch", "providers", "attestations", "rewards", "gas", "tx"],
      ...(recent.length === 0
        ? [["(none landed yet)", "", "", "", "", ""]]
        : recent.map((r) => [
            r.epoch,
            String(r.providerCount),
            String(r.attestationCount),
            tokens(r.totalRewards),
            Number(r.gasUsed).toLocaleString("en-US"),
            `${r.tx.slice(0, 12)}…`,
          ])),
    ]),
  );
  lines.push("");
  lines.push(`logs: ${extra.dataDir}/<name>.log · Ctrl-C stops every process`);
  return lines.join("\n");
}
