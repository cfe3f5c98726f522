/**
 * A provider winding down, and coming back, on a running devnet (issue 14: the per-epoch checking set,
 * docs/provider.md "checking"). Driven with the provider's own CLI, as its operator would:
 *
 *   epoch c        `provider status` (checked), `provider unstake <all>`: still checked in c and c + 1
 *                  (its stake counts, it is paid), `provider status` says `until: c + 1`;
 *   epoch c + 2    its process is stopped (it left): no checker runs a challenge against it, no report
 *                  leaf or counted attestation names it, no FAIL and no slash for being offline;
 *                  `provider status` says it is in no set; `provider stake <minimum>` in r (= c + 2
 *                  here): in no set before r + max(activationDelayEpochs, 2) = r + 2 on the devnet,
 *                  `provider status` says `from: r + 2`; its process restarts;
 *   epoch r + 2    checked again, and passes.
 *
 * Every claim is read from real artefacts: the checkers' "challenge run" log lines, the landed reports
 * (GET /reports/<epoch> of a checker, kept only when its leaves rebuild the roots on chain), the chain
 * (isActiveAt, pendingSlashCount, the monitor's slash records) and the CLI's own JSON. The drill runs
 * alongside another test on the same devnet (epochs c .. c + 4, no time of its own).
 *
 * What it tells apart: nodes reading the live set (isActive) at every refresh fail it (c's leaf came
 * out INCONCLUSIVE: attestations judged against a set the unstake had already changed). Nodes reading
 * the live set once per epoch at its first refresh and keeping it pass it: on the devnet (D = 2) that
 * equals the rule for any change made after that refresh; the contract tests cover the rule itself.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { epochReportsAbi, providerRegistryAbi, slashingAbi } from "@checkernet/contracts";
import { type PublishedReport, verifyPublishedReport } from "@checkernet/protocol/explain";
import { Beneficiary } from "@checkernet/protocol/merkle/leaves";
import { Verdict } from "@checkernet/protocol/types";
import { parsePublishedReport } from "@checkernet/wire";
import { type Address, getAddress, type Hash } from "viem";
import { expect } from "vitest";
import type { DevnetHandle } from "../../scripts/devnet/index.ts";
import { checkerApiUrl, type ProviderPlan, startProvider } from "../../scripts/devnet/nodes.ts";
import { type Child, stopChild } from "../../scripts/devnet/proc.ts";
import { poll } from "./inProcessNetwork.ts";

const run = promisify(execFile);
const PROVIDER_BIN = join(import.meta.dirname, "../../packages/provider/bin/provider.js");

/** What `provider status` prints under `checking`. */
interface CheckingJson {
  epoch: string;
  now: boolean;
  next: boolean;
  from: string | null;
  until: string | null;
}

export interface LeaveDrill {
  /** Resolves with what was seen once every assertion held; rejects with the first that did not. */
  done: Promise<string>;
  /** Stops the restarted provider process (the devnet's stop() knows only the first one). */
  stop(): Promise<void>;
}

export interface LeaveDrillOptions {
  /** Which of the devnet's providers leaves (an honest one). */
  provider: number;
  epochSeconds: number;
  /** The unstake waits for this epoch (at least 1 and the devnet's first full epoch). */
  notBefore: bigint;
}

/** Starts the drill; it runs in the background. */
export function startLeaveDrill(handle: DevnetHandle, o: LeaveDrillOptions): LeaveDrill {
  let restarted: Child | undefined;
  const provider = handle.providers[o.provider]!;
  const done = leaveAndReturn(handle, provider, o, (c) => (restarted = c));
  done.catch(() => undefined);
  return {
    done,
    stop: async () => {
      if (restarted !== undefined) await stopChild(restarted);
    },
  };
}

