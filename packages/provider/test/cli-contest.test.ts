import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resultProof } from "@checkernet/protocol/merkle/trees";
import { formatTokens } from "@checkernet/protocol/tokens";
import { type Address, getAddress } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectChain, mined, type TestChain } from "../../contracts/test/helpers/chain.ts";
import {
  type Checker,
  deployFixture,
  type Fixture,
  failLeaf,
  goToEpoch,
  passLeaf,
  publishEpoch,
  setupCheckers,
  TOKEN,
} from "../../contracts/test/helpers/fixture.ts";
import { serveJsonRpc } from "../../contracts/test/utils/jsonRpcServer.ts";
import { runProvider } from "./utils/cli.ts";

/**
 * `provider contest` and `provider status` print every amount in one unit for people (issue 16): tokens with
 * two decimals (the shared formatTokens) in each `…Tokens` field or `tokens` object, each beside the exact
 * base-unit integer it stands for (docs/provider.md); no amount only in base units, none in tokens with
 * another precision. The real CLI in its own processes, over JSON-RPC to Hardhat's EDR with the contracts
 * deployed and a FAIL leaf in a report signed by a real BLS committee; the contest is followed to its
 * outcome (expired: no re-check lands by its deadline).
 */

const BIN = new URL("../bin/provider.js", import.meta.url).pathname;

/** A decimal integer string as large as an amount in base units (0.001 token and up): never an id or an epoch. */
const BASE_UNIT_SIZED = /^\d{16,}$/;
const FOR_PEOPLE = /^(<0\.01|\d{1,3}(,\d{3})*\.\d{2})$/;

/**
 * Whatever in one printed JSON value breaks the one-unit rule: a `…Tokens` field (or `tokens.<name>`) that is
 * not formatTokens of its base-unit twin, and a base-unit-sized integer with no twin in tokens.
 */
function unitProblems(value: unknown, path = ""): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => unitProblems(v, `${path}[${i}]`));
  if (value === null || typeof value !== "object") return [];
  const o = value as Record<string, unknown>;
  const problems: string[] = [];
  const twins = new Map<string, unknown>();
  for (const [k, v] of Object.entries(o)) {
    if (k.endsWith("Tokens")) twins.set(k.slice(0, -"Tokens".length), v);
    if (k === "tokens" && v !== null && typeof v === "object") {
      for (const [name, t] of Object.entries(v)) twins.set(name, t);
    }
  }
  for (const [base, shown] of twins) {
    const exact = o[base];
    if (typeof exact !== "string" || !/^\d+$/.test(exact)) {
      problems.push(`${path}.${base}: ${JSON.stringify(shown)} in tokens has no base-unit twin`);
    } else if (
      typeof shown !== "string" ||
      !FOR_PEOPLE.test(shown) ||
      shown !== formatTokens(BigInt(exact))
    ) {
      problems.push(
        `${path}.${base}: ${exact} base units printed as ${JSON.stringify(shown)}, not in tokens`,
      );
    }
  }
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === "string" && BASE_UNIT_SIZED.test(v) && !twins.has(k)) {
      problems.push(`${path}.${k}: ${v} in base units only`);
    } else if (k !== "tokens") {
      problems.push(...unitProblems(v, `${path}.${k}`));
    }
  }
  return problems;
}

/** Runs `provider contest` (following the outcome) in its own process; `posted` resolves with its contest line. */
function contestProcess(args: string[]) {
  const child = spawn(process.execPath, [BIN, "contest", ...args]);
  let stdout = "";
  let stderr = "";
  let onPosted: (line: Record<string, string>) => void = () => {};
  const posted = new Promise<Record<string, string>>((resolve) => (onPosted = resolve));
  child.stdout.on("data", (d) => {
    stdout += d;
    const line = stdout.split("\n").find((l) => l.startsWith('{"contested"'));
    if (line !== undefined) onPosted(JSON.parse(line));
  });
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<{ code: number; lines: unknown[]; stderr: string }>((resolve) =>
    child.on("close", (code) =>
      resolve({
        code: code ?? -1,
        lines: stdout
          .split("\n")
          .filter((l) => l !== "")
          .map((l) => JSON.parse(l)),
        stderr,
      }),
    ),
  );
  return { child, posted, exited };
}

