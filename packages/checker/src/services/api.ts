import { dashboardRoutes } from "../api/dashboard.ts";
import { eventsRoutes } from "../api/events.ts";
import { explainRoutes } from "../api/explain.ts";
import { HistoryReader, historyRoutes } from "../api/history.ts";
import { sendJson } from "../api/http.ts";
import { reportsRoutes } from "../api/reports.ts";
import { type NodeStatus, type Route, StatusApi } from "../api/server.ts";
import type { ReportSync } from "../duties/reportSync.ts";
import { readReportRecord } from "../reports/aggregatorRecords.ts";
import { storedRewardsFromDb } from "../rewards/licenseRewards.ts";
import type { NodeComponents } from "./components.ts";

/**
 * The local HTTP API (status, metrics, rewards, dashboard, events, reports,
 * and explain / history where their contracts are configured). StatusApi is
 * itself the service (it listens in start and closes in stop). Not built when
 * apiPort is 0.
 */
export function createStatusApi(
  c: NodeComponents,
  getStatus: () => Promise<NodeStatus>,
  reportSync: ReportSync | undefined,
): StatusApi {
  const currentEpoch = () => c.clock.currentEpoch();
  const recordOf = (epoch: bigint) =>
    reportSync === undefined ? readReportRecord(c.db, epoch) : reportSync.ensure(epoch).then((r) => r.record);
  return new StatusApi(
    {
      logger: c.logger.child({ service: "api" }),
      metrics: c.metrics,
      getStatus,
      getRewards: () => storedRewardsFromDb(c.db, currentEpoch()),
      routes: [
        ...dashboardRoutes(),
        ...eventsRoutes({ getStatus }),
        ...reportsRoutes({ db: c.db, currentEpoch, recordOf }),
        {
          // Stored equivocation evidence, newest epoch first, at most 256 (docs/protocol/equivocation.md).
          path: "/equivocations",
          handler: async ({ res }) => {
            const records = await c.db.listEquivocations();
            sendJson(
              res,
              200,
              records
                .reverse()
                .slice(0, 256)
                .map((r) => ({ ...r, epoch: r.epoch.toString() })),
            );
          },
        },
        ...chainRoutes(c, recordOf),
      ],
    },
    { host: c.config.apiHost, port: c.config.apiPort },
  );
}

/** `/explain` with a chain and the Rewards contract; `/history` (off without them) also needs the license contract and an operator. */
function chainRoutes(c: NodeComponents, recordOf: Parameters<typeof explainRoutes>[0]["recordOf"]): Route[] {
  const { chain, config } = c;
  const rewards = config.rewardsContract;
  if (chain === undefined || rewards === undefined) return historyRoutes(undefined);
  const epochReports = chain.contracts.epochReports;
  const explain = explainRoutes({
    publicClient: chain.publicClient,
    contracts: { epochReports, rewards },
    recordOf,
  });
  const { operatorAddress, checkerLicense } = config;
  if (operatorAddress === undefined || checkerLicense === undefined)
    return [...explain, ...historyRoutes(undefined)];
  const history = new HistoryReader(
    { publicClient: chain.publicClient, db: c.db, clock: c.clock },
    {
      operator: operatorAddress,
      contracts: { epochReports, rewards, checkerLicense, slashing: config.slashingContract },
    },
  );
  return [...explain, ...historyRoutes(history)];
}
