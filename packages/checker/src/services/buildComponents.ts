import { loadBlsBackend } from "@checkernet/protocol/bls/index";
import { DEFAULT_PARAMS } from "@checkernet/protocol/params";
import { peerIdFromString } from "@libp2p/peer-id";
import { multiaddr } from "@multiformats/multiaddr";
import { bytesToHex } from "viem";
import { EpochClock } from "../chain/clock.ts";
import { ChallengeClient } from "../challenges/client.ts";
import { ComputeWorker } from "../challenges/computeWorker.ts";
import { WorkerTranscriptEvaluator } from "../challenges/evaluator.ts";
import { signingDomain } from "../config.ts";
import { CheckerDb } from "../db/checkerDb.ts";
import { parseCheckerFaults } from "../faults/faults.ts";
import { loadOrCreatePeerKey } from "../keys/store.ts";
import { createMetrics } from "../metrics/index.ts";
import { type CheckerHost, createHost } from "../network/host.ts";
import { BlsBatchVerifier } from "../validation/bls/batchVerifier.ts";
import { EquivocationBook } from "../validation/equivocations.ts";
import { StaticKeyDirectory } from "../validation/keyDirectory.ts";
import { StaticProviderDirectory } from "../validation/providerDirectory.ts";
import { SeenAttestations } from "../validation/seenCache.ts";
import { StaticEpochSeeds } from "../validation/sortition.ts";
import { connectChain } from "./chainConnection.ts";
import type { NodeComponents } from "./components.ts";
import type { CheckerNodeOptions } from "./nodeOptions.ts";

/** Opens the database, builds the host (not started) and connects to the chain when configured. */
export async function buildComponents(options: CheckerNodeOptions): Promise<NodeComponents> {
  const { config, logger } = options;
  const metrics = createMetrics({ defaultMetrics: true });
  const bls = await loadBlsBackend("auto");
  const peerKey = options.peerKey ?? (await loadOrCreatePeerKey(config.dataDir));
  const db = await CheckerDb.open({ dataDir: config.dataDir, metrics });
  try {
    const host = await createHost({
      privateKey: peerKey,
      listen: config.listen,
      bootstrap: config.bootstrap,
      mdns: config.mdns,
      dht: config.dht,
      nat: config.nat,
      relayServer: config.relayServer,
      reachability: config.reachability,
      announceLan: config.announceLan,
      ...trustedHostOptions(config.trustedNetworks, options.allowPrivateAddresses === true),
      ...(options.heartbeatIntervalMs === undefined
        ? {}
        : { heartbeatIntervalMs: options.heartbeatIntervalMs }),
      start: false,
    });
    const domain = signingDomain(config);
    const { chain, walletClient, genesis } = await connectChain(config, domain, logger, options);
    const params = options.params ?? DEFAULT_PARAMS;
    const faults = parseCheckerFaults(config.faults);
    if (faults.lieFail.size > 0) {
      logger.warn(
        { lieFail: [...faults.lieFail] },
        "FAULT MODE lie-fail: this checker attests FAIL for these providers whatever it measures (tests and demos only)",
      );
    }
    if (faults.vouchPass === true) {
      logger.warn(
        "FAULT MODE vouch-pass: this checker attests PASS for every provider whatever it measures and builds no fraud proof (tests and demos only)",
      );
    }
    // One worker thread for transcript evaluations, BLS batches and fraud-proof searches (computeWorker.ts):
    // each thread is a V8 isolate of ~12 MiB (docs/footprint.md).
    const compute = new ComputeWorker({ params, blsPreference: bls.name === "noble" ? "noble" : "auto" });
    const evaluator = new WorkerTranscriptEvaluator(params, logger.child({ service: "challenges" }), {
      worker: compute,
    });
    const { operatorAddress } = config;
    const secretKey = options.operatorSecretKey;
    const clock = new EpochClock({
      genesisMs: genesis?.genesisMs ?? config.genesisMs,
      epochSeconds: genesis?.epochSeconds ?? config.epochSeconds,
      checkingPhaseBps: params.checkingPhaseBps,
    });
    const keys = options.keys ?? chain?.directory ?? new StaticKeyDirectory();
    const equivocations = new EquivocationBook({ db, keys, bls, domain, clock, logger, metrics });
    await equivocations.load();
    return {
      config,
      logger,
      metrics,
      host,
      db,
      bls,
      // Batches checked on the worker thread: a flood of bad signatures cannot stall challenge IO (issue 14).
      verifier: new BlsBatchVerifier({ backend: bls, metrics, offThread: true, worker: compute }),
      clock,
      domain,
      params,
      seen: new SeenAttestations(),
      keys,
      equivocations,
      epochs: options.epochs ?? chain?.directory ?? new StaticEpochSeeds(),
      providers: options.providers ?? chain?.directory ?? new StaticProviderDirectory(),
      evaluator,
      challenges: new ChallengeClient(
        { host, logger: logger.child({ service: "challenges" }), metrics, evaluator },
        { params, checkerRegion: config.region },
      ),
      faults,
      walletClient,
      chain,
      operator:
        secretKey === undefined || operatorAddress === undefined
          ? undefined
          : { address: operatorAddress, secretKey },
      operatorPublicKey: secretKey === undefined ? null : bytesToHex(bls.publicKey(secretKey)),
      addPeerAddresses: (peerId, addrs) => addPeerAddresses(host, peerId, addrs),
    };
  } catch (e) {
    await db.close();
    throw e;
  }
}

async function addPeerAddresses(host: CheckerHost, peerId: string, addrs: readonly string[]): Promise<void> {
  const parsed = addrs.flatMap((a) => {
    try {
      return [multiaddr(a)];
    } catch {
      return [];
    }
  });
  if (parsed.length > 0) await host.peerStore.merge(peerIdFromString(peerId), { multiaddrs: parsed });
}

/**
 * The host's exempt networks (`allow`, as libp2p multiaddrs): the configured
 * trustedNetworks, plus 127.0.0.1 for in-process test networks
 * (allowPrivateAddresses), where every honest node shares that address.
 */
export function trustedHostOptions(
  trustedNetworks: readonly string[],
  allowPrivateAddresses: boolean,
): { allowPrivateAddresses?: true; allow?: string[] } {
  const cidrs = new Set(trustedNetworks.map((c) => c.trim()));
  if (allowPrivateAddresses) cidrs.add("127.0.0.1/32");
  const allow = [...cidrs].map((c) => {
    const [ip, bits] = c.split("/");
    return `/ip4/${ip}/ipcidr/${bits}`;
  });
  return {
    ...(allowPrivateAddresses ? { allowPrivateAddresses: true as const } : {}),
    ...(allow.length > 0 ? { allow } : {}),
  };
}
