/**
 * Join a network (issue 16): a node that has nothing but the devnet's network
 * file and a fresh key registers, is delegated a license, gets seats,
 * attests, earns and claims. The commands are the `sh join-devnet` block of
 * docs/operator.md, run line by line (a line ending in `&` is the node,
 * started in the background), so the doc cannot drift from what works.
 *
 * The newcomer's dashboard (issue 16), in Debian's chromium driven by playwright-core: once the
 * reward is claimable its bar is amber on the node's page, and after the doc's claim line the open
 * page turns it claimed without a reload, as Rewards.isClaimed says. It lives here because this file
 * already waits for a reward to unlock and claims it: in test/dashboard-fraud-proof.test.ts the unlock
 * (the report's landing epoch + 4 at the shortest) came 20 s after everything else was done, and the
 * check cost 7-31 s there. Here it costs the page's load and its next history refresh (10 s at most):
 * 9.4 s in one run (2.2 s to open the page, 7.2 s from the claim to the end of the checks).
 *
 * Meanwhile the honest provider-1 leaves the checking set and comes back (issue 14,
 * helpers/providerLeaveDrill.ts): `provider unstake` in c, its process stopped in c + 2, `provider stake`
 * in r, restarted; its epochs c .. r + 2 end well before the newcomer's reward unlocks, so it costs
 * this file no wall time of its own.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkerLicenseAbi, rewardsAbi } from "@checkernet/contracts/generated/index";
import { Beneficiary } from "@checkernet/protocol/merkle/leaves";
import { type Browser, chromium } from "playwright-core";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountKey } from "../scripts/devnet/accounts.ts";
import { type DevnetHandle, startDevnet } from "../scripts/devnet/index.ts";
import { ensureChromium } from "./helpers/chromium.ts";
import { poll } from "./helpers/inProcessNetwork.ts";
import { type LeaveDrill, startLeaveDrill } from "./helpers/providerLeaveDrill.ts";

const ROOT = join(import.meta.dirname, "..");
const EPOCH_SECONDS = 15;
/** Hardhat funds accounts 0-19; the devnet's operators are 1..CHECKERS, so 19 is free for the newcomer. */
const NEWCOMER_ACCOUNT = 19;
/** Delegation (2 epochs), a report that counts the newcomer, and its unlock (6 epochs): ~12 epochs, doubled. */
const EARN_TIMEOUT_MS = 24 * EPOCH_SECONDS * 1_000;
/** The page re-reads /history every 10 s (the node caches it 2 s): a claim shows within one refresh. */
const PAGE_REFRESH_MS = 20_000;

/** The doc's executable block: its lines, in order. */
function docLines(): string[] {
  const doc = readFileSync(join(ROOT, "docs/operator.md"), "utf8");
  const block = /```sh join-devnet\n([\s\S]*?)```/.exec(doc)?.[1];
  if (block === undefined) throw new Error("docs/operator.md has no ```sh join-devnet block");
  return block.split("\n").filter((l) => l.trim() !== "" && !l.trim().startsWith("#"));
}

