import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { tcp } from "@libp2p/tcp";
import { createLibp2p, type Libp2p } from "libp2p";

/**
 * A bare libp2p host on loopback (TCP + Noise + Yamux, the transport stack of
 * the checker and the provider), so the wire layer is tested over real streams
 * without importing either package.
 */
export async function loopbackHost(): Promise<Libp2p> {
  return createLibp2p({
    privateKey: await generateKeyPair("Ed25519"),
    addresses: { listen: ["/ip4/127.0.0.1/tcp/0"] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
  });
}
