import {
  type Deployment,
  epochReportsAbi,
  fraudProofsAbi,
  rewardsAbi,
  slashingAbi,
} from "@checkernet/contracts";
import type { Address, PublicClient } from "viem";

/** One checker's row, from its /status. */
interface CheckerRow {
  name: string;
  operator: Address;
  /** The node's dashboard and status API: http://127.0.0.1:<apiPort>/ */
  apiPort: number;
  up: boolean;
  epoch: string | null;
  peers: number;
  /** Providers this node attested in its last epoch (its committee seats). */
  ownAttestations: number;
  /** Attestations received over gossip and accepted. */
  gossipAccepted: number;
  gossipRejected: number;
  pendingReports: number;
  chainConnected: boolean | null;
  error: string | null;
}

export interface ReportRow {
  epoch: string;
  providerCount: number;
  attestationCount: number;
  totalRewards: string;
  gasUsed: string;
  tx: string;
  block: string;
}

interface ProviderRow {
  name: string;
  address: Address;
  fault: string;
  pendingSlashes: number;
  slashes: { slashId: string; epoch: string; amount: string; contestDeadline: string }[];
  /** Slashes by a matmul fraud proof (FraudProofs.MatmulFraudProven): immediate, no vote, no contest. */
  fraudSlashes: { epoch: string; amount: string; checker: Address }[];
}

export interface Snapshot {
  at: string;
  chainEpoch: string;
  checkers: CheckerRow[];
  reports: ReportRow[];
  providers: ProviderRow[];
  /** Sum over reported epochs of totalRewards minus what was claimed: earned and unclaimed, license rewards still locked included (shown as "rewards unclaimed"). */
  rewardsClaimable: string;
  rewardsClaimed: string;
  /** Attestations counted in landed reports. */
  attestationsReported: number;
  /** Epochs whose seed was revealed by the seed proposer of the epoch before (EpochSeeded, epoch ≥ 1). */
  seedsRevealed: string[];
}

export interface MonitorTargets {
  publicClient: PublicClient;
  deployment: Deployment;
  /** `apiUrl`: where the status API answers, when not on 127.0.0.1 (the testbed). */
  checkers: { name: string; operator: Address; apiPort: number; apiUrl?: string }[];
  providers: { name: string; address: Address; fault: string }[];
}

