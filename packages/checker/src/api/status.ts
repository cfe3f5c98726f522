import type { FraudProofCounts } from "../duties/fraudProofDuty.ts";
import type { Metrics } from "../metrics/index.ts";
import type { Alert } from "./alerts.ts";
import { send, sendJson } from "./http.ts";
import type { Route } from "./router.ts";

/** What `GET /status` returns (and `GET /events` pushes). Bigints are rendered as decimal strings. */
export interface NodeStatus {
  version: string;
  peerId: string;
  /** BLS operator public key, or null while the keystore is locked. */
  operatorPublicKey: string | null;
  listen: string[];
  peers: {
    count: number;
    ids: string[];
    /**
     * Each open connection and its path: `limited` is a circuit-relay connection (a peer behind NAT
     * reached through a relay); a DCUtR upgrade shows as a second, direct one to the same peer.
     */
    connections: { peer: string; addr: string; direction: "inbound" | "outbound"; limited: boolean }[];
  };
  /** NAT traversal as configured and as the advertised addresses show it. */
  nat: {
    enabled: boolean;
    /** public: a routable address is advertised; relayed: only circuit-relay addresses; private: neither; disabled: NAT traversal off. */
    reachability: "public" | "relayed" | "private" | "disabled";
    publicAddresses: string[];
  };
  epoch: {
    current: string;
    genesisMs: number;
    epochSeconds: number;
    /** PRE_GENESIS, CHECKING or PUBLISH (attestations are published in the publish phase). */
    phase: string;
    /** Milliseconds until the next phase starts (null before genesis). */
    nextPhaseInMs: number | null;
  };
  gossip: {
    topics: string[];
    accepted: number;
    rejected: number;
    ignored: number;
    /** Peers in this node's gossipsub mesh for the attestation topic(s). */
    meshPeers: number;
    /** Checkers this node holds equivocation evidence against, over recent epochs (docs/protocol/equivocation.md). */
    equivocations?: number;
  };
  /** Committee seats of this checker's last epoch (one per provider it sits on). */
  seats: { epoch: string | null; total: number; providers: { provider: string; seats: number }[] };
  attestations: {
    seen: number;
    lastOwn: { epoch: string; provider: string; result: number }[];
    /** Seats whose challenge did not run (provider unreachable, not registered, ...). */
    skipped: { provider: string; reason: string }[];
  };
  /** Challenge runs since start, by kind and result (pass, fail, timeout). */
  challenges: { kind: string; result: string; count: number }[];
  /** Reports of recent epochs still gathering co-signatures or being submitted. */
  pendingReports: number;
  /** The aggregation half: whether it runs, who pays, this node's last ranking, recent report records. */
  reports: {
    aggregator: boolean;
    /** EVM account that submits (null: co-signs only). */
    submitter: string | null;
    role: {
      epoch: string;
      rank: number | null;
      leader: string | null;
      candidates: number;
      /** Checkers left out of the ranking as known equivocators (docs/protocol/equivocation.md). */
      barred?: string[];
    } | null;
    /**
     * Epochs (of the last 64) this node attested in whose report never landed: the contract's lateness
     * window closed with reportOf(epoch) empty (reports/unreportedEpochs.ts). Oldest first; absent from
     * nodes older than issue 14.
     */
    unreported?: string[];
    recent: {
      epoch: string;
      role: string;
      status: string;
      txHash: string | null;
      gasUsed: string | null;
      signers: number | null;
      error: string | null;
    }[];
  };
  /** The operator as the chain sees it (null fields: no chain configured or not read yet). */
  operator: {
    address: string;
    /** Whether the operator is registered in the CheckerRegistry. */
    registered: boolean | null;
    /** Whether the registered BLS key is this node's key. */
    keyMatches: boolean | null;
    /** Licenses counting for the operator in the current epoch's snapshot (its sortition weight), with their ids. */
    licenses: number | null;
    licenseIds: string[];
    /** Licenses delegated to it now; more than `licenses` while a delegation waits out the activation delay. */
    delegated: number | null;
  };
  /** The seed proposer duty (duties/seedDuty.ts): reveals sent by this node. */
  seeds: {
    /** Seeds this node revealed (or found revealed) as its epoch's seed proposer, since start. */
    revealed: number;
    /** The last epoch this node was the seed proposer of, and how that went. */
    last: { epoch: string; seedEpoch: string; outcome: string } | null;
  };
  /**
   * Matmul fraud proofs this node built from its runs (a wrong row under the provider's signed commitment)
   * and what came of them (duties/fraudProofDuty.ts); `submitting` is false without the FraudProofs address
   * or a transaction key (then they stay pending). Optional: absent from nodes older than issue 11.
   */
  fraudProofs?: FraudProofCounts & { submitting: boolean };
  /**
   * Chain connectivity as the node's own calls find it: `connected` turns false when a call gets no
   * answer (timeout, refused) or waits past its deadline (chain/chainHealth.ts), true with the next
   * answer; null before the first. `lastAnswerMs`: when the RPC last answered (absent from nodes
   * older than issue 14).
   */
  chain: {
    rpcUrl: string;
    connected: boolean | null;
    lastError: string | null;
    lastAnswerMs?: number | null;
  };
  /** What needs the operator's attention, computed by the node (src/api/alerts.ts). */
  alerts: Alert[];
  uptimeSeconds: number;
}

/** `GET /status` (JSON), `GET /rewards` (stored reward leaves) and `GET /metrics` (Prometheus text). */
export function statusRoutes(components: {
  metrics: Metrics;
  getStatus(): Promise<NodeStatus> | NodeStatus;
  getRewards?(): Promise<unknown>;
}): Route[] {
  const routes: Route[] = [
    {
      path: "/status",
      handler: async ({ res }) => sendJson(res, 200, await components.getStatus()),
    },
    {
      path: "/metrics",
      handler: async ({ res }) => {
        const { registry } = components.metrics;
        send(res, 200, registry.contentType, await registry.metrics());
      },
    },
  ];
  const getRewards = components.getRewards;
  if (getRewards !== undefined) {
    routes.push({ path: "/rewards", handler: async ({ res }) => sendJson(res, 200, await getRewards()) });
  }
  return routes;
}

/** Reads `/status` from a running node (used by `checker status`). */
export async function fetchStatus(baseUrl: string, timeoutMs = 5_000): Promise<NodeStatus> {
  let res: Response;
  try {
    res = await fetch(`${baseUrl}/status`, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    throw new Error(
      `cannot reach the node's status API at ${baseUrl}: ${(e as Error).message} (is \`checker start\` running?)`,
    );
  }
  if (!res.ok) throw new Error(`status API at ${baseUrl} answered HTTP ${res.status}`);
  return (await res.json()) as NodeStatus;
}
