import { createHash } from "node:crypto";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { bootstrap } from "@libp2p/bootstrap";
import { type GossipSub, type GossipsubOpts, gossipsub } from "@libp2p/gossipsub";
import { identify } from "@libp2p/identify";
import type { Libp2p, PrivateKey } from "@libp2p/interface";
import type { KadDHT, KadDHTInit } from "@libp2p/kad-dht";
import { type Ping, ping } from "@libp2p/ping";
import { tcp } from "@libp2p/tcp";
import { createLibp2p, type Libp2pOptions, type ServiceFactoryMap } from "libp2p";
import type { Reachability } from "../config.ts";
import { type AddressSource, announceFilter } from "./announce.ts";
import { peerScoreParams, peerScoreThresholds } from "./gossip/scoring.ts";
import { GossipTopic } from "./gossip/topics.ts";
import {
  InboundIdentityBudget,
  identityBudgetGater,
  inIpv4Networks,
  setIdentityBudget,
} from "./identityBudget.ts";

/** Network limits in one table; each says where its number comes from. */
const HOST_LIMITS = {
  /**
   * What one relayed connection may carry (both ways) and how long it may last, on a checker that serves
   * as a relay. The library's defaults (128 KiB, 2 min) are sized for hole-punch signalling; here a checker
   * behind NAT may have no other path to another, and its co-sign and reports exchanges go over the relay.
   */
  relayDataLimitBytes: 16 * 1024 * 1024,
  relayDurationLimitMs: 10 * 60_000,
  /** Laptop-friendly connection cap; gossipsub needs D_hi (12) plus headroom for DHT and challenge streams. */
  maxConnections: 64,
  /** Gossipsub mesh degree from the gossipsub v1.1 spec defaults (D=6, Dlo=4, Dhi=12). */
  D: 6,
  Dlo: 4,
  Dhi: 12,
  /** Heartbeat: gossipsub's default 1 s; tests lower it to converge faster. */
  heartbeatIntervalMs: 1_000,
  /** Seen-cache TTL: a little above two epochs of devnet time; duplicates beyond it are caught by the validator's own cache. */
  seenTtlMs: 120_000,
  /**
   * Largest gossipsub RPC frame read from a peer. It bounds a whole frame
   * (batched messages plus IHAVE/IWANT control), not one message: gossipsub's
   * own default is 4 MiB; 256 KiB holds hundreds of 608-byte attestations and
   * thousands of 20-byte message ids. Per-message limits are the validator's job.
   */
  maxRpcBytes: 256 * 1024,
  /**
   * Gossipsub v1.2 sends an IDONTWANT to every mesh peer for each new message of this size or more, on
   * receipt, before validating it (its default: 512 bytes, under a 640-byte attestation). Here it never
   * pays: every message on our topics is under 2 KiB (an attestation 640 bytes, evidence two of them),
   * and each IDONTWANT costs each of the D peers an encrypted frame, and the sender a yamux window
   * update back, about what the duplicate it might save costs. Under a Sybil flood it multiplied every
   * invalid message by the mesh degree on every receiver: in the drill (test/chaos/sybilFlood.ts, CPU
   * profile of one checker process) a flood minute cost ~1.3 s sending IDONTWANTs and ~4 s sending a
   * window update for each frame received (its peers' IDONTWANTs most of them, inferred), against 41 s
   * of that minute busy. Over the RPC limit: no message reaches it, none is sent.
   */
  idontwantMinDataSize: 256 * 1024 + 1,
} as const;

interface HostServices extends Record<string, unknown> {
  identify: unknown;
  ping: Ping;
  pubsub: GossipSub;
  dht?: KadDHT;
  autonat?: unknown;
  dcutr?: unknown;
  relay?: unknown;
}

export type CheckerHost = Libp2p<HostServices>;

export interface HostOptions {
  privateKey: PrivateKey;
  listen: string[];
  bootstrap?: string[];
  mdns?: boolean;
  dht?: boolean;
  /** Circuit relay v2 transport + DCUtR + AutoNAT. */
  nat?: boolean;
  relayServer?: boolean;
  /** Allows private (loopback, LAN) addresses in the DHT: needed for devnets and tests. */
  allowPrivateAddresses?: boolean;
  /**
   * Whether the node is reachable at its own addresses (network/announce.ts; default "auto"): behind NAT
   * ("private", or "auto" once a peer observed it at another public IP) it announces only relay, public
   * (confirmed) and DNS addresses, and private ones only inside `announceLan`.
   */
  reachability?: Reachability;
  /** IPv4 networks ("192.168.1.0/24") whose addresses a node behind NAT still announces, for peers on its LAN. */
  announceLan?: string[];
  /**
   * Networks exempt from the inbound connection rate limit (libp2p: 5 per
   * second per host), the connection cap and the inbound identity budget
   * (network/identityBudget.ts), e.g. "/ip4/127.0.0.1/ipcidr/32" for a
   * loopback devnet where every peer shares one IP.
   */
  allow?: string[];
  heartbeatIntervalMs?: number;
  gossip?: Partial<GossipsubOpts>;
  /** Starts the node at once (default true). */
  start?: boolean;
}

/** Gossip message id = sha256(data)[0..20], as Ethereum's consensus layer does for unsigned messages. */
function gossipMessageId(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest().subarray(0, 20));
}

/**
 * Whether the DHT answers other peers' queries. A node known to be behind NAT is a client (peers could
 * reach it only through a relay); on a LAN or loopback network it serves; otherwise kad-dht decides, and
 * serves once the node has a public address that is not a relay's.
 */
