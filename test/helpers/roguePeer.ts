/**
 * A Sybil flooder for the Sybil-flood drill (issue 14, test/chaos/sybilFlood.ts): a process of its
 * own (its work must not run on the event loop of a checker under test, nor of the test) that floods the
 * attestation topic over real libp2p + gossipsub on loopback, from a fresh peer id every
 * `messagesPerIdentity` messages, from a fresh source IP every `identitiesPerIp` identities.
 *
 * The identities dial from 127.0.0.2-127.0.0.254 in turn (Linux routes all of 127.0.0.0/8 to loopback),
 * never the checkers' 127.0.0.1: off a devnet an attacker does not share its victims' IP, and on one, an
 * IP budget shared with the flood starves the honest checkers that are not yet proven
 * (docs/protocol/gossip-validation.md, Known limits). From one IP the flood would be over within seconds:
 * each checker lets an IP bring in 8 new identities, and none once one of them was hung up for invalid
 * messages (packages/checker/src/network/identityBudget.ts); an attacker with many addresses moves on.
 *
 * Issue 14's four kinds, in turn, one message in four each, each identity starting one kind further on:
 *  - bad signature: a registered checker and provider, the current epoch, a forged VRF proof (a valid
 *    G2 point from the rogue's own key, picked so that its ticket gives the checker a seat: it passes
 *    every cheap rule) and a bad signature, so each one costs a pairing unless the validation budget
 *    turns it away; it accuses the provider (FAIL), so a checker that counted one would blame it;
 *  - far epoch: the same, far in the future (REJECTed before the budget, each costing the sender score);
 *  - oversized: OVERSIZED_BYTES of noise, over the attestation codec's 640 bytes (REJECTed before decode);
 *  - replay: a real checker's valid attestation as it crossed the mesh, re-published verbatim (the
 *    rogue keeps one listening identity in the mesh to collect them; gossipsub's seen cache, or the
 *    validator's, must drop the copy). A bad-signature one until the first honest one is heard.
 * The last message of every identity is over the checkers' gossipsub RPC limit (RPC_OVERSIZED_BYTES;
 * the checker's maxRpcBytes, 256 KiB): refused at its length prefix, before a byte of it is buffered.
 * The next identity is dialled while the current one floods, so the rate holds across rotations.
 *
 * The parent starts it with startRogueFlood(); the process runs this file with the plan in
 * CHECKERNET_ROGUE_PLAN, prints ROGUE_READY once its forgeries are made and ROGUE_SUMMARY <json>
 * when the flood is over, then exits.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type CheckerHost, createHost } from "@checkernet/checker";
import { loadBlsBackend } from "@checkernet/protocol/bls/index";
import { generateSecretKey } from "@checkernet/protocol/bls/keygen";
import { signedAttestationCodec } from "@checkernet/protocol/encoding/attestation";
import { attestationSeats, vrfOutput } from "@checkernet/protocol/sortition";
import { ChallengeKind, CheckResult, type SignedAttestation } from "@checkernet/protocol/types";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { multiaddr } from "@multiformats/multiaddr";
import { type Address, bytesToHex, type Hex, keccak256, toHex } from "viem";
import { type Child, spawnChild, stopChild, waitUntil } from "../../scripts/devnet/proc.ts";

const ATTESTATIONS_TOPIC = "/checkernet/1/attestations/abi";
const PLAN_ENV = "CHECKERNET_ROGUE_PLAN";
const READY_LINE = "ROGUE_READY";
const SUMMARY_PREFIX = "ROGUE_SUMMARY ";
/** The source IPs the rogue's identities dial from, in turn: 127.0.0.FIRST_OCTET-127.0.0.LAST_OCTET. */
const FIRST_OCTET = 2;
const LAST_OCTET = 254;
/** Over the attestation codec's 640 bytes (signedAttestationCodec.maxBytes), well under gossipsub's RPC limit. */
const OVERSIZED_BYTES = 1_024;
/** Over the checkers' gossipsub RPC limit (HOST_LIMITS.maxRpcBytes in packages/checker/src/network/host.ts: 256 KiB). */
const RPC_OVERSIZED_BYTES = 300 * 1024;
/** Honest attestations kept for replay, the latest first out. */
const MAX_REPLAYS = 256;

