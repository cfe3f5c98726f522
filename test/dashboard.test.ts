/**
 * The dashboard in a real browser against a real devnet: Debian's chromium
 * driven by playwright-core opens checker-1's page (GET / on its status API)
 * and the test compares what the page shows with what the contracts say,
 * read with viem. Nothing is mocked; the screenshot lands in
 * test/artifacts/dashboard.png (git-ignored).
 */

import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkerLicenseAbi, epochReportsAbi } from "@checkernet/contracts";
import { formatTokens } from "@checkernet/protocol/tokens";
import { type Browser, chromium, type Page } from "playwright-core";
import { getAddress, type Hash } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevnetHandle, startDevnet } from "../scripts/devnet/index.ts";
import { Beneficiary, collectRewards } from "../scripts/devnet/rewards.ts";
import { ensureChromium } from "./helpers/chromium.ts";

const CHECKERS = 3;
const PROVIDERS = 2;
const EPOCH_SECONDS = 15;
/** Budget for the first report and reward to show up once every node is up. */
const WAIT_MS = 150_000;
const ARTIFACTS = join(import.meta.dirname, "artifacts");

let handle: DevnetHandle;
let browser: Browser;
let page: Page;
const dataDir = mkdtempSync(join(tmpdir(), "checkernet-dashboard-"));

/** Polls `f` until it returns a value that is not undefined, or fails with `what`. */
async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/** The dashboard must format token amounts as the protocol does (formatTokens), to compare visible text with chain amounts. */
const tokens = (v: bigint): string => formatTokens(v);

beforeAll(async () => {
  // Before the devnet: a missing browser fails fast with what to install.
  const executablePath = ensureChromium();
  handle = await startDevnet({
    checkers: CHECKERS,
    providers: PROVIDERS,
    epochSeconds: EPOCH_SECONDS,
    dataDir,
  });
  browser = await chromium.launch({
    executablePath,
    // Root in a container has no user namespace for chromium's sandbox.
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 1500 } });
});

afterAll(async () => {
  await browser?.close();
  await handle?.stop();
});