function dhtClientMode(options: HostOptions): boolean | undefined {
  if (options.allowPrivateAddresses === true) return false;
  if (options.reachability === "private") return true;
  if (options.reachability === "public") return false;
  return undefined;
}

/**
 * Builds the libp2p host of a checker node: TCP + Noise + Yamux, identify,
 * ping, gossipsub with peer scoring, bootstrap list, optional mDNS, kad-dht,
 * circuit relay v2 + DCUtR + AutoNAT.
 *
 * The optional services are imported only when configured: kad-dht, mDNS and the NAT stack are ~60
 * modules a node without them (a devnet's: no DHT, no NAT) would otherwise keep resident
 * (docs/footprint.md, "The base, cut").
 */
export async function createHost(options: HostOptions): Promise<CheckerHost> {
  const peerDiscovery: Libp2pOptions["peerDiscovery"] & unknown[] = [];
  if ((options.bootstrap ?? []).length > 0) {
    peerDiscovery.push(bootstrap({ list: options.bootstrap ?? [], timeout: 100 }));
  }
  if (options.mdns === true) peerDiscovery.push((await import("@libp2p/mdns")).mdns());
  const nat = options.nat ?? true;
  const listen = [...options.listen];
  // A /p2p-circuit listen address asks relays for a reservation, so peers
  // behind NAT are reachable; only useful when relays can be found.
  if (nat && (options.bootstrap ?? []).length > 0) listen.push("/p2p-circuit");

  const services: ServiceFactoryMap = {
    identify: identify(),
    // libp2p's connection monitor pings every connection on the same protocol; one
    // stream each way (the default) makes an explicit ping fail while a monitor ping runs.
    ping: ping({ maxOutboundStreams: 4, maxInboundStreams: 4 }),
    pubsub: gossipsub({
      // Messages carry their own BLS signatures; libp2p envelopes would only
      // add bytes and let the message id depend on the sender.
      globalSignaturePolicy: "StrictNoSign",
      msgIdFn: (msg) => gossipMessageId(msg.data),
      allowPublishToZeroTopicPeers: true,
      ignoreDuplicatePublishError: true,
      fallbackToFloodsub: false,
      emitSelf: false,
      D: HOST_LIMITS.D,
      Dlo: HOST_LIMITS.Dlo,
      Dhi: HOST_LIMITS.Dhi,
      heartbeatInterval: options.heartbeatIntervalMs ?? HOST_LIMITS.heartbeatIntervalMs,
      seenTTL: HOST_LIMITS.seenTtlMs,
      maxInboundDataLength: HOST_LIMITS.maxRpcBytes,
      idontwantMinDataSize: HOST_LIMITS.idontwantMinDataSize,
      allowedTopics: Object.values(GossipTopic),
      scoreParams: peerScoreParams(Object.values(GossipTopic)),
      scoreThresholds: peerScoreThresholds(),
      ...options.gossip,
    }),
  };
  // The DHT is how a node finds the addresses of a peer it knows only by id (the registry holds checkers'
  // peer ids, no addresses); a devnet, whose bootstrap list names every node, runs without it.
  if (options.dht ?? true) {
    const { kadDHT, passthroughMapper, removePrivateAddressesMapper } = await import("@libp2p/kad-dht");
    const clientMode = dhtClientMode(options);
    services.dht = (kadDHT as unknown as (init: KadDHTInit) => ServiceFactoryMap[string])({
      protocol: "/checkernet/kad/1.0.0",
      ...(clientMode === undefined ? {} : { clientMode }),
      peerInfoMapper:
        options.allowPrivateAddresses === true ? passthroughMapper : removePrivateAddressesMapper,
    });
  }
  const relay = nat || options.relayServer === true ? await import("@libp2p/circuit-relay-v2") : undefined;
  if (nat) {
    services.autonat = (await import("@libp2p/autonat")).autoNAT();
    services.dcutr = (await import("@libp2p/dcutr")).dcutr();
  }
  if (relay !== undefined && options.relayServer === true) {
    services.relay = relay.circuitRelayServer({
      reservations: {
        defaultDataLimit: BigInt(HOST_LIMITS.relayDataLimitBytes),
        defaultDurationLimit: HOST_LIMITS.relayDurationLimitMs,
      },
    });
  }

  let addressSource: AddressSource | undefined;
  const identities = new InboundIdentityBudget();
  const node = await createLibp2p({
    privateKey: options.privateKey,
    addresses: {
      listen,
      announceFilter: announceFilter(
        options.reachability ?? "auto",
        options.announceLan ?? [],
        () => addressSource,
      ),
    },
    transports: nat && relay !== undefined ? [tcp(), relay.circuitRelayTransport()] : [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery,
    connectionManager: { maxConnections: HOST_LIMITS.maxConnections, allow: options.allow ?? [] },
    // A Sybil's every fresh peer id is refused once its IP has brought in a few (issue 14).
    connectionGater: identityBudgetGater(identities, inIpv4Networks(options.allow ?? [])),
    services,
    start: options.start ?? true,
  });
  // The address manager is not part of the public Libp2p interface; the implementation exposes it.
  addressSource = (node as unknown as { components: { addressManager: AddressSource } }).components
    .addressManager;
  setIdentityBudget(node, identities);
  return node as unknown as CheckerHost;
}

/** The gossipsub score of a peer as seen by `host` (negative after invalid messages). */
export function peerScore(host: CheckerHost, peerId: string): number {
  return (host.services.pubsub as unknown as { getScore(id: string): number }).getScore(peerId);
}
