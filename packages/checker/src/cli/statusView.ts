import { formatTokens } from "@checkernet/protocol/tokens";
import type { NodeStatus } from "../api/status.ts";

/** Attestation results as the protocol numbers them (types.ts CheckResult). */
const RESULT_NAMES = ["pass", "fail", "timeout"] as const;

function short(id: string, keep = 10): string {
  return id.length <= keep * 2 + 1 ? id : `${id.slice(0, keep)}…${id.slice(-6)}`;
}

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m ${seconds % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

function yesNo(value: boolean | null, unknown = "unknown"): string {
  return value === null ? unknown : value ? "yes" : "no";
}

/**
 * `checker status` for a person: what the node is doing now, in the order a
 * license holder asks (is it healthy? is it working? is it being paid?), with
 * the alerts first. `checker status --json` prints the API's JSON instead.
 */
export function formatStatus(s: NodeStatus): string {
  const lines: string[] = [];
  // A continuation line (label "") is indented under the one above it, without a lone ":".
  const add = (label: string, value: string) =>
    lines.push(`${(label === "" ? "" : `${label}:`).padEnd(14)}${value}`);

  if (s.alerts.length === 0) lines.push("OK: no alerts");
  for (const a of s.alerts)
    lines.push(`${a.severity === "critical" ? "ALERT" : "warning"} ${a.code}: ${a.message}`);
  lines.push("");

  add("node", `${short(s.peerId)} v${s.version}, up ${duration(s.uptimeSeconds)}`);
  const chain = s.chain.connected === null ? "not configured" : s.chain.connected ? "connected" : "DOWN";
  add("chain", `${chain} (${s.chain.rpcUrl})${s.chain.lastError === null ? "" : `: ${s.chain.lastError}`}`);
  const op = s.operator;
  add(
    "operator",
    `${op.address}, registered ${yesNo(op.registered)}, key matches ${yesNo(op.keyMatches)}, ` +
      `licenses ${op.licenses ?? "unknown"}${op.licenseIds.length > 0 ? ` (#${op.licenseIds.join(", #")})` : ""}` +
      (op.delegated !== null &&
      op.delegated !== undefined &&
      op.licenses !== null &&
      op.delegated !== op.licenses
        ? `, ${op.delegated} delegated (changes count after the activation delay)`
        : ""),
  );
  add(
    "peers",
    `${s.peers.count} connected, ${s.gossip.meshPeers} in the gossip mesh, NAT ${s.nat.reachability}`,
  );
  const next =
    s.epoch.nextPhaseInMs === null ? "" : `, next phase in ${Math.ceil(s.epoch.nextPhaseInMs / 1000)}s`;
  add(
    "epoch",
    `${s.epoch.current} (${s.epoch.phase.toLowerCase()} phase${next}; ${s.epoch.epochSeconds}s epochs)`,
  );
  add(
    "seats",
    s.seats.epoch === null
      ? "none yet"
      : `epoch ${s.seats.epoch}: ${s.seats.total} on ${s.seats.providers.length} provider(s)` +
          (s.seats.providers.length > 0
            ? ` (${s.seats.providers.map((p) => `${short(p.provider, 6)}×${p.seats}`).join(", ")})`
            : ""),
  );
  add(
    "gossip",
    `${s.gossip.accepted} accepted, ${s.gossip.rejected} rejected, ${s.gossip.ignored} ignored; ${s.attestations.seen} attestations seen`,
  );
  if (s.challenges.length > 0) add("challenges", challengeSummary(s.challenges));
  if (s.attestations.lastOwn.length === 0) add("attested", "nothing yet");
  for (const [i, a] of s.attestations.lastOwn.entries()) {
    add(
      i === 0 ? "attested" : "",
      `epoch ${a.epoch} ${a.provider}: ${RESULT_NAMES[a.result] ?? `result ${a.result}`}`,
    );
  }
  for (const k of s.attestations.skipped) add("skipped", `${k.provider}: ${k.reason}`);
  const role = s.reports.role;
  add(
    "aggregator",
    `${s.reports.aggregator ? "on" : "off"}${s.reports.submitter === null ? " (co-signs only)" : ` (pays from ${s.reports.submitter})`}` +
      (role === null
        ? ""
        : `; epoch ${role.epoch}: ${role.rank === null ? "not ranked" : role.rank === 0 ? "leader" : `backup #${role.rank}`}`),
  );
  // Absent from nodes older than the seed proposer duty.
  if (s.seeds !== undefined) {
    const last = s.seeds.last;
    add(
      "seeds",
      `${s.seeds.revealed} revealed as seed proposer` +
        (last === null ? "" : `; last: epoch ${last.epoch} (seed of ${last.seedEpoch}) ${last.outcome}`),
    );
  }
  if (s.fraudProofs !== undefined) {
    const f = s.fraudProofs;
    add(
      "fraud proofs",
      `${f.built} built, ${f.landed} landed, ${f.alreadySlashed} already slashed, ${f.pending} pending` +
        (f.rejected + f.expired > 0 ? `, ${f.rejected} rejected, ${f.expired} expired` : "") +
        (f.submitting ? "" : " (not submitting: no FraudProofs address or transaction key)"),
    );
  }
  add("pending", `${s.pendingReports} report(s) gathering signatures or being sent`);
  const unreported = s.reports.unreported ?? [];
  if (unreported.length > 0)
    add("unreported", `epoch(s) ${unreported.join(", ")}: no report landed in time, rewards lost`);
  for (const [i, r] of s.reports.recent.slice(-5).entries()) {
    const gas = r.gasUsed === null ? "" : `, gas ${r.gasUsed}`;
    const tx = r.txHash === null ? "" : `, tx ${short(r.txHash)}`;
    const err = r.error === null ? "" : `: ${r.error}`;
    add(i === 0 ? "reports" : "", `epoch ${r.epoch} ${r.role} ${r.status}${gas}${tx}${err}`);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Challenge runs since start, per kind: "vram 13 pass, 2 abstained; matmul 26 pass". Abstained runs
 * failed on time alone while this machine's own event loop stalled, so they were not attested.
 */
function challengeSummary(counts: NodeStatus["challenges"]): string {
  const byKind = new Map<string, string[]>();
  for (const c of counts) byKind.set(c.kind, [...(byKind.get(c.kind) ?? []), `${c.count} ${c.result}`]);
  return [...byKind].map(([kind, parts]) => `${kind} ${parts.join(", ")}`).join("; ");
}

/** The operator's reward totals from `GET /history` (token base units as decimal strings). */
export interface RewardTotals {
  earned: string;
  claimed: string;
  unclaimed: string;
  /** Part of `unclaimed` not claimable yet (its epochs' penalties are not final); absent from older nodes. */
  locked?: string;
  epochs: number;
}

/** Why `checker status` prints no reward totals: one phrase, shown after "unavailable". */
export interface RewardTotalsUnavailable {
  unavailable: string;
}

/**
 * Reads the totals of `GET /history`, or says why there are none (no reward
 * contracts configured, the chain unreadable, no answer in time on a busy
 * machine), so that `checker status` still prints everything else and the
 * reader knows whether to retry.
 */
export async function fetchRewardTotals(
  baseUrl: string,
  timeoutMs = 10_000,
): Promise<RewardTotals | RewardTotalsUnavailable> {
  let res: Response;
  try {
    res = await fetch(`${baseUrl}/history`, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const timedOut = (e as Error).name === "TimeoutError";
    return {
      unavailable: timedOut
        ? `${baseUrl}/history did not answer within ${timeoutMs / 1000} s (a busy node; run it again)`
        : `${baseUrl}/history: ${(e as Error).message}`,
    };
  }
  try {
    const body = (await res.json()) as {
      totals?: Partial<RewardTotals>;
      rewards?: unknown[];
      error?: unknown;
    };
    if (!res.ok) {
      const why = typeof body.error === "string" ? body.error : `HTTP ${res.status}`;
      return { unavailable: `the node serves no reward history: ${why}` };
    }
    const t = body.totals;
    if (t?.earned === undefined || t.claimed === undefined || t.unclaimed === undefined) {
      return { unavailable: "the node's /history has no totals (an older node)" };
    }
    return {
      earned: t.earned,
      claimed: t.claimed,
      unclaimed: t.unclaimed,
      ...(t.locked === undefined ? {} : { locked: t.locked }),
      epochs: body.rewards?.length ?? 0,
    };
  } catch (e) {
    return {
      unavailable: `${baseUrl}/history answered HTTP ${res.status} with no JSON: ${(e as Error).message}`,
    };
  }
}

export function formatRewardTotals(t: RewardTotals | RewardTotalsUnavailable): string {
  if ("unavailable" in t) return `${"rewards:".padEnd(14)}unavailable (${t.unavailable})\n`;
  return (
    `${"rewards:".padEnd(14)}earned ${formatTokens(t.earned)} over ${t.epochs} epoch(s), claimed ${formatTokens(t.claimed)}, ` +
    `unclaimed ${formatTokens(t.unclaimed)}` +
    (t.locked !== undefined && BigInt(t.locked) > 0n ? ` of which ${formatTokens(t.locked)} locked` : "") +
    ` (\`checker rewards\`, \`checker claim\`)\n`
  );
}