async function checkerRow(c: MonitorTargets["checkers"][number]): Promise<CheckerRow> {
  try {
    const api = c.apiUrl ?? `http://127.0.0.1:${c.apiPort}`;
    const res = await fetch(`${api}/status`, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const s = (await res.json()) as {
      epoch: { current: string };
      peers: { count: number };
      gossip: { accepted: number; rejected: number };
      attestations: { lastOwn: unknown[] };
      pendingReports: number | unknown[];
      chain: { connected: boolean | null };
    };
    return {
      name: c.name,
      operator: c.operator,
      apiPort: c.apiPort,
      up: true,
      epoch: s.epoch.current,
      peers: s.peers.count,
      ownAttestations: s.attestations.lastOwn.length,
      gossipAccepted: s.gossip.accepted,
      gossipRejected: s.gossip.rejected,
      pendingReports: Array.isArray(s.pendingReports) ? s.pendingReports.length : Number(s.pendingReports),
      chainConnected: s.chain.connected,
      error: null,
    };
  } catch (e) {
    return {
      name: c.name,
      operator: c.operator,
      apiPort: c.apiPort,
      up: false,
      epoch: null,
      peers: 0,
      ownAttestations: 0,
      gossipAccepted: 0,
      gossipRejected: 0,
      pendingReports: 0,
      chainConnected: null,
      error: (e as Error).message,
    };
  }
}

/**
 * Reads the network's state: every checker's /status, and from the chain the
 * reports landed (with the gas of the transaction that landed each), slashes
 * and rewards. Reports and their receipts are cached: they never change.
 */
export class Monitor {
  private readonly targets: MonitorTargets;
  private readonly reports = new Map<string, ReportRow>();
  private readonly seeds = new Set<bigint>();
  private scannedTo: bigint;

  constructor(targets: MonitorTargets) {
    this.targets = targets;
    this.scannedTo = targets.deployment.startBlock - 1n;
  }

  async snapshot(): Promise<Snapshot> {
    const { publicClient: client, deployment } = this.targets;
    const c = deployment.contracts;
    const [checkers, latest, chainEpoch] = await Promise.all([
      Promise.all(this.targets.checkers.map(checkerRow)),
      client.getBlockNumber(),
      client.readContract({ address: c.epochReports, abi: epochReportsAbi, functionName: "currentEpoch" }),
    ]);
    if (latest > this.scannedTo) {
      const logs = await client.getContractEvents({
        address: c.epochReports,
        abi: epochReportsAbi,
        eventName: "ReportSubmitted",
        fromBlock: this.scannedTo + 1n,
        toBlock: latest,
      });
      for (const log of logs) {
        const receipt = await client.getTransactionReceipt({ hash: log.transactionHash });
        const a = log.args;
        this.reports.set(String(a.epoch), {
          epoch: String(a.epoch),
          providerCount: Number(a.providerCount),
          attestationCount: Number(a.attestationCount),
          totalRewards: String(a.totalRewards),
          gasUsed: receipt.gasUsed.toString(),
          tx: log.transactionHash,
          block: String(log.blockNumber),
        });
      }
      const seeded = await client.getContractEvents({
        address: c.epochReports,
        abi: epochReportsAbi,
        eventName: "EpochSeeded",
        fromBlock: this.scannedTo + 1n,
        toBlock: latest,
      });
      // Epoch 0's event is the genesis seed, not a reveal.
      for (const log of seeded)
        if (log.args.epoch !== undefined && log.args.epoch > 0n) this.seeds.add(log.args.epoch);
      this.scannedTo = latest;
    }
    const reports = [...this.reports.values()].sort((x, y) => Number(BigInt(x.epoch) - BigInt(y.epoch)));

    const slashLogs = await client.getContractEvents({
      address: c.slashing,
      abi: slashingAbi,
      eventName: "SlashOpened",
      fromBlock: deployment.startBlock,
      toBlock: latest,
    });
    const fraudLogs = await client.getContractEvents({
      address: c.fraudProofs,
      abi: fraudProofsAbi,
      eventName: "MatmulFraudProven",
      fromBlock: deployment.startBlock,
      toBlock: latest,
    });
    const providers = await Promise.all(
      this.targets.providers.map(async (p): Promise<ProviderRow> => {
        const pending = await client.readContract({
          address: c.slashing,
          abi: slashingAbi,
          functionName: "pendingSlashCount",
          args: [p.address],
        });
        return {
          name: p.name,
          address: p.address,
          fault: p.fault,
          pendingSlashes: Number(pending),
          slashes: slashLogs
            .filter((l) => l.args.provider?.toLowerCase() === p.address.toLowerCase())
            .map((l) => ({
              slashId: String(l.args.slashId),
              epoch: String(l.args.epoch),
              amount: String(l.args.amount),
              contestDeadline: String(l.args.contestDeadline),
            })),
          fraudSlashes: fraudLogs
            .filter((l) => l.args.provider?.toLowerCase() === p.address.toLowerCase())
            .map((l) => ({
              epoch: String(l.args.epoch),
              amount: String(l.args.slashed),
              checker: l.args.checker as Address,
            })),
        };
      }),
    );

    let total = 0n;
    let claimed = 0n;
    for (const r of reports) {
      total += BigInt(r.totalRewards);
      claimed += await client.readContract({
        address: c.rewards,
        abi: rewardsAbi,
        functionName: "claimedOf",
        args: [BigInt(r.epoch)],
      });
    }
    return {
      at: new Date().toISOString(),
      chainEpoch: String(chainEpoch),
      checkers,
      reports,
      providers,
      rewardsClaimable: (total - claimed).toString(),
      rewardsClaimed: claimed.toString(),
      attestationsReported: reports.reduce((a, r) => a + r.attestationCount, 0),
      seedsRevealed: [...this.seeds].sort((a, b) => (a < b ? -1 : 1)).map(String),
    };
  }
}