describe(`dashboard: ${CHECKERS} checkers, ${PROVIDERS} providers (one faulty), ${EPOCH_SECONDS}-second epochs`, () => {
  it("loads the page from the node and goes live over Server-Sent Events", async () => {
    const checker = handle.checkers[0]!;
    const failed: string[] = [];
    page.on("requestfailed", (r) => failed.push(r.url()));
    page.on("request", (r) => {
      if (!r.url().startsWith(`http://127.0.0.1:${checker.apiPort}/`)) failed.push(`external: ${r.url()}`);
    });
    await page.goto(`http://127.0.0.1:${checker.apiPort}/`);
    expect(await page.title()).toContain("checkernet");
    await page
      .getByTestId("live")
      .filter({ hasText: /^live$/ })
      .waitFor({ timeout: 30_000 });
    const peers = Number(await page.getByTestId("peers").textContent());
    expect(peers).toBeGreaterThanOrEqual(CHECKERS - 1);
    expect(failed.filter((u) => u.startsWith("external"))).toEqual([]);
  });

  it("shows the live epoch advancing without a reload, equal to the chain's", async () => {
    const first = BigInt((await page.getByTestId("epoch").textContent()) ?? "0");
    expect(first).toBeGreaterThan(0n);
    const chainEpoch = await handle.chain.publicClient.readContract({
      address: handle.deployment.contracts.epochReports,
      abi: epochReportsAbi,
      functionName: "currentEpoch",
    });
    // The node's clock is the contract's. One boundary may lie between the two reads, either way:
    // the page's snapshot is up to a second old, and the chain's latest block can trail the wall
    // clock by a block (1-second interval mining), so the node may already show the next epoch.
    const diff = chainEpoch - first;
    expect(diff >= -1n && diff <= 1n, `page shows epoch ${first}, the chain says ${chainEpoch}`).toBe(true);
    const navigations: string[] = [];
    page.on("framenavigated", (f) => navigations.push(f.url()));
    const later = await until(
      "the page's epoch to advance",
      async () => {
        const e = BigInt((await page.getByTestId("epoch").textContent()) ?? "0");
        return e > first ? e : undefined;
      },
      (EPOCH_SECONDS + 15) * 1000,
    );
    expect(later).toBe(first + 1n);
    expect(navigations).toEqual([]);
  });

  it("shows landed reports with the transaction and gas the chain recorded", async () => {
    const rows = page.locator('[data-testid="reports"] tbody tr[data-epoch]');
    await until("a landed report on the page", async () => ((await rows.count()) > 0 ? true : undefined));
    const n = await rows.count();
    for (let i = 0; i < n; i++) {
      const row = rows.nth(i);
      const epoch = BigInt((await row.getAttribute("data-epoch")) ?? "0");
      const tx = (await row.locator('[data-field="tx"]').textContent()) as Hash;
      const gas = BigInt((await row.locator('[data-field="gas"]').textContent()) ?? "0");
      const receipt = await handle.chain.publicClient.getTransactionReceipt({ hash: tx });
      expect(receipt.status).toBe("success");
      expect(receipt.to?.toLowerCase()).toBe(handle.deployment.contracts.epochReports.toLowerCase());
      expect(gas, `gas of the report of epoch ${epoch}`).toBe(receipt.gasUsed);
      const report = await handle.chain.publicClient.readContract({
        address: handle.deployment.contracts.epochReports,
        abi: epochReportsAbi,
        functionName: "reportOf",
        args: [epoch],
      });
      expect(report.submittedAt).toBeGreaterThan(0n);
      const total = row.locator('[data-field="total"]');
      expect(BigInt((await total.getAttribute("data-value")) ?? "-1")).toBe(report.totalRewards);
      expect(await total.textContent()).toBe(tokens(report.totalRewards));
    }
    // "This node" comes from the node's own record of each epoch (GET /history), not only /status's recent list.
    const parts = await rows.locator('[data-field="this-node"]').allTextContents();
    expect(
      parts.some((t) => /^(aggregator|backup|cosigner|fetched), /.test(t)),
      parts.join(" | "),
    ).toBe(true);
  });

  it("shows the operator's rewards per epoch equal to the leaves anchored on-chain", async () => {
    const checker = handle.checkers[0]!;
    const rows = page.locator('[data-testid="rewards"] tbody tr[data-epoch]');
    await until("a reward on the page", async () => ((await rows.count()) > 0 ? true : undefined));
    // The leaves every checker serves, kept only when they rebuild the on-chain rewards root.
    const anchored = await collectRewards(handle);
    const n = await rows.count();
    let sum = 0n;
    for (let i = 0; i < n; i++) {
      const row = rows.nth(i);
      const epoch = BigInt((await row.getAttribute("data-epoch")) ?? "0");
      const leaves = anchored.find((e) => e.epoch === epoch);
      expect(leaves, `no anchored leaves for epoch ${epoch}`).toBeDefined();
      let expected = 0n;
      for (const l of leaves?.leaves ?? []) {
        if (l.beneficiary !== Beneficiary.LICENSE) continue;
        const operator = await handle.chain.publicClient.readContract({
          address: handle.deployment.contracts.checkerLicense,
          abi: checkerLicenseAbi,
          functionName: "operatorAt",
          args: [l.id, epoch],
        });
        if (getAddress(operator) === getAddress(checker.operator)) expected += l.amount;
      }
      const amount = row.locator('[data-field="amount"]');
      expect(BigInt((await amount.getAttribute("data-value")) ?? "-1"), `reward of epoch ${epoch}`).toBe(
        expected,
      );
      expect(await amount.textContent()).toBe(tokens(expected));
      sum += expected;
    }
    expect(sum).toBeGreaterThan(0n);
    // The headline total is the table's sum (rows are refreshed together with it).
    const earned = BigInt((await page.getByTestId("rewards-earned").getAttribute("data-value")) ?? "-1");
    expect(earned).toBe(sum);
    expect(await page.locator('[data-testid="rewards-chart"] rect.bar').count()).toBe(n);
    const states = await page
      .locator('[data-testid="rewards-chart"] rect.bar')
      .evaluateAll((bars) => bars.map((b) => b.getAttribute("data-state")));
    expect(
      states.every((x) => x === "claimed" || x === "unclaimed" || x === "locked"),
      states.join(","),
    ).toBe(true);
  });

  it("explains the rewards of a license term by term, matching the on-chain claimable amount", async () => {
    const rows = page.locator('[data-testid="rewards"] tbody tr[data-epoch]');
    const epochs = (await rows.evaluateAll((trs) => trs.map((t) => t.getAttribute("data-epoch")))).map(
      Number,
    );
    await page.locator("#explain-from").fill(String(Math.min(...epochs)));
    await page.locator("#explain-to").fill(String(Math.max(...epochs)));
    const license = await page.locator("#explain-license").inputValue();
    expect(license).not.toBe("");
    await page.getByRole("button", { name: "Explain" }).click();
    const summary = page.getByTestId("explain-summary");
    await summary.waitFor({ timeout: 60_000 });
    expect(await summary.getAttribute("data-matches")).toBe("true");
    const explained = BigInt(
      (await summary.locator('[data-field="explained"]').getAttribute("data-value")) ?? "-1",
    );
    // The chain's side: the license's leaves in the anchored trees of those epochs.
    const anchored = await collectRewards(handle);
    const expected = anchored
      .filter((e) => e.epoch >= BigInt(Math.min(...epochs)) && e.epoch <= BigInt(Math.max(...epochs)))
      .flatMap((e) => e.leaves)
      .filter((l) => l.beneficiary === Beneficiary.LICENSE && l.id === BigInt(license))
      .reduce((a, l) => a + l.amount, 0n);
    expect(explained).toBe(expected);
    expect(explained).toBeGreaterThan(0n);
  });

  it("raises no critical alert for a healthy node, and leaves a screenshot", async () => {
    await page.locator('[data-testid="alerts"] .alert').first().waitFor({ timeout: 30_000 });
    const critical = await page.locator('[data-testid="alerts"] .alert.critical').allTextContents();
    expect(critical).toEqual([]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "dashboard.png"), fullPage: true });
  });

  it("says loading, never an empty state, while the history request is in flight", async () => {
    const checker = handle.checkers[0]!;
    const slow = await browser.newPage();
    let release: () => void = () => {};
    const held = new Promise<void>((r) => (release = r));
    await slow.route("**/history", async (route) => {
      await held;
      await route.continue();
    });
    try {
      await slow.goto(`http://127.0.0.1:${checker.apiPort}/`);
      await slow.waitForRequest("**/history");
      for (const id of ["report-rows", "reward-rows"]) {
        const text = await slow.locator(`#${id}`).textContent();
        expect(text, id).toMatch(/loading/);
        expect(text, id).not.toMatch(/no report landed yet|no reward yet/);
      }
      release();
      // Reports have landed by now: the rows replace the loading line.
      await slow.locator("#report-rows tr[data-epoch]").first().waitFor({ timeout: 30_000 });
    } finally {
      release();
      await slow.close();
    }
  });
});