interface RogueFloodPlan {
  /** The checkers' multiaddrs, with /p2p/<peer id>: every identity dials them all. */
  targets: string[];
  genesisMs: number;
  epochSeconds: number;
  /** Wall-clock window of the flood (ms since the epoch of 1970). */
  startMs: number;
  endMs: number;
  /** The registered checkers named in the messages, with their licenses in the flood's snapshot. */
  checkers: { address: Address; licenses: number }[];
  totalLicenses: number;
  /** Expected committee size k (ProtocolParams.committeeSize): the forged tickets must win a seat. */
  committeeSize: number;
  /** The registered providers the messages accuse. */
  providers: Address[];
  /** A fresh peer id after this many messages (issue 14: 100). */
  messagesPerIdentity: number;
  /** Target rate over the whole flood (issue 14: 200 msg/s). */
  messagesPerSecond: number;
  /** A fresh source IP after this many identities. */
  identitiesPerIp: number;
}

interface RogueFloodSummary {
  /** Peer ids used. */
  identities: number;
  /** Source IPs they dialled from. */
  ips: number;
  /** Current-epoch messages with a forged VRF proof and a bad signature. */
  badSignature: number;
  /** Far-future-epoch messages. */
  farEpoch: number;
  /** Messages over the attestation codec's limit (OVERSIZED_BYTES). */
  oversized: number;
  /** Messages over the checkers' gossipsub RPC limit (RPC_OVERSIZED_BYTES), one per identity. */
  oversizedRpc: number;
  /** Real checkers' attestations re-published verbatim. */
  replayed: number;
  /** Honest attestations the listening identity heard (the replay pool). */
  honestHeard: number;
  /**
   * Messages gossipsub had no peer to send to: an identity whose targets were not yet seen subscribed,
   * or one every target had hung up on at its 13th invalid message (network/gossip/graylist.ts).
   */
  unsent: number;
  /** Identities that reached fewer than all targets before flooding. */
  partialIdentities: number;
  /** When the first and the last message went out. */
  firstMs: number;
  lastMs: number;
  /** Dial + subscription exchange of one identity, median, ms. */
  setupMsP50: number;
  /** CPU the rogue process spent (user + system, s): the attacker's share of the shared machine. */
  cpuS: number;
}

export interface RogueFlood {
  /** Resolves with what the rogue sent once its flood is over and it has exited. */
  done(): Promise<RogueFloodSummary>;
  /** Kills it if still running. */
  stop(): Promise<void>;
}

/** Spawns the flooder and resolves once it has made its forgeries (it then waits for plan.startMs). */
export async function startRogueFlood(plan: RogueFloodPlan, logDir: string): Promise<RogueFlood> {
  const child: Child = spawnChild({
    name: "rogue",
    command: process.execPath,
    args: ["--import", "tsx", fileURLToPath(import.meta.url)],
    logFile: join(logDir, "rogue.log"),
    env: { [PLAN_ENV]: JSON.stringify(plan) },
    lifeline: true,
  });
  await waitUntil(
    "the rogue's forgeries",
    async () => (child.stdout().includes(READY_LINE) ? true : undefined),
    {
      timeoutMs: 60_000,
      child,
      intervalMs: 100,
    },
  );
  return {
    async done() {
      const code = await child.exited;
      const line = child
        .stdout()
        .split("\n")
        .find((l) => l.startsWith(SUMMARY_PREFIX));
      if (line === undefined)
        throw new Error(`the rogue exited (${code}) without a summary; see ${child.logFile}`);
      return JSON.parse(line.slice(SUMMARY_PREFIX.length)) as RogueFloodSummary;
    },
    async stop() {
      if (child.process.exitCode === null && child.process.signalCode === null) await stopChild(child, 2_000);
    },
  };
}