async function freePort(): Promise<number> {
  return await new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

let handle: DevnetHandle;
/** The honest provider (provider-1) leaves and re-enters the checking set while the newcomer earns. */
let leaveDrill: LeaveDrill | undefined;
let chromiumPath: string;
/** Launched while the node earns, so that the page costs no more than its load. */
let browser: Promise<Browser> | undefined;
let node: ChildProcess | undefined;
let nodeLog = "";
const cwd = mkdtempSync(join(tmpdir(), "checkernet-join-"));
let env: NodeJS.ProcessEnv;
const ran: { line: string; code: number | null; stdout: string; stderr: string }[] = [];

/** Runs one doc line in bash, in `cwd`, with the placeholders' values in the environment. */
async function runLine(line: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn("bash", ["-c", line], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  const code = await new Promise<number | null>((r) => child.once("exit", r));
  ran.push({ line, code, stdout, stderr });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  // Before the devnet: a missing browser fails fast with what to install.
  chromiumPath = ensureChromium();
  handle = await startDevnet({
    checkers: 4,
    providers: 2,
    epochSeconds: EPOCH_SECONDS,
    dataDir: join(cwd, "devnet"),
  });
  // Alongside the newcomer's wait: out of the set in c + 2 and c + 3 with c = first full epoch + 2, after
  // the newcomer's license first counts (epoch 3; with provider-1 out in 3 and 4 instead, its first reward
  // came 2 epochs later in one run, +30 s), and back and reported in c + 4, before its reward unlocks.
  leaveDrill = startLeaveDrill(handle, {
    provider: 0,
    epochSeconds: EPOCH_SECONDS,
    notBefore: handle.firstFullEpoch + 2n,
  });
  // The network issues the newcomer's license: the deployer mints one to owner-1, undelegated.
  const owner = handle.accounts.owners[0]!;
  const license = { address: handle.deployment.contracts.checkerLicense, abi: checkerLicenseAbi } as const;
  const licenseId =
    (await handle.chain.publicClient.readContract({ ...license, functionName: "totalSupply" })) + 1n;
  const hash = await handle.chain
    .wallet(0)
    .writeContract({ ...license, functionName: "mint", args: [owner.address] });
  await handle.chain.publicClient.waitForTransactionReceipt({ hash });
  const operatorKey = accountKey(NEWCOMER_ACCOUNT);
  env = {
    ...process.env,
    PATH: `${join(ROOT, "node_modules/.bin")}:${process.env.PATH ?? ""}`,
    DEVNET: handle.dataDir,
    OPERATOR_KEY: operatorKey,
    OPERATOR: privateKeyToAccount(operatorKey).address,
    OWNER_KEY: owner.privateKey,
    OWNER: owner.address,
    LICENSE_ID: String(licenseId),
    API_PORT: String(await freePort()),
    JOIN_PASSWORD: "a newcomer's long passphrase",
  };
  for (const [k] of Object.entries(env))
    if (k.startsWith("CHECKER_") && k !== "CHECKER_CLI_MAIN") delete env[k];
}, 600_000);

afterAll(async () => {
  await (await browser?.catch(() => undefined))?.close();
  if (node?.pid !== undefined && node.exitCode === null) {
    process.kill(-node.pid, "SIGTERM");
    await new Promise((r) => setTimeout(r, 3_000));
    try {
      process.kill(-node.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  await handle?.stop();
  await leaveDrill?.stop();
}, 120_000);

describe("a newcomer joins the devnet with the network file and a fresh key (docs/operator.md, section 8)", () => {
  it("runs the doc's lines: init, register, delegate, start; the node earns, and the owner claims", async () => {
    const lines = docLines();
    const start = lines.findIndex((l) => l.trim().endsWith("&"));
    expect(start, "the block starts the node with a line ending in &").toBeGreaterThan(0);
    for (const line of lines.slice(0, start)) {
      const r = await runLine(line);
      expect(r.code, `${line}\n${r.stdout}${r.stderr}`).toBe(0);
    }
    // Its own process group, so that the end of the test stops the node whatever bash made of the line.
    node = spawn("bash", ["-c", lines[start]!.trim().replace(/&$/, "")], {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    node.stdout?.on("data", (b: Buffer) => (nodeLog = (nodeLog + b.toString()).slice(-20_000)));
    node.stderr?.on("data", (b: Buffer) => (nodeLog = (nodeLog + b.toString()).slice(-20_000)));
    browser = chromium.launch({
      executablePath: chromiumPath,
      // Root in a container has no user namespace for chromium's sandbox.
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    });
    // Awaited only once the reward is claimable; a failed launch fails the test there.
    browser.catch(() => undefined);

    // The rewards line, until the newcomer's license has an unlocked reward.
    const [rewardsLine, claimLine] = lines.slice(start + 1);
    expect(rewardsLine).toMatch(/checker .* rewards/);
    expect(claimLine).toMatch(/checker .* claim/);
    const deadline = Date.now() + EARN_TIMEOUT_MS;
    let last = "";
    for (;;) {
      expect(node.exitCode, `the node exited:\n${nodeLog.slice(-4000)}`).toBeNull();
      const r = await runLine(rewardsLine!);
      last = `${r.stdout}${r.stderr}`;
      if (r.code === 0) {
        const out = JSON.parse(r.stdout) as { licenses: { licenseId: string; claimable: string }[] };
        const mine = out.licenses.find((l) => l.licenseId === env.LICENSE_ID);
        if (mine !== undefined && BigInt(mine.claimable) > 0n) break;
      }
      if (Date.now() > deadline)
        throw new Error(
          `no claimable reward for license ${env.LICENSE_ID}:\n${last}\nnode:\n${nodeLog.slice(-4000)}`,
        );
      await new Promise((r) => setTimeout(r, 5_000));
    }

    // The node's dashboard, open before the claim: the claimable reward's bar is amber, nothing claimed.
    const page = await (await browser).newPage();
    await page.goto(`http://127.0.0.1:${env.API_PORT}/`);
    const bars = page.locator('[data-testid="rewards-chart"] rect.bar');
    const shownBars = () =>
      bars.evaluateAll((rects) =>
        rects.map((b) => ({
          epoch: b.getAttribute("data-epoch") ?? "",
          state: b.getAttribute("data-state"),
          amount: b.getAttribute("data-value") ?? "0",
        })),
      );
    // The page computes "locked" from the node's epoch, which may trail the CLI's read by a boundary.
    const claimable = await poll(
      "a claimable (amber) reward bar on the newcomer's dashboard",
      30_000,
      async () => {
        const amber = (await shownBars()).filter((b) => b.state === "unclaimed").map((b) => b.epoch);
        return amber.length > 0 ? amber : undefined;
      },
    );
    expect(await page.getByTestId("rewards-claimed").getAttribute("data-value")).toBe("0");

    const claimed = await runLine(claimLine!);
    expect(claimed.code, `${claimed.stdout}${claimed.stderr}`).toBe(0);
    const receipt = JSON.parse(claimed.stdout) as { tx: string; amount: string };
    expect(BigInt(receipt.amount)).toBeGreaterThan(0n);
    expect(receipt.tx).toMatch(/^0x[0-9a-f]{64}$/);

    // The open page follows without a reload: the amber bars turn claimed, the headline counts the claim.
    await poll(`epochs ${claimable.join(", ")} to show claimed`, PAGE_REFRESH_MS, async () => {
      const shown = await shownBars();
      return claimable.every((e) => shown.find((b) => b.epoch === e)?.state === "claimed") ? true : undefined;
    });
    await poll("the claimed total on the page", PAGE_REFRESH_MS, async () =>
      (await page.getByTestId("rewards-claimed").getAttribute("data-value")) === receipt.amount
        ? true
        : undefined,
    );
    // Every bar says what the chain says: claimed exactly where Rewards.isClaimed holds (or nothing was earned).
    for (const b of await shownBars()) {
      const onChain = await handle.chain.publicClient.readContract({
        address: handle.deployment.contracts.rewards,
        abi: rewardsAbi,
        functionName: "isClaimed",
        args: [BigInt(b.epoch), Beneficiary.LICENSE, BigInt(env.LICENSE_ID!)],
      });
      expect(b.state === "claimed", `bar of epoch ${b.epoch}: ${b.state}`).toBe(onChain || b.amount === "0");
    }
  });

  it("a provider that unstakes in c is checked and paid through c + 1, then never blamed while offline; a re-stake in r counts from r + 2 (issue 14)", async () => {
    const seen = await leaveDrill!.done;
    console.log(`provider leave drill: ${seen}`);
  }, 240_000);
});