describe("provider contest and status print amounts in one unit (CLI over JSON-RPC, EDR)", () => {
  let chain: TestChain;
  let fx: Fixture;
  let checkers: Checker[];
  let dir: string;
  let rpc: Server;
  let common: string[];
  let address: Address;

  beforeAll(async () => {
    chain = await connectChain();
    fx = await deployFixture(chain);
    checkers = await setupCheckers(fx, 4, 1);
    const served = await serveJsonRpc({ request: (args) => chain.publicClient.request(args as never) });
    rpc = served.server;
    dir = await mkdtemp(join(tmpdir(), "provider-contest-cli-"));
    const deploymentFile = join(dir, "deployment.json");
    await writeFile(
      deploymentFile,
      JSON.stringify(fx.deployment, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
    );
    common = ["-d", join(dir, "p"), "--rpc", served.url, "--deployment", deploymentFile];
    const init = await runProvider(["init", "-d", join(dir, "p"), "--insecure-plaintext-keys"]);
    address = getAddress((JSON.parse(init.stdout) as { address: string }).address);
    await chain.testClient.setBalance({ address, value: 10n ** 20n });
    await mined(chain, fx.c.token.write.transfer([address, 1_300n * TOKEN]));
    for (const args of [
      ["register", ...common, "--gpu-class", "t4", "--region", "eu-west"],
      ["stake", "1000", ...common],
    ]) {
      const r = await runProvider(args);
      expect(r.stderr, args[0]).toBe("");
    }
    // Measured 25 s quiet and ~100 s with the 2 cores busy (four CLI processes, BLS keys, the deployment).
  }, 240_000);

  afterAll(async () => {
    rpc?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("prints the bond, the outcome and the open slash in tokens beside their base units, nothing in base units only", async () => {
    const accusers = checkers.slice(0, 3).map((c) => c.address);
    const leaf = failLeaf(address, accusers);
    const published = await publishEpoch(fx, 1n, { results: [leaf, passLeaf(checkers[3]!.address)] });
    const leafFile = join(dir, "leaf.json");
    await writeFile(
      leafFile,
      JSON.stringify({ leaf, proof: resultProof(published.results!, address) }, (_k, v) =>
        typeof v === "bigint" ? v.toString() : v,
      ),
    );

    const contest = contestProcess(["1", "--leaf-file", leafFile, "--poll-seconds", "1", ...common]);
    try {
      const posted = await contest.posted;
      expect(posted).toMatchObject({ bond: String(100n * TOKEN), bondTokens: "100.00" });
      // Contested: status lists the slash (100 tokens) beside the stake, the unbonding and the balance.
      const open = await runProvider(["status", ...common]);
      expect(open.stderr).toBe("");
      const status = JSON.parse(open.stdout) as { openSlashes: Record<string, string>[] };
      expect(status.openSlashes).toEqual([
        expect.objectContaining({ status: "contested", amountTokens: "100.00" }),
      ]);
      expect(unitProblems(status)).toEqual([]);
      // No re-check lands: past its deadline anyone expires the contest, and the CLI prints the outcome.
      await goToEpoch(fx, BigInt(posted.resolveDeadline!) + 1n);
      await mined(chain, fx.c.slashing.write.expireContest([BigInt(posted.contested!)]));
      const { code, lines, stderr } = await contest.exited;
      expect(stderr).toBe("");
      expect(code).toBe(0);
      expect(lines.at(-1)).toMatchObject({ state: "expired", bondForfeitedTokens: "100.00" });
      expect(lines.flatMap((l) => unitProblems(l))).toEqual([]);
    } finally {
      contest.child.kill();
    }
    // 18 s measured quiet (two CLI processes and the contest following its outcome once a second).
  }, 180_000);
});
