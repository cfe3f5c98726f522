/**
 * Fraud proofs end to end (issue 11): a `hardhat node` on 127.0.0.1, the
 * contracts, two `provider serve` processes (one honest, one `wrong-rows`)
 * with answer keys registered, and four checker nodes over real libp2p/TCP
 * on loopback, real BLS and real transactions. Three of the four checkers run
 * `vouch-pass`: they attest PASS for everyone and never build a fraud proof,
 * so the committee's vote can never slash the cheat. The one honest checker
 * catches a wrong opened row under the provider's signed commitment, builds
 * the matmul fraud proof and submits it to FraudProofs: the provider is
 * slashed at once, the bounty paid to that checker. The honest provider is
 * never slashed, by either path.
 *
 * The cheat computes half of C's rows wrongly (`wrong-rows:0.5`), not the
 * 5% of the devnet's example: at 4 sampled rows one checker catches 5% of
 * wrong rows in 1 − 0.95⁴ ≈ 19% of its matmul runs, and only about half of a
 * provider's epochs are matmul epochs, so a 4-minute run would see the slash
 * in little more than half of the runs; at 50% a matmul run catches it with
 * probability 1 − 0.5⁴ ≈ 94%.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CheckerNode } from "@checkernet/checker";
import {
  type Deployment,
  epochReportsAbi,
  fraudProofsAbi,
  providerRegistryAbi,
  slashingAbi,
} from "@checkernet/contracts";
import { withParams } from "@checkernet/protocol/params";
import { createLogger } from "@checkernet/runtime";
import { type Address, getAddress } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DevnetChain } from "../scripts/devnet/chain.ts";
import { Monitor } from "../scripts/devnet/monitor.ts";
import type { ProviderPlan } from "../scripts/devnet/nodes.ts";
import { type InProcessNetwork, poll, startInProcessNetwork } from "./helpers/inProcessNetwork.ts";
import type { InProcessOperator } from "./helpers/inProcessNodes.ts";

const EPOCH_SECONDS = 20;
/** Deployment to genesis: registrations, answer keys, delegations and provider start-up fit in it. */
const GENESIS_DELAY_SECONDS = 30;
/** As in test/contest.test.ts: four nodes share this process's event loop, so VRAM checks open 4 blocks. */
const PARAMS = withParams({ epochSeconds: EPOCH_SECONDS, vramSampledBlocks: 4 });
const CHECKERS = 4;
const CHEAT_FAULT = "wrong-rows:0.5";
const OWNER_INDEX = 100;
/** From genesis: 8 epochs, about 4 of them matmul epochs for the cheat. */
const SLASH_WAIT_MS = 8 * EPOCH_SECONDS * 1000;

const dataDir = mkdtempSync(join(tmpdir(), "checkernet-fraud-"));
const logger = createLogger({ level: process.env.FRAUD_TEST_LOG === "1" ? "info" : "silent", pretty: false });

let chain: DevnetChain;
let deployment: Deployment;
const nodes: CheckerNode[] = [];
let honest: ProviderPlan;
let cheat: ProviderPlan;
let honestChecker: Address;
const stakes = new Map<Address, bigint>();

const fraudEvents = (provider?: Address) =>
  chain.publicClient.getContractEvents({
    address: deployment.contracts.fraudProofs,
    abi: fraudProofsAbi,
    eventName: "MatmulFraudProven",
    fromBlock: deployment.startBlock,
    ...(provider === undefined ? {} : { args: { provider } }),
  });

const stakeOf = (provider: Address) =>
  chain.publicClient.readContract({
    address: deployment.contracts.providerRegistry,
    abi: providerRegistryAbi,
    functionName: "stakeOf",
    args: [provider],
  });

let network: InProcessNetwork | undefined;

