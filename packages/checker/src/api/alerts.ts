/** Something the operator should fix; `code` is stable (the dashboard and scripts key on it). */
export interface Alert {
  code: AlertCode;
  severity: "critical" | "warning";
  message: string;
}

export const AlertCode = {
  RPC_DOWN: "RPC_DOWN",
  NOT_IN_MESH: "NOT_IN_MESH",
  NO_PEERS: "NO_PEERS",
  KEY_NOT_REGISTERED: "KEY_NOT_REGISTERED",
  KEY_MISMATCH: "KEY_MISMATCH",
  LICENSE_NOT_DELEGATED: "LICENSE_NOT_DELEGATED",
  NO_OPERATOR_KEY: "NO_OPERATOR_KEY",
  REPORT_FAILED: "REPORT_FAILED",
  EPOCH_UNREPORTED: "EPOCH_UNREPORTED",
  SLASH_UNOPENED: "SLASH_UNOPENED",
  REPORT_LEAVES_UNAVAILABLE: "REPORT_LEAVES_UNAVAILABLE",
} as const;
export type AlertCode = (typeof AlertCode)[keyof typeof AlertCode];

/** What the alerts are computed from: a slice of the node's status. */
export interface AlertInputs {
  chain: {
    configured: boolean;
    connected: boolean | null;
    lastError: string | null;
    rpcUrl: string;
    /** When the RPC last answered (null: never) and the time now, for how long it has been silent. */
    lastAnswerMs?: number | null;
    nowMs?: number;
  };
  peers: number;
  meshPeers: number;
  /** Whether the node has been up long enough for the mesh to form (a fresh node is not alarming). */
  warmedUp: boolean;
  operator: {
    address: string;
    hasKey: boolean;
    registered: boolean | null;
    keyMatches: boolean | null;
    licenses: number | null;
    /** Licenses delegated, some perhaps not counting yet (the activation delay); unknown when absent. */
    delegated?: number | null;
  };
  reports: { epoch: string; status: string; error: string | null }[];
  /**
   * Epochs whose lateness window closed with no report on chain (reports/unreportedEpochs.ts), oldest
   * first, and the current epoch: those of the last UNREPORTED_LIMITS.alertEpochs raise EPOCH_UNREPORTED.
   */
  unreported?: { epochs: readonly bigint[]; current: bigint; alertEpochs: bigint };
  /**
   * The first epoch this node ran whole (the one after the epoch it started in). An earlier epoch's
   * report failing is expected, not news: its checking began before the node (a devnet or a restart
   * mid-epoch: too few co-signers). Absent: every failure counts.
   */
  firstFullEpoch?: bigint;
  /** Slashable FAIL leaves this node holds still unopened an epoch after their report landed (duties/slashKeeper.ts). */
  unopenedSlashes?: readonly { epoch: bigint; provider: string }[];
  /**
   * Epochs whose landed report has FAIL verdicts this node cannot open: its leaves differ from the ones this
   * node holds, and no peer serves them (duties/slashKeeper.ts, review5 H1).
   */
  leavesUnavailable?: readonly bigint[];
}

/**
 * The alerts a license holder sees, most urgent first. Unknowns (null: the
 * chain was not read yet) raise nothing: an alert must be true.
 */