async function leaveAndReturn(
  handle: DevnetHandle,
  provider: DevnetHandle["providers"][number],
  o: LeaveDrillOptions,
  onRestart: (c: Child) => void,
): Promise<string> {
  const me = getAddress(provider.address);
  const client = handle.chain.publicClient;
  const registry = {
    address: handle.deployment.contracts.providerRegistry,
    abi: providerRegistryAbi,
  } as const;
  const chainEpoch = (blockNumber?: bigint) =>
    client.readContract({
      ...registry,
      functionName: "currentEpoch",
      ...(blockNumber ? { blockNumber } : {}),
    });
  const txEpoch = async (hash: Hash) =>
    chainEpoch((await client.waitForTransactionReceipt({ hash })).blockNumber);
  const inSet = (e: bigint) =>
    client.readContract({ ...registry, functionName: "isActiveAt", args: [me, e] });
  const untilEpoch = (e: bigint, timeoutMs: number) =>
    poll(`chain epoch ${e}`, timeoutMs, async () => ((await chainEpoch()) >= e ? true : undefined));
  const cli = (...args: string[]) => providerCli(handle, provider, args);
  const epochMs = o.epochSeconds * 1_000;

  // An epoch every node runs from its start (a change before genesis would count from epoch 1).
  const first = [o.notBefore, handle.firstFullEpoch, 1n].reduce((a, b) => (a > b ? a : b));
  await untilEpoch(first, Number(first + 2n) * epochMs);
  const before = await cli("status");
  expect(before.active, "staked and checked before it leaves").toBe(true);
  expect(before.checking).toMatchObject({ now: true, next: true, until: null });

  // Winding down: everything into unbonding, under the minimum.
  const unstake = await cli("unstake", String(BigInt(before.stake as string) / 10n ** 18n));
  const c = await txEpoch(unstake.tx as Hash);
  const leaving = await cli("status");
  expect(leaving.active, "live state: no longer staked").toBe(false);
  expect((leaving.checking as CheckingJson).until, "status names the last epoch it is checked").toBe(
    String(c + 1n),
  );
  expect(leaving.checking).toMatchObject({ now: true, from: (leaving.checking as CheckingJson).epoch });

  // It left: its process stops (an honest operator turning the machine off), and nobody may blame it.
  await untilEpoch(c + 2n, 4 * epochMs);
  await stopChild(provider.child);
  const left = await cli("status");
  expect(left.checking, "status once it left").toMatchObject({
    now: false,
    next: false,
    from: null,
    until: null,
  });

  // Back: a stake reaching the minimum in r counts from r + max(activationDelayEpochs, 2).
  const minStake = BigInt(left.minStake as string) / 10n ** 18n;
  const restake = await cli("stake", String(minStake));
  const r = await txEpoch(restake.stake as Hash);
  const back = await cli("status");
  expect(back.checking, "status right after the re-stake").toMatchObject({
    now: false,
    from: String(r + 2n),
  });
  onRestart(await startProvider(provider as ProviderPlan, handle.deployment, handle.dataDir));

  // Every report from c through r + 2 lands (each in its own epoch on the devnet).
  const reports = new Map<bigint, PublishedReport>();
  for (let e = c; e <= r + 2n; e++) {
    const deadline = Number((r + 2n - e + 3n) * BigInt(epochMs));
    reports.set(e, await poll(`epoch ${e}'s report`, deadline, () => landedReport(handle, e)));
  }
  const runs = runEpochs(handle, me);
  const inputsOf = (e: bigint) => reports.get(e)?.inputs?.providers.find((p) => p.provider === me);
  const leafOf = (e: bigint) => reports.get(e)?.results.find((l) => l.provider === me);
  const paidIn = (e: bigint) =>
    reports.get(e)?.rewards.find((l) => l.beneficiary === Beneficiary.PROVIDER && l.id === BigInt(me))
      ?.amount;
  const seen: string[] = [];
  for (let e = c; e <= r + 2n; e++) {
    const checked = e <= c + 1n || e >= r + 2n;
    const what = `epoch ${e} (unstake in ${c}, re-stake in ${r})`;
    seen.push(`${e}: ${runs.get(e)?.join(",") ?? "no runs"}, leaf ${leafOf(e)?.verdict ?? "none"}`);
    expect(await inSet(e), `isActiveAt ${what}`).toBe(checked);
    if (checked) {
      expect(runs.get(e)?.length ?? 0, `challenge runs ${what}`).toBeGreaterThan(0);
      expect(leafOf(e)?.verdict, `its result leaf in the report of ${what}`).toBe(Verdict.PASS);
      expect(inputsOf(e)?.attestations.length ?? 0, `counted attestations ${what}`).toBeGreaterThan(0);
      expect(paidIn(e) ?? 0n, `paid ${what}`).toBeGreaterThan(0n);
    } else {
      expect(runs.get(e), `challenge runs against it in ${what}`).toBeUndefined();
      expect(leafOf(e), `a result leaf for it in ${what}`).toBeUndefined();
      expect(inputsOf(e), `attestations about it counted in ${what}`).toBeUndefined();
      expect(paidIn(e), `a reward leaf for it in ${what}`).toBeUndefined();
    }
  }
  // Offline while out of the set: no FAIL verdict, no pending or executed slash, no fraud slash.
  const pending = await client.readContract({
    address: handle.deployment.contracts.slashing,
    abi: slashingAbi,
    functionName: "pendingSlashCount",
    args: [me],
  });
  expect(pending, "pending slashes against the provider that left").toBe(0n);
  const row = (await handle.snapshot()).providers.find((p) => p.address === me);
  expect(row?.slashes ?? [], "slashes against it").toEqual([]);
  expect(row?.fraudSlashes ?? [], "fraud slashes against it").toEqual([]);
  return `unstake in ${c}, re-stake in ${r}; ${seen.join("; ")}`;
}

