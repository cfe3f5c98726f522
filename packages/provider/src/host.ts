import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { identify } from "@libp2p/identify";
import type { ConnectionGater, PrivateKey } from "@libp2p/interface";
import { ping } from "@libp2p/ping";
import { tcp } from "@libp2p/tcp";
import { createLibp2p, type Libp2p } from "libp2p";

export interface ProviderHostOptions {
  /** The provider's libp2p identity; its peer id is what the registry binds to the provider. */
  privateKey: PrivateKey;
  /** Multiaddrs to listen on, e.g. `/ip4/127.0.0.1/tcp/0`. */
  listen: string[];
  /** Addresses to announce instead of the listening ones (public IP behind a port forward). */
  announce?: string[];
  /** Refuses connections: the offline and selective fault modes use it to look unreachable. */
  connectionGater?: ConnectionGater;
  /**
   * New inbound connections per second accepted from one IP address. libp2p's
   * default is 5, which a devnet or simulator mesh with every checker on
   * 127.0.0.1 exceeds at each epoch start; 50 still bounds a flood from one host.
   */
  inboundConnectionThreshold?: number;
}

/**
 * The provider's libp2p host: TCP + Noise + Yamux, identify and ping. Noise
 * authenticates the remote peer id of every connection, which is what binds a
 * challenge answer to the provider: an answer read from a stream can only come
 * from the holder of the peer key.
 */
export async function createProviderHost(
  options: ProviderHostOptions,
): Promise<
  Libp2p<{ identify: ReturnType<ReturnType<typeof identify>>; ping: ReturnType<ReturnType<typeof ping>> }>
> {
  return createLibp2p({
    privateKey: options.privateKey,
    addresses: {
      listen: options.listen,
      ...(options.announce === undefined ? {} : { announce: options.announce }),
    },
    ...(options.connectionGater === undefined ? {} : { connectionGater: options.connectionGater }),
    connectionManager: { inboundConnectionThreshold: options.inboundConnectionThreshold ?? 50 },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      ping: ping(),
    },
  });
}