// --- the rogue process ---------------------------------------------------------------------------

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** The kinds of message in turn (the last of an identity's is always "oversizedRpc"). */
const MESSAGE_KINDS = ["badSignature", "farEpoch", "oversized", "replay"] as const;

interface Forgery {
  checker: Address;
  provider: Address;
  vrfProof: Hex;
}

/** Forged VRF proofs, one per (checker, provider), each a valid G2 point whose ticket wins a seat. */
async function forge(plan: RogueFloodPlan): Promise<{ forgeries: Forgery[]; badSignature: Hex }> {
  const bls = await loadBlsBackend("auto");
  const key = generateSecretKey(randomBytes(32));
  const forgeries: Forgery[] = [];
  for (const c of plan.checkers) {
    for (const provider of plan.providers) {
      for (let tries = 0; tries < 256; tries++) {
        const proof = bls.sign(key, randomBytes(32));
        const weight = { licenses: c.licenses, totalLicenses: plan.totalLicenses };
        if (attestationSeats(vrfOutput(proof), provider, weight, plan.committeeSize) > 0) {
          forgeries.push({ checker: c.address, provider, vrfProof: bytesToHex(proof) });
          break;
        }
      }
    }
  }
  if (forgeries.length === 0) throw new Error("no forged VRF proof won a seat");
  return { forgeries, badSignature: bytesToHex(bls.sign(key, randomBytes(32))) };
}

/** A fresh identity dialled into every target, with the targets seen subscribed (or 3 s gone by). */
async function connectIdentity(
  plan: RogueFloodPlan,
  sourceIp: string,
): Promise<{ host: CheckerHost; reached: number; setupMs: number }> {
  const t0 = Date.now();
  const host = await newIdentity(sourceIp);
  await Promise.allSettled(
    plan.targets.map((t) => host.dial(multiaddr(t), { signal: AbortSignal.timeout(3_000) })),
  );
  const deadline = Date.now() + 3_000;
  let reached = 0;
  for (;;) {
    reached = host.services.pubsub.getSubscribers(ATTESTATIONS_TOPIC).length;
    if (reached >= plan.targets.length || Date.now() > deadline) break;
    await sleep(25);
  }
  return { host, reached, setupMs: Date.now() - t0 };
}

/** The source IP of the rogue's `index`th identity (from 0). */
function sourceIpOf(plan: RogueFloodPlan, index: number): string {
  const octets = LAST_OCTET - FIRST_OCTET + 1;
  return `127.0.0.${FIRST_OCTET + (Math.floor(index / plan.identitiesPerIp) % octets)}`;
}

/** A fresh libp2p identity subscribed to the attestation topic, every dial bound to `sourceIp`. */
async function newIdentity(sourceIp: string): Promise<CheckerHost> {
  const host = await createHost({
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    allowPrivateAddresses: true,
    allow: ["/ip4/127.0.0.1/ipcidr/8"],
    dht: false,
    nat: false,
  });
  // The TCP transport passes its dialOpts to net.connect: bind every dial to sourceIp.
  const transports = (
    host as unknown as {
      components: { transportManager: { getTransports(): { opts?: { dialOpts?: object } }[] } };
    }
  ).components.transportManager.getTransports();
  for (const t of transports) {
    if (t.opts !== undefined) t.opts.dialOpts = { ...t.opts.dialOpts, localAddress: sourceIp };
  }
  host.services.pubsub.subscribe(ATTESTATIONS_TOPIC);
  return host;
}

interface ReplayPool {
  messages: Uint8Array[];
  /** Honest attestations heard in all. */
  heard: number;
}

/**
 * One identity that stays in the checkers' mesh and only listens: it collects the real checkers'
 * attestations as they cross it, for the flood to replay. It never sends anything invalid.
 */
async function listenForReplays(plan: RogueFloodPlan, pool: ReplayPool): Promise<CheckerHost> {
  const host = await newIdentity(sourceIpOf(plan, 0));
  host.services.pubsub.addEventListener("gossipsub:message", (evt) => {
    const { msg } = evt.detail;
    if (msg.topic !== ATTESTATIONS_TOPIC) return;
    pool.heard++;
    pool.messages.unshift(msg.data);
    if (pool.messages.length > MAX_REPLAYS) pool.messages.pop();
  });
  await Promise.allSettled(
    plan.targets.map((t) => host.dial(multiaddr(t), { signal: AbortSignal.timeout(3_000) })),
  );
  return host;
}

async function flood(plan: RogueFloodPlan): Promise<RogueFloodSummary> {
  const { forgeries, badSignature } = await forge(plan);
  process.stdout.write(`${READY_LINE}\n`);
  const epochMs = plan.epochSeconds * 1000;
  const summary: RogueFloodSummary = {
    identities: 0,
    ips: 0,
    badSignature: 0,
    farEpoch: 0,
    oversized: 0,
    oversizedRpc: 0,
    replayed: 0,
    honestHeard: 0,
    unsent: 0,
    partialIdentities: 0,
    firstMs: 0,
    lastMs: 0,
    setupMsP50: 0,
    cpuS: 0,
  };
  const setups: number[] = [];
  const intervalMs = 1000 / plan.messagesPerSecond;
  const replays: ReplayPool = { messages: [], heard: 0 };
  // Dial the listener and the first identity just ahead of the start.
  await sleep(plan.startMs - 1_500 - Date.now());
  const listener = await listenForReplays(plan, replays);
  // The listener is identity 0; the flood's identities are 1, 2, ...
  let dialled = 1;
  let next: ReturnType<typeof connectIdentity> | undefined = connectIdentity(plan, sourceIpOf(plan, dialled));
  await sleep(plan.startMs - Date.now());
  let n = 0;
  // Paced at messagesPerSecond; a backlog of more than half a second (an identity slow to connect) is
  // dropped from the schedule rather than sent as one burst.
  let baseMs = plan.startMs;
  const stopping: Promise<void>[] = [];
  while (next !== undefined && Date.now() < plan.endMs) {
    const { host, reached, setupMs } = await next;
    summary.identities++;
    setups.push(setupMs);
    if (reached < plan.targets.length) summary.partialIdentities++;
    next = connectIdentity(plan, sourceIpOf(plan, ++dialled));
    for (let i = 0; i < plan.messagesPerIdentity && Date.now() < plan.endMs; i++, n++) {
      if (Date.now() - (baseMs + n * intervalMs) > 500) baseMs = Date.now() - n * intervalMs;
      await sleep(baseMs + n * intervalMs - Date.now());
      const epoch = BigInt(Math.floor((Date.now() - plan.genesisMs) / epochMs) + 1);
      const f = forgeries[n % forgeries.length]!;
      const lastOfIdentity = i === plan.messagesPerIdentity - 1;
      // Each identity starts one kind further on: a checker hangs up on an identity at its first
      // far-epoch or oversized REJECT (it never delivered a valid message), so what every identity
      // leads with is what reaches validation, and each kind must.
      const kind = lastOfIdentity
        ? "oversizedRpc"
        : MESSAGE_KINDS[(n + summary.identities) % MESSAGE_KINDS.length]!;
      const replay =
        kind === "replay" ? replays.messages[Math.floor(Math.random() * replays.messages.length)] : undefined;
      const far = kind === "farEpoch";
      const signed: SignedAttestation = {
        attestation: {
          epoch: far ? epoch + 10n + BigInt(n % 1_000) : epoch,
          provider: f.provider,
          checker: f.checker,
          kind: ChallengeKind.LATENCY,
          result: CheckResult.FAIL,
          latencyP50Us: 900_000,
          latencyP95Us: 1_200_000,
          throughput: 0n,
          transcriptHash: keccak256(toHex(`rogue-${process.pid}-${n}`)),
        },
        signature: badSignature,
        vrfProof: f.vrfProof,
      };
      const data =
        kind === "oversizedRpc"
          ? randomBytes(RPC_OVERSIZED_BYTES)
          : kind === "oversized"
            ? randomBytes(OVERSIZED_BYTES)
            : (replay ?? signedAttestationCodec.encode(signed));
      const sent = await host.services.pubsub
        .publish(ATTESTATIONS_TOPIC, data)
        .then((r) => r.recipients.length)
        .catch(() => 0);
      if (sent === 0) summary.unsent++;
      if (kind === "oversizedRpc") summary.oversizedRpc++;
      else if (kind === "oversized") summary.oversized++;
      else if (replay !== undefined) summary.replayed++;
      else if (far) summary.farEpoch++;
      else summary.badSignature++;
      if (summary.firstMs === 0) summary.firstMs = Date.now();
      summary.lastMs = Date.now();
    }
    // Retired: its connections close (gossipsub graylists by peer id, so a new one starts clean).
    stopping.push(Promise.resolve(host.stop()).catch(() => undefined));
  }
  const last = await next?.catch(() => undefined);
  if (last !== undefined) stopping.push(Promise.resolve(last.host.stop()).catch(() => undefined));
  stopping.push(Promise.resolve(listener.stop()).catch(() => undefined));
  await Promise.all(stopping);
  summary.honestHeard = replays.heard;
  summary.ips = new Set(Array.from({ length: summary.identities }, (_, i) => sourceIpOf(plan, i + 1))).size;
  setups.sort((a, b) => a - b);
  summary.setupMsP50 = setups[Math.floor(setups.length / 2)] ?? 0;
  const cpu = process.cpuUsage();
  summary.cpuS = (cpu.user + cpu.system) / 1e6;
  return summary;
}

if (process.env[PLAN_ENV] !== undefined && process.argv[1] === fileURLToPath(import.meta.url)) {
  const plan = JSON.parse(process.env[PLAN_ENV]) as RogueFloodPlan;
  flood(plan).then(
    (summary) => {
      process.stdout.write(`${SUMMARY_PREFIX}${JSON.stringify(summary)}\n`);
      process.exit(0);
    },
    (e: unknown) => {
      process.stderr.write(`rogue: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
