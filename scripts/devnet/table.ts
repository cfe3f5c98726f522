import { formatTokens } from "@checkernet/protocol/tokens";
import type { DevnetAccounts } from "./accounts.ts";
import type { Snapshot } from "./monitor.ts";
import { DEVNET } from "./params.ts";

function pad(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd(),
  );
}

const tokens = (baseUnits: string) => formatTokens(baseUnits);

/**
 * The compact live view: one line per checker (full operator address, dashboard), per provider, per license
 * owner (with its dev-only key), the last reports; amounts in tokens.
 */
export function renderSnapshot(
  s: Snapshot,
  extra: { dataDir: string; startedAt: number; accounts?: DevnetAccounts; accountsFile?: string },
): string {
  const lines: string[] = [];
  const uptime = Math.round((Date.now() - extra.startedAt) / 1000);
  const sym = DEVNET.tokenSymbol;
  lines.push(
    `checkernet devnet · chain epoch ${s.chainEpoch} · up ${uptime}s · reports ${s.reports.length} · seeds revealed ${s.seedsRevealed.length} · attestations reported ${s.attestationsReported} · rewards unclaimed ${tokens(s.rewardsClaimable)} ${sym} (claimed ${tokens(s.rewardsClaimed)} ${sym})`,
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
              c.operator,
              c.epoch ?? "-",
              String(c.peers),
              String(c.ownAttestations),
              `${c.gossipAccepted}/${c.gossipRejected}`,
              String(c.pendingReports),
              c.chainConnected === true ? "ok" : c.chainConnected === false ? "DOWN" : "-",
              `http://127.0.0.1:${c.apiPort}/`,
            ]
          : [c.name, c.operator, "DOWN", "", "", "", "", c.error ?? "", `http://127.0.0.1:${c.apiPort}/`],
      ),
    ]),
  );
  const p2p = extra.accounts?.checkers ?? [];
  if (p2p.length > 0) {
    lines.push("");
    lines.push(
      ...pad([
        ["checker", "p2p multiaddr (bootstrap, provider contest --from-checker)"],
        ...p2p.map((c) => [c.name, c.multiaddr]),
      ]),
    );
  }
  lines.push("");
  lines.push(
    ...pad([
      [
        "provider",
        "address",
        "fault",
        "pending slashes",
        `slashed epochs (${sym})`,
        `fraud-proof slashes (${sym})`,
      ],
      ...s.providers.map((p) => [
        p.name,
        p.address,
        p.fault,
        String(p.pendingSlashes),
        p.slashes.map((x) => `${x.epoch} (${tokens(x.amount)})`).join(", ") || "-",
        (p.fraudSlashes ?? []).map((x) => `${x.epoch} (${tokens(x.amount)})`).join(", ") || "-",
      ]),
    ]),
  );
  const owners = extra.accounts?.owners ?? [];
  if (owners.length > 0) {
    lines.push("");
    lines.push(
      ...pad([
        ["license owner", "address", "private key (DEV-ONLY, public mnemonic)", "licenses"],
        ...owners.map((o) => [o.name, o.address, o.privateKey, o.licenses.join(",")]),
      ]),
    );
  }
  lines.push("");
  const recent = s.reports.slice(-6);
  lines.push(
    ...pad([
      ["report epoch", "providers", "attestations", `rewards (${sym})`, "gas", "tx"],
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
  if (extra.accountsFile !== undefined)
    lines.push(
      `keys (dev-only), peer ids, multiaddrs and the owners' rewards/claim commands: ${extra.accountsFile}`,
    );
  lines.push(`logs: ${extra.dataDir}/<name>.log · Ctrl-C stops every process`);
  return lines.join("\n");
}