export function computeAlerts(i: AlertInputs): Alert[] {
  const out: Alert[] = [];
  // connected turns false one RPC deadline after a call gets no answer (chain/chainHealth.ts), well
  // within an epoch, and true with the next answer, which clears this alert.
  if (i.chain.configured && i.chain.connected === false) {
    out.push({
      code: AlertCode.RPC_DOWN,
      severity: "critical",
      message: `the chain RPC ${i.chain.rpcUrl} does not answer (${i.chain.lastError ?? "unknown error"}${silence(i.chain)}): no reports, no seeds, no registry updates`,
    });
  }
  if (!i.operator.hasKey) {
    out.push({
      code: AlertCode.NO_OPERATOR_KEY,
      severity: "warning",
      message: "no operator key unlocked: the node relays gossip but checks nothing and earns nothing",
    });
  }
  if (i.operator.registered === false) {
    out.push({
      code: AlertCode.KEY_NOT_REGISTERED,
      severity: "critical",
      message: `operator ${i.operator.address} is not registered in the CheckerRegistry (register the BLS key with its proof of possession)`,
    });
  } else if (i.operator.keyMatches === false) {
    out.push({
      code: AlertCode.KEY_MISMATCH,
      severity: "critical",
      message: `the BLS key registered for ${i.operator.address} is not this node's key: its attestations are refused`,
    });
  }
  if (i.operator.registered === true && i.operator.licenses === 0 && (i.operator.delegated ?? 0) > 0) {
    out.push({
      code: AlertCode.LICENSE_NOT_DELEGATED,
      severity: "warning",
      message: `${i.operator.delegated} license(s) are delegated to ${i.operator.address} but none counts yet: a delegation counts from the activation delay after it landed (CheckerRegistry.activationDelayEpochs)`,
    });
  } else if (i.operator.registered === true && i.operator.licenses === 0) {
    out.push({
      code: AlertCode.LICENSE_NOT_DELEGATED,
      severity: "critical",
      message: `no license is delegated to ${i.operator.address}: it has no seats and earns nothing (checker license delegate <id> ${i.operator.address})`,
    });
  }
  if (i.warmedUp && i.peers === 0) {
    out.push({
      code: AlertCode.NO_PEERS,
      severity: "critical",
      message: "no libp2p peers: check the bootstrap list and that the listen port is reachable",
    });
  } else if (i.warmedUp && i.meshPeers === 0) {
    out.push({
      code: AlertCode.NOT_IN_MESH,
      severity: "warning",
      message: "not in the gossip mesh of the attestation topic: attestations may not propagate",
    });
  }
  const failed = i.reports.find(
    (r) => r.status === "failed" && (i.firstFullEpoch === undefined || BigInt(r.epoch) >= i.firstFullEpoch),
  );
  if (failed !== undefined) {
    out.push({
      code: AlertCode.REPORT_FAILED,
      severity: "warning",
      message: `the report of epoch ${failed.epoch} failed: ${failed.error ?? "no reason recorded"}`,
    });
  }
  const u = i.unreported;
  const lost = u?.epochs.filter(
    (e) => e + u.alertEpochs >= u.current && (i.firstFullEpoch === undefined || e >= i.firstFullEpoch),
  );
  if (lost !== undefined && lost.length > 0) {
    out.push({
      code: AlertCode.EPOCH_UNREPORTED,
      severity: "warning",
      message: `no report landed for epoch${lost.length > 1 ? "s" : ""} ${lost.join(", ")} before the contract stopped taking it: those epochs' rewards are lost and their FAIL verdicts unslashed (look for RPC_DOWN or REPORT_FAILED around then)`,
    });
  }
  const unopened = i.unopenedSlashes ?? [];
  if (unopened.length > 0) {
    const first = unopened[0];
    out.push({
      code: AlertCode.SLASH_UNOPENED,
      severity: "warning",
      message: `${unopened.length} FAIL verdict(s) still without a slash an epoch after their report landed (first: epoch ${first?.epoch}, provider ${first?.provider}): this node's openSlash keeps failing and nobody else opened it; it is void once the contest window closes (check the tx account's gas and RPC_DOWN)`,
    });
  }
  const unavailable = i.leavesUnavailable ?? [];
  if (unavailable.length > 0) {
    out.push({
      code: AlertCode.REPORT_LEAVES_UNAVAILABLE,
      severity: "warning",
      message: `the report that landed for epoch${unavailable.length > 1 ? "s" : ""} ${unavailable.join(", ")} is not the one this node co-signed or built, and no peer serves its leaves: its FAIL verdicts cannot be opened from here (whoever landed it may be hiding them; the keeper asks its peers again every minute)`,
    });
  }
  return out;
}

/** "; last answer 42 s ago" (or "; no answer since start"), when the inputs say. */
function silence(chain: AlertInputs["chain"]): string {
  if (chain.lastAnswerMs === undefined || chain.nowMs === undefined) return "";
  if (chain.lastAnswerMs === null) return "; no answer since start";
  return `; last answer ${Math.max(0, Math.round((chain.nowMs - chain.lastAnswerMs) / 1000))} s ago`;
}