/** `provider <args> -d <its data dir> --rpc … --deployment …`, the JSON it prints. */
async function providerCli(
  handle: DevnetHandle,
  provider: ProviderPlan,
  args: string[],
): Promise<Record<string, unknown>> {
  const flags = ["-d", provider.dataDir, "--rpc", handle.rpcUrl];
  const deployment = join(handle.dataDir, "deployment.json");
  const { stdout } = await run(
    process.execPath,
    [PROVIDER_BIN, ...args, ...flags, "--deployment", deployment],
    {
      env: { ...process.env, PROVIDER_PASSWORD: "" },
    },
  );
  return JSON.parse(stdout) as Record<string, unknown>;
}

/** The report of `epoch` from the first checker whose leaves rebuild the roots on chain; undefined until one lands. */
async function landedReport(handle: DevnetHandle, epoch: bigint): Promise<PublishedReport | undefined> {
  const onChain = await handle.chain.publicClient.readContract({
    address: handle.deployment.contracts.epochReports,
    abi: epochReportsAbi,
    functionName: "reportOf",
    args: [epoch],
  });
  if (onChain.submittedAt === 0n) return undefined;
  for (const c of handle.checkers) {
    try {
      const res = await fetch(`${checkerApiUrl(c)}/reports/${epoch}`, { signal: AbortSignal.timeout(5_000) });
      if (!res.ok) continue;
      const report = parsePublishedReport(await res.json());
      verifyPublishedReport(report, onChain);
      return report;
    } catch {
      // the next checker
    }
  }
  return undefined;
}

/** Per epoch, the results of the "challenge run" lines the devnet's checkers logged against `provider`. */
function runEpochs(handle: DevnetHandle, provider: Address): Map<bigint, string[]> {
  const out = new Map<bigint, string[]>();
  for (const c of handle.checkers) {
    for (const line of readFileSync(join(handle.dataDir, `${c.name}.log`), "utf8").split("\n")) {
      if (!line.includes('"challenge run"') || !line.includes(provider)) continue;
      try {
        const j = JSON.parse(line) as { epoch: string; provider: string; result: string };
        if (j.provider !== provider) continue;
        out.set(BigInt(j.epoch), [...(out.get(BigInt(j.epoch)) ?? []), j.result]);
      } catch {
        // a partial last line
      }
    }
  }
  return out;
}
