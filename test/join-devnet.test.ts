/**
 * Join a network (issue 16): a node that has nothing but the devnet's network
 * file and a fresh key registers, is delegated a license, gets seats,
 * attests, earns and claims. The commands are the `sh join-devnet` block of
 * docs/operator.md, run line by line (a line ending in `&` is the node,
 * started in the background), so the doc cannot drift from what works.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkerLicenseAbi } from "@checkernet/contracts/generated/index";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountKey } from "../scripts/devnet/accounts.ts";
import { type DevnetHandle, startDevnet } from "../scripts/devnet/index.ts";

const ROOT = join(import.meta.dirname, "..");
const EPOCH_SECONDS = 15;
/** Hardhat funds accounts 0-19; the devnet's operators are 1..CHECKERS, so 19 is free for the newcomer. */
const NEWCOMER_ACCOUNT = 19;
/** Delegation (2 epochs), a report that counts the newcomer, and its unlock (6 epochs): ~12 epochs, doubled. */
const EARN_TIMEOUT_MS = 24 * EPOCH_SECONDS * 1_000;

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
  handle = await startDevnet({
    checkers: 4,
    providers: 2,
    epochSeconds: EPOCH_SECONDS,
    dataDir: join(cwd, "devnet"),
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
    const claimed = await runLine(claimLine!);
    expect(claimed.code, `${claimed.stdout}${claimed.stderr}`).toBe(0);
    const receipt = JSON.parse(claimed.stdout) as { tx: string; amount: string };
    expect(BigInt(receipt.amount)).toBeGreaterThan(0n);
    expect(receipt.tx).toMatch(/^0x[0-9a-f]{64}$/);
  });
});
