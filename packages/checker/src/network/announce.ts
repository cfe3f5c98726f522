/**
 * Which of its addresses a node announces (identify, its signed peer record, the DHT) — the
 * address manager's `announceFilter` (libp2p 3: `addresses.announceFilter`, applied to every address
 * `getMultiaddrs()` returns, so to what identify sends).
 *
 * libp2p itself announces a public listen or observed address only once AutoNAT confirmed it, but
 * every private one (RFC 1918, loopback, link-local) at once. Behind NAT a private address is one no
 * peer outside the LAN can reach: peers dial it in vain (`ENETUNREACH` in the testbed,
 * docs/network-conditions.md). A node that knows it is behind NAT therefore announces only its relay
 * (`/p2p-circuit`) addresses, public addresses (in the list only once confirmed) and DNS names, and a
 * private address only inside a network its operator names (`announceLan`, for peers on the same LAN).
 */
import type { Multiaddr } from "@multiformats/multiaddr";
import type { Reachability } from "../config.ts";
import { inCidr, parseCidr, v4 } from "../utils/cidr.ts";

/** IPv4 networks no peer outside the host's own network reaches (RFC 1918, 6598, loopback, link-local, 0/8). */
const PRIVATE_V4: readonly [number, number][] = [
  [0x0a000000, 8],
  [0x7f000000, 8],
  [0xc0a80000, 16],
  [0xac100000, 12],
  [0xa9fe0000, 16],
  [0x64400000, 10],
  [0x00000000, 8],
];

/** The host part of a multiaddr: ip4/ip6/dns value, or undefined (no host, or a relayed address). */
function hostOf(ma: Multiaddr): { kind: "ip4" | "ip6" | "dns"; value: string } | undefined {
  const first = ma.getComponents()[0];
  if (first === undefined || first.value === undefined) return undefined;
  if (first.name === "ip4" || first.name === "ip6") return { kind: first.name, value: first.value };
  if (first.name.startsWith("dns")) return { kind: "dns", value: first.value };
  return undefined;
}

function isPrivateHost(h: { kind: "ip4" | "ip6" | "dns"; value: string }): boolean {
  if (h.kind === "dns") return false;
  if (h.kind === "ip6") return /^(::1?$|f[cd]|fe[89ab])/i.test(h.value);
  const ip = v4(h.value);
  return PRIVATE_V4.some(([base, bits]) => inCidr(ip, base, bits));
}

const isRelayed = (ma: Multiaddr): boolean => ma.toString().includes("/p2p-circuit");

/**
 * Behind NAT: some observed address has a public IP that is none of the node's own addresses (peers
 * see it behind another host's address). libp2p records only public observed addresses.
 */
export function observedBehindNat(own: readonly Multiaddr[], observed: readonly Multiaddr[]): boolean {
  const ownIps = new Set(own.map(hostOf).flatMap((h) => (h === undefined ? [] : [h.value])));
  return observed.some((ma) => {
    const h = hostOf(ma);
    return h !== undefined && h.kind !== "dns" && !isPrivateHost(h) && !ownIps.has(h.value);
  });
}

/** The addresses a node behind NAT announces: relayed, public, DNS, and private ones inside `lan`. */
export function natAnnounced(addrs: readonly Multiaddr[], lan: readonly [number, number][]): Multiaddr[] {
  return addrs.filter((ma) => {
    if (isRelayed(ma)) return true;
    const h = hostOf(ma);
    if (h === undefined) return false;
    if (!isPrivateHost(h)) return true;
    if (h.kind !== "ip4") return false;
    const ip = v4(h.value);
    return lan.some(([base, bits]) => inCidr(ip, base, bits));
  });
}

/** What the filter needs of the node once it exists: its listen and observed addresses. */
export interface AddressSource {
  getListenAddrs(): Multiaddr[];
  getObservedAddrs(): Multiaddr[];
}

/**
 * The announce filter for `reachability`; `source()` gives the node's address manager once the node
 * is built (undefined before: "auto" then announces as "public").
 */
export function announceFilter(
  reachability: Reachability,
  lanCidrs: readonly string[],
  source: () => AddressSource | undefined,
): (addrs: Multiaddr[]) => Multiaddr[] {
  const lan = lanCidrs.map(parseCidr);
  if (reachability === "public") return (addrs) => addrs;
  if (reachability === "private") return (addrs) => natAnnounced(addrs, lan);
  let behindNat = false;
  return (addrs) => {
    const s = source();
    if (!behindNat && s !== undefined) {
      const observed = s.getObservedAddrs();
      const seen = new Set(observed.map(String));
      // Own addresses: what the transports listen on; a confirmed observed address is not one of them.
      const own = [
        ...addrs.filter((a) => !seen.has(a.decapsulateCode(421).toString())),
        ...s.getListenAddrs(),
      ];
      behindNat = observedBehindNat(own, observed);
    }
    return behindNat ? natAnnounced(addrs, lan) : addrs;
  };
}