beforeAll(async () => {
  network = await startInProcessNetwork({
    dataDir,
    epochSeconds: EPOCH_SECONDS,
    genesisDelaySeconds: GENESIS_DELAY_SECONDS,
    providerFaults: ["honest", CHEAT_FAULT],
    licenses: Array(CHECKERS).fill(1),
    ownerIndex: OWNER_INDEX,
    params: PARAMS,
    logger,
    faultsOf: (position) => (position === 0 ? [] : ["vouch-pass"]),
    fraudProofs: true,
  });
  ({ chain, deployment } = network);
  [honest, cheat] = network.providers as [ProviderPlan, ProviderPlan];
  honestChecker = (network.operators[0] as InProcessOperator).address;
  nodes.push(...network.nodes);
  // The providers staked at registration; nothing can be slashed before genesis.
  for (const p of network.providers) stakes.set(p.address, await stakeOf(p.address));
}, 240_000);

afterAll(async () => {
  await network?.stop();
}, 60_000);

describe("matmul fraud proofs", () => {
  it("slash a provider that commits wrong rows at once, though three of four checkers vouch for it", async () => {
    const genesisMs = Number(deployment.genesisTime) * 1000;
    const [event] = await poll(
      "a MatmulFraudProven event for the cheat",
      genesisMs + SLASH_WAIT_MS - Date.now(),
      async () => {
        const events = await fraudEvents(cheat.address);
        return events.length > 0 ? events : undefined;
      },
    );
    expect(getAddress(event!.args.checker!)).toBe(honestChecker);
    expect(getAddress(event!.args.submitter!)).toBe(honestChecker);
    expect(event!.args.slashed).toBeGreaterThan(0n);
    expect(await stakeOf(cheat.address)).toBe((stakes.get(cheat.address) as bigint) - event!.args.slashed!);

    // The honest checker's node says so; the vouchers built nothing.
    const [own, ...vouchers] = nodes as [CheckerNode, ...CheckerNode[]];
    const status = await own.status();
    expect(status.fraudProofs?.landed).toBeGreaterThanOrEqual(1);
    for (const v of vouchers) expect((await v.status()).fraudProofs?.built).toBe(0);

    // A few epochs of checking, with reports landing, before looking at what the vote did.
    await poll("epoch 4 and a landed report", (EPOCH_SECONDS * 4 + 30) * 1000, async () => {
      const epoch = await chain.publicClient.readContract({
        address: deployment.contracts.epochReports,
        abi: epochReportsAbi,
        functionName: "currentEpoch",
      });
      const reports = await chain.publicClient.getContractEvents({
        address: deployment.contracts.epochReports,
        abi: epochReportsAbi,
        eventName: "ReportSubmitted",
        fromBlock: deployment.startBlock,
      });
      return epoch >= 4n && reports.length > 0 ? true : undefined;
    });

    // The vote never slashed it: the vouchers hold three of four seats.
    const pending = await chain.publicClient.readContract({
      address: deployment.contracts.slashing,
      abi: slashingAbi,
      functionName: "pendingSlashCount",
      args: [cheat.address],
    });
    expect(pending).toBe(0n);

    // The honest provider: no fraud proof, no voted slash, stake intact.
    expect(await fraudEvents(honest.address)).toEqual([]);
    expect(await stakeOf(honest.address)).toBe(stakes.get(honest.address));

    // The devnet summary counts fraud-proof slashes apart from the voted ones.
    const snapshot = await new Monitor({
      publicClient: chain.publicClient,
      deployment,
      checkers: [],
      providers: [
        { name: honest.name, address: honest.address, fault: honest.fault },
        { name: cheat.name, address: cheat.address, fault: cheat.fault },
      ],
    }).snapshot();
    const byName = new Map(snapshot.providers.map((p) => [p.name, p]));
    expect(byName.get(cheat.name)?.fraudSlashes.length).toBeGreaterThanOrEqual(1);
    expect(byName.get(cheat.name)?.slashes).toEqual([]);
    expect(byName.get(honest.name)?.fraudSlashes).toEqual([]);
    expect(byName.get(honest.name)?.slashes).toEqual([]);
  });
});
