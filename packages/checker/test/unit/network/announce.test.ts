/**
 * What a node behind NAT announces (network/announce.ts): its relay addresses, not its private ones
 * (issue 15). Real libp2p on loopback: a circuit relay, a node configured as NAT'd that reserves a slot
 * on it, and a peer that dials the NAT'd node through the relay and learns its addresses by identify.
 */
import { multiaddr } from "@multiformats/multiaddr";
import { afterEach, describe, expect, it } from "vitest";
import { announceFilter, natAnnounced, observedBehindNat } from "../../../src/network/announce.ts";
import type { CheckerHost, HostOptions } from "../../../src/network/host.ts";
import { parseCidr } from "../../../src/utils/cidr.ts";
import { loopbackHost, stopHosts } from "../../utils/hosts.ts";

const hosts: CheckerHost[] = [];
afterEach(async () => {
  await stopHosts(hosts);
});

async function host(options: Partial<HostOptions>): Promise<CheckerHost> {
  const h = await loopbackHost(options);
  hosts.push(h);
  return h;
}

const relayed = (a: string) => a.includes("/p2p-circuit");

/** A relay and a node behind NAT (by config) that holds a reservation on it. */
async function relayAndNatted(
  natted: Partial<HostOptions>,
): Promise<{ relay: CheckerHost; node: CheckerHost }> {
  const relay = await host({ nat: true, relayServer: true, reachability: "public" });
  const node = await host({
    nat: true,
    bootstrap: relay.getMultiaddrs().map(String),
    reachability: "private",
    ...natted,
  });
  // The reservation's address shows once the relay accepted it (seconds on a busy machine).
  await expect
    .poll(() => node.getMultiaddrs().map(String).some(relayed), { timeout: 30_000, interval: 200 })
    .toBe(true);
  return { relay, node };
}

describe("announced addresses behind NAT", () => {
  it("a node configured as NAT'd announces only its relay address, and a peer learns no other by identify", async () => {
    const { node } = await relayAndNatted({});
    const announced = node.getMultiaddrs().map(String);
    // It listens on loopback, and still announces none of it.
    expect(node.getMultiaddrs().length).toBeGreaterThan(0);
    expect(
      announced.filter((a) => !relayed(a)),
      `announced: ${announced.join(" ")}`,
    ).toEqual([]);

    // A peer that reaches it through the relay learns its addresses from identify.
    const peer = await host({ nat: true, reachability: "public" });
    const viaRelay = announced.find(relayed) as string;
    await peer.dial(multiaddr(viaRelay));
    await expect
      .poll(async () => (await peer.peerStore.get(node.peerId)).protocols.length, { timeout: 10_000 })
      .toBeGreaterThan(0);
    const learnt = (await peer.peerStore.get(node.peerId)).addresses.map((a) => a.multiaddr.toString());
    expect(learnt.length).toBeGreaterThan(0);
    expect(
      learnt.filter((a) => !relayed(a)),
      `learnt: ${learnt.join(" ")}`,
    ).toEqual([]);
  }, 60_000);

  it("announces a private address inside announceLan (peers on the same LAN), and every address when public", async () => {
    const { node } = await relayAndNatted({ announceLan: ["127.0.0.0/8"] });
    const announced = node.getMultiaddrs().map(String);
    expect(announced.some((a) => a.startsWith("/ip4/127.0.0.1/tcp/") && !relayed(a))).toBe(true);

    // The default ("auto", no peer has observed it behind another address): a loopback devnet is unaffected.
    const plain = await host({ nat: true });
    expect(
      plain
        .getMultiaddrs()
        .map(String)
        .some((a) => a.startsWith("/ip4/127.0.0.1/tcp/")),
    ).toBe(true);
  }, 60_000);

  it("auto: behind NAT once a peer observed it at a public IP that is none of its own, and for good", () => {
    const own = [multiaddr("/ip4/192.168.1.2/tcp/9700"), multiaddr("/ip4/127.0.0.1/tcp/9700")];
    const circuit = multiaddr(
      "/ip4/10.77.1.2/tcp/9700/p2p/12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq/p2p-circuit",
    );
    // Behind the router 203.0.113.7 (a documentation address: never dialled here).
    const observedNat = [multiaddr("/ip4/203.0.113.7/tcp/51234")];
    expect(observedBehindNat(own, observedNat)).toBe(true);
    // Observed at its own (public) address: reachable as it is. A private observed address says nothing.
    expect(observedBehindNat([multiaddr("/ip4/203.0.113.7/tcp/9700")], observedNat)).toBe(false);
    expect(observedBehindNat(own, [multiaddr("/ip4/10.77.1.101/tcp/40000")])).toBe(false);

    let observed = observedNat;
    const filter = announceFilter("auto", [], () => ({
      getListenAddrs: () => own,
      getObservedAddrs: () => observed,
    }));
    expect(filter([...own, circuit]).map(String)).toEqual([circuit.toString()]);
    // AutoNAT removes an observed address it could not dial back: the node stays behind NAT.
    observed = [];
    expect(filter([...own, circuit]).map(String)).toEqual([circuit.toString()]);
    // Confirmed public addresses and DNS names stay announced; LAN networks only when named.
    const pub = multiaddr("/ip4/203.0.113.7/tcp/9700");
    const dns = multiaddr("/dns4/checker.example/tcp/9700");
    expect(natAnnounced([...own, pub, dns], []).map(String)).toEqual([pub.toString(), dns.toString()]);
    expect(natAnnounced(own, [parseCidr("192.168.1.0/24")]).map(String)).toEqual([own[0]?.toString()]);
    expect(() => parseCidr("192.168.1.0")).toThrow(/expected an IPv4 network like 192.168.1.0\/24/);
  });
});
