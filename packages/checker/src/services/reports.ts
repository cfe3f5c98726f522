import { fetchReport, REPORTS_PROTOCOL } from "@checkernet/wire";
import { peerIdFromString } from "@libp2p/peer-id";
import { ReportSync } from "../duties/reportSync.ts";
import { handleReports } from "../network/reqresp/reports.ts";
import type { ChainComponents, NodeComponents } from "./components.ts";
import type { NodeService } from "./service.ts";

/** Serves the reports this node holds (`/checkernet/reports/1.0.0`) to peers; always on. */
export class ReportServingService implements NodeService {
  private readonly components: NodeComponents;

  constructor(components: NodeComponents) {
    this.components = components;
  }

  async start(): Promise<void> {
    const { host, db, logger } = this.components;
    await handleReports(host, { db, logger: logger.child({ service: "reports" }) });
  }

  async stop(): Promise<void> {
    await this.components.host.unhandle(REPORTS_PROTOCOL);
  }
}

/** Fetches and verifies the reports of epochs this node holds no leaves of; built with a chain. */
export function createReportSync(c: NodeComponents, chain: ChainComponents): ReportSync {
  return new ReportSync(
    {
      db: c.db,
      publicClient: chain.publicClient,
      logger: c.logger.child({ service: "reports" }),
      peers: () => c.host.getPeers().map(String),
      fetchReport: (peer, epoch) => fetchReport(c.host, peerIdFromString(peer), epoch),
      currentEpoch: () => c.clock.currentEpoch(),
    },
    {
      epochReports: chain.contracts.epochReports,
      // Twice per epoch: a landed report is mirrored well before the next one.
      intervalMs: Math.max(1_000, (c.clock.epochSeconds * 1_000) / 2),
      lookbackEpochs: 16,
    },
  );
}
