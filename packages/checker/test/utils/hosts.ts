import { type Expect, type WireError as FrameError, FrameReader } from "@checkernet/wire";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Stream } from "@libp2p/interface";
import { type CheckerHost, createHost, type HostOptions } from "../../src/network/host.ts";

/** The listen address of every test host: loopback, a port the OS picks. */
const LOOPBACK_LISTEN = "/ip4/127.0.0.1/tcp/0";

/**
 * A checker host on loopback with a fresh Ed25519 key, quiet by default: no
 * DHT and no NAT services (a test dials its peers directly). `options`
 * overrides any of it (e.g. `{ dht: true }`, a fixed `privateKey`).
 */
export async function loopbackHost(options: Partial<HostOptions> = {}): Promise<CheckerHost> {
  return createHost({
    privateKey: options.privateKey ?? (await generateKeyPair("Ed25519")),
    listen: [LOOPBACK_LISTEN],
    allowPrivateAddresses: true,
    dht: false,
    nat: false,
    ...options,
  });
}

/** Stops every host of `hosts` and empties the list (for an afterEach/afterAll). */
export async function stopHosts(hosts: CheckerHost[]): Promise<void> {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
}

/** Tells every host of `hosts` the addresses of every other one, so they dial without discovery. */
export async function introduceAll(hosts: CheckerHost[]): Promise<void> {
  for (const a of hosts)
    for (const b of hosts) if (a !== b) await a.peerStore.merge(b.peerId, { multiaddrs: b.getMultiaddrs() });
}

/** Streams of `protocol` that `h` holds towards `peer` (only those still reading, when asked). */
export function countStreams(h: CheckerHost, peer: CheckerHost, protocol: string, reading = false): number {
  return h
    .getConnections(peer.peerId)
    .flatMap((c) => c.streams)
    .filter((s: Stream) => s.protocol === protocol && (!reading || s.readStatus !== "closed")).length;
}

/** What {@link exchangeRaw} read back: one frame or the framing error, and how long it took. */
export interface RawAnswer {
  frame?: { type: number; body: Uint8Array };
  err?: FrameError;
  ms: number;
}

/** Sends raw bytes on a fresh `protocol` stream from `from` to `to` and reads one answer frame (or the error). */
async function exchangeRaw(
  from: CheckerHost,
  to: CheckerHost,
  protocol: string,
  expect: Expect,
  bytes: Uint8Array,
  opts: { closeWrite?: boolean; waitMs?: number } = {},
): Promise<RawAnswer> {
  const t0 = Date.now();
  const stream = await from.dialProtocol(to.peerId, protocol);
  if (bytes.length > 0) stream.send(bytes);
  if (opts.closeWrite === true) await stream.close();
  try {
    const frame = await new FrameReader(stream).read(expect, Date.now() + (opts.waitMs ?? 3_000));
    return { frame, ms: Date.now() - t0 };
  } catch (e) {
    return { err: e as FrameError, ms: Date.now() - t0 };
  } finally {
    stream.abort(new Error("test done"));
  }
}

/** {@link exchangeRaw} bound to one protocol and the answer frames it may read back. */
export function rawExchange(protocol: string, expect: Expect) {
  return (
    from: CheckerHost,
    to: CheckerHost,
    bytes: Uint8Array,
    opts: { closeWrite?: boolean; waitMs?: number } = {},
  ): Promise<RawAnswer> => exchangeRaw(from, to, protocol, expect, bytes, opts);
}
