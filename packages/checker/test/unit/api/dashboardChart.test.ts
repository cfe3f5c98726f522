import { createLogger } from "@checkernet/runtime";
import { type Browser, chromium, type Page } from "playwright-core";
import type { Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureChromium } from "../../../../../test/helpers/chromium.ts";
import { dashboardRoutes } from "../../../src/api/dashboard.ts";
import { eventsRoutes } from "../../../src/api/events.ts";
import type { History } from "../../../src/api/history.ts";
import { sendJson } from "../../../src/api/http.ts";
import { type NodeStatus, StatusApi } from "../../../src/api/server.ts";
import { createMetrics } from "../../../src/metrics/index.ts";

/**
 * The rewards chart's labels overlap nothing (issue 16): the y-axis labels (its top and its zero) and the
 * epochs under the bars, as chromium lays them out, against every bar's column and every other label. An
 * 18-decimal axis label ("85.714285714285714284") once ran into the first bar. No devnet: the node's real API
 * server serves the real page, with a fixed status and a fixed history whose first epoch is the largest (its
 * bar reaches the axis' top label), in Debian's chromium at a desktop and a phone width.
 */

const OPERATOR: Address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
/** 85.714285714285714284 tokens: the amount whose unformatted label once overlapped the first bar. */
const LARGEST = 85_714_285_714_285_714_284n;
/** 12,345,678.90 tokens: a label as wide as a formatted amount gets, which overlapped the first bar too. */
const WIDEST = 12_345_678_900_000_000_000_000_000n;

function reward(epoch: bigint, amount: bigint): History["rewards"][number] {
  return {
    epoch,
    amount,
    licenses: [{ licenseId: 1n, amount, claimed: epoch < 5n }],
    unlockEpoch: epoch + 4n,
  };
}

/** Twelve landed epochs, the first the largest, then smaller and uneven ones. */
function historyUpTo(largest: bigint): History {
  return {
    operator: OPERATOR,
    reports: [],
    rewards: Array.from({ length: 12 }, (_, i) =>
      reward(BigInt(i + 1), i === 0 ? largest : (largest * BigInt(3 + (i % 5))) / 10n),
    ),
    totals: {
      earned: 600n * 10n ** 18n,
      claimed: 300n * 10n ** 18n,
      unclaimed: 300n * 10n ** 18n,
      locked: 0n,
    },
  };
}
/** What /history serves now. */
let history = historyUpTo(LARGEST);

/** What the page reads of a status (renderStatus); a running node in epoch 13 with nothing to report. */
const STATUS = {
  version: "0.1.0",
  peerId: "12D3KooWChartFixture",
  operatorPublicKey: null,
  listen: [],
  peers: { count: 2, ids: [], connections: [] },
  nat: { enabled: false, reachability: "disabled", publicAddresses: [] },
  epoch: { current: "13", genesisMs: 0, epochSeconds: 20, phase: "CHECKING", nextPhaseInMs: 9_000 },
  gossip: { topics: [], accepted: 0, rejected: 0, ignored: 0, meshPeers: 1 },
  seats: { epoch: null, total: 0, providers: [] },
  attestations: { seen: 0, lastOwn: [], skipped: [] },
  challenges: [],
  pendingReports: 0,
  reports: { aggregator: false, submitter: null, role: null, recent: [] },
  operator: {
    address: OPERATOR,
    registered: true,
    keyMatches: true,
    licenses: 1,
    licenseIds: ["1"],
    delegated: 1,
  },
  seeds: { revealed: 0, last: null },
  chain: { rpcUrl: "http://127.0.0.1:8545", connected: true, lastError: null },
  alerts: [],
  uptimeSeconds: 60,
} satisfies NodeStatus;

let api: StatusApi;
let browser: Browser;

beforeAll(async () => {
  const getStatus = () => STATUS;
  api = new StatusApi(
    {
      logger: createLogger({ level: "silent" }),
      metrics: createMetrics(),
      getStatus,
      routes: [
        ...dashboardRoutes(),
        ...eventsRoutes({ getStatus }),
        { path: "/history", handler: ({ res }) => sendJson(res, 200, history) },
      ],
    },
    { port: 0 },
  );
  await api.start();
  browser = await chromium.launch({
    executablePath: ensureChromium(),
    // Root in a container has no user namespace for chromium's sandbox.
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
});

afterAll(async () => {
  await browser?.close();
  await api?.stop();
});

/**
 * Every overlap of a chart label, as rendered: with a bar's column (from the chart's top down to the bar's
 * foot, whatever the bar's height: a label there would sit on a taller bar) and with another label.
 */
async function chartOverlaps(page: Page): Promise<{ labels: string[]; overlaps: string[] }> {
  return page.locator('[data-testid="rewards-chart"] svg').evaluate((svg) => {
    type Box = { left: number; right: number; top: number; bottom: number };
    const hit = (a: Box, b: Box) =>
      a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    const chartTop = svg.getBoundingClientRect().top;
    const texts = [...svg.querySelectorAll("text")];
    const bars = [...svg.querySelectorAll("rect.bar")];
    const overlaps: string[] = [];
    texts.forEach((t, i) => {
      const box = t.getBoundingClientRect();
      for (const b of bars) {
        const bar = b.getBoundingClientRect();
        if (hit(box, { left: bar.left, right: bar.right, top: chartTop, bottom: bar.bottom })) {
          overlaps.push(`"${t.textContent}" overlaps the column of epoch ${b.getAttribute("data-epoch")}`);
        }
      }
      for (const u of texts.slice(i + 1)) {
        if (hit(box, u.getBoundingClientRect()))
          overlaps.push(`"${t.textContent}" overlaps "${u.textContent}"`);
      }
    });
    return { labels: texts.map((t) => t.textContent ?? ""), overlaps };
  });
}

describe("the rewards chart of the dashboard (chromium, fixed history)", () => {
  for (const [largest, label] of [
    [LARGEST, "85.71"],
    [WIDEST, "12,345,678.90"],
  ] as const) {
    for (const viewport of [
      { width: 1400, height: 900 },
      { width: 390, height: 844 },
    ]) {
      it(`labels overlap no bar and no other label at ${viewport.width} px, the axis topped by ${label}`, async () => {
        history = historyUpTo(largest);
        const page = await browser.newPage({ viewport });
        try {
          await page.goto(`${api.url()}/`);
          const bars = page.locator('[data-testid="rewards-chart"] rect.bar');
          await expect.poll(() => bars.count(), { timeout: 20_000 }).toBe(history.rewards.length);
          const { labels, overlaps } = await chartOverlaps(page);
          expect(overlaps).toEqual([]);
          // The axis' top label is the largest amount, and every epoch is labelled: the check covered them all.
          expect(labels).toEqual([label, "0", ...history.rewards.map((r) => String(r.epoch))]);
        } finally {
          await page.close();
        }
      });
    }
  }
});
