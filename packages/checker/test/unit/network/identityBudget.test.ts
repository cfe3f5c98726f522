import { multiaddr } from "@multiformats/multiaddr";
import { afterEach, describe, expect, it } from "vitest";
import type { CheckerHost } from "../../../src/network/host.ts";
import {
  INBOUND_IDENTITY_LIMITS,
  InboundIdentityBudget,
  identityBudgetKey,
  identityBudgetOf,
  identityPrefixKey,
  inIpv4Networks,
} from "../../../src/network/identityBudget.ts";
import { loopbackHost, stopHosts } from "../../utils/hosts.ts";

const hosts: CheckerHost[] = [];
afterEach(async () => {
  await stopHosts(hosts);
});

async function host(options: Parameters<typeof loopbackHost>[0] = {}): Promise<CheckerHost> {
  const h = await loopbackHost(options);
  hosts.push(h);
  return h;
}

/** Dials `victim` from a fresh identity and answers whether the connection is open a moment later. */
async function freshIdentityConnects(victim: CheckerHost): Promise<{ id: CheckerHost; connected: boolean }> {
  const id = await host();
  const dialed = await id
    .dial(victim.getMultiaddrs()[0]!, { signal: AbortSignal.timeout(3_000) })
    .then(() => true)
    .catch(() => false);
  // A refused identity may see its side of the handshake finish before the victim's close reaches it.
  await new Promise((r) => setTimeout(r, 100));
  return { id, connected: dialed && victim.getConnections(id.peerId).length > 0 };
}

/** libp2p accepts at most 5 inbound connections a second from one host: dials are paced under it. */
const DIAL_GAP_MS = 250;

describe("inbound identity budget (issue 14: a fresh peer id every 100 messages)", () => {
  it("lets an IP bring in `burst` new identities, then one per refill; a known identity always", () => {
    let now = 0;
    const budget = new InboundIdentityBudget({ burst: 3, refillMs: 60_000, now: () => now });
    expect(["a", "b", "c", "d"].map((p) => budget.admit("10.0.0.1", p))).toEqual([true, true, true, false]);
    expect(budget.admit("10.0.0.1", "a")).toBe(true);
    expect(budget.admit("10.0.0.2", "d")).toBe(true);
    now = 59_000;
    expect(budget.admit("10.0.0.1", "d")).toBe(false);
    now = 61_000;
    expect(budget.admit("10.0.0.1", "d")).toBe(true);
    expect(budget.admit("10.0.0.1", "e")).toBe(false);
    expect(budget.refused).toBe(3);
    // One of the IP's identities was hung up for invalid messages: the rest of its budget is spent.
    expect(budget.admit("10.0.0.3", "f")).toBe(true);
    budget.spend("10.0.0.3");
    expect(budget.admit("10.0.0.3", "g")).toBe(false);
    expect(budget.admit("10.0.0.3", "f")).toBe(true);
    now += 60_000;
    expect(budget.admit("10.0.0.3", "g")).toBe(true);
    // An identity condemned (hung up for invalid messages) is forgotten as well: it comes back as new,
    // refused while the budget is spent (as a known identity it would pass free), and once refilled.
    expect(budget.admit("10.0.0.4", "h")).toBe(true);
    budget.condemn("10.0.0.4", "h");
    expect(budget.admit("10.0.0.4", "h")).toBe(false);
    now += 60_000;
    expect(budget.admit("10.0.0.4", "h")).toBe(true);
  });

  it("never hands a spent key a fresh burst, however many keys an attacker cycles through (review3 P2-2)", () => {
    const { burst, maxIps } = INBOUND_IDENTITY_LIMITS;
    const budget = new InboundIdentityBudget({ now: () => 0 });
    // More addresses than the table holds, each in a /24 of its own, each spending its burst.
    const keys = Array.from({ length: maxIps + 1_000 }, (_, i) => `10.${i >> 8}.${i & 255}.1`);
    let admitted = 0;
    for (const [i, ip] of keys.entries())
      for (let j = 0; j < burst; j++) if (budget.admit(ip, `p${i}-${j}`)) admitted++;
    // The first maxIps addresses had buckets of their own, the rest their /24s'.
    expect(admitted).toBe(keys.length * burst);
    // The next cycle, with no time gone by: every key is spent (an evicted bucket read as full before).
    let again = 0;
    for (const [i, ip] of keys.entries()) if (budget.admit(ip, `q${i}`)) again++;
    expect(again).toBe(0);
    expect(budget.refusedBy.ip).toBe(maxIps);
    expect(budget.refusedBy.prefix).toBe(1_000);
  });

  it("charges a full table's newcomers to their prefix, then one shared bucket; drops only full buckets", () => {
    let now = 0;
    const refusals: string[] = [];
    const budget = new InboundIdentityBudget({ burst: 2, refillMs: 60_000, maxIps: 2, now: () => now });
    budget.onRefused = (level) => refusals.push(level);
    budget.spend("10.0.0.1");
    budget.spend("10.0.0.2");
    // The table of addresses is full of spent buckets: 10.0.0.3 draws on 10.0.0.0/24's bucket ...
    expect(["a", "b", "c"].map((p) => budget.admit("10.0.0.3", p))).toEqual([true, true, false]);
    // ... which its neighbours share, while another /24 has its own.
    expect(budget.admit("10.0.0.4", "d")).toBe(false);
    expect(budget.admit("10.0.9.1", "e")).toBe(true);
    // The prefixes' table is full too (10.0.0.0/24, 10.0.9.0/24): a third /24 shares the overflow bucket.
    budget.spend("10.0.9.1");
    expect(["f", "g", "h"].map((p) => budget.admit("10.0.8.1", p))).toEqual([true, true, false]);
    expect(budget.admit("10.0.7.1", "i")).toBe(false);
    expect(refusals).toEqual(["prefix", "prefix", "overflow", "overflow"]);
    expect(budget.refused).toBe(4);
    // Two minutes on, every bucket is full again: full buckets are dropped, an address gets its own.
    now = 120_000;
    expect(["j", "k", "l"].map((p) => budget.admit("10.0.7.1", p))).toEqual([true, true, false]);
    expect(budget.refusedBy.ip).toBe(1);
  });

  it("lets registered and proven checkers in once a proxy pool has spent every table (review5 M2)", () => {
    let now = 0;
    const budget = new InboundIdentityBudget({ now: () => now });
    const registered = new Set(["registered"]);
    budget.isRegisteredChecker = (peer) => registered.has(peer);
    // Before the attack, an honest checker connects from its address and delivers a valid message.
    expect(budget.admit("198.51.100.9", "proven")).toBe(true);
    budget.prove("proven");
    now = 600_000; // Its address's bucket is full again by the attack (and dropped for the attacker's).
    // The reviewer's scenario: 4,096 addresses each condemned once (the addresses' table, all spent),
    // 4,096 more in 4,096 other /24s (the prefixes' table, all spent), 8 identities drain the shared bucket.
    const { maxIps } = INBOUND_IDENTITY_LIMITS;
    for (let i = 0; i < maxIps; i++) {
      const ip = `10.${i >> 8}.${i & 255}.1`;
      budget.admit(ip, `a${i}`);
      budget.condemn(ip, `a${i}`);
    }
    for (let i = 0; i < maxIps; i++) {
      const ip = `11.${i >> 8}.${i & 255}.1`;
      budget.admit(ip, `b${i}`);
      budget.condemn(ip, `b${i}`);
    }
    for (let k = 0; k < 8; k++) budget.admit(`12.0.0.${k}`, `c${k}`);
    now += 30_000;
    // An unknown identity from a /24 the attacker never used is refused, as before.
    expect(budget.admit("192.0.2.44", "newcomer")).toBe(false);
    expect(budget.refusedBy.overflow).toBe(1);
    // A registered checker never seen before, and the proven one from a new address (its IP changed),
    // get in, and neither is charged: the shared bucket is still empty for the next unknown identity.
    expect(budget.admit("203.0.113.7", "registered")).toBe(true);
    expect(budget.admit("203.0.113.8", "proven")).toBe(true);
    expect(budget.admit("12.0.0.1", "registered")).toBe(true);
    expect(budget.admit("192.0.2.45", "newcomer2")).toBe(false);
    expect(budget.refused).toBe(2);
    // A proven peer hung up for invalid messages loses that: it comes back as an unknown identity.
    budget.condemn("203.0.113.8", "proven");
    expect(budget.admit("203.0.113.9", "proven")).toBe(false);
  });

  it("keys a full table's newcomers by IPv4 /24 and IPv6 /48", () => {
    expect(identityPrefixKey("10.1.2.3")).toBe("10.1.2.0/24");
    expect(identityPrefixKey("2001:db8:0:1::/64")).toBe("2001:db8:0::/48");
    expect(identityPrefixKey(identityBudgetKey(multiaddr("/ip6/2001:db8:7:ffff::1/tcp/1"))!)).toBe(
      "2001:db8:7::/48",
    );
  });

  it("keys IPv4 by address, IPv6 by /64, and leaves relayed connections to the relay", () => {
    expect(identityBudgetKey(multiaddr("/ip4/10.1.2.3/tcp/4001"))).toBe("10.1.2.3");
    expect(identityBudgetKey(multiaddr("/ip6/2001:db8:0:1::5/tcp/4001"))).toBe("2001:db8:0:1::/64");
    expect(identityBudgetKey(multiaddr("/ip6/2001:db8:0:1:ffff::9/tcp/4001"))).toBe("2001:db8:0:1::/64");
    expect(identityBudgetKey(multiaddr("/ip6/::1/tcp/4001"))).toBe("0:0:0:0::/64");
    expect(
      identityBudgetKey(
        multiaddr(
          "/ip4/10.1.2.3/tcp/4001/p2p/12D3KooWGRUVh8bNPtBAbXpSvGJJjXdRk5Fg1X9tqjUDGfJ5ahky/p2p-circuit",
        ),
      ),
    ).toBeUndefined();
    const loopback = inIpv4Networks(["/ip4/127.0.0.1/ipcidr/32"]);
    expect(loopback(multiaddr("/ip4/127.0.0.1/tcp/1"))).toBe(true);
    expect(loopback(multiaddr("/ip4/127.0.0.2/tcp/1"))).toBe(false);
    expect(inIpv4Networks(["/ip4/10.0.0.0/ipcidr/8"])(multiaddr("/ip4/10.200.0.1/tcp/1"))).toBe(true);
  });

  it("refuses a Sybil's fresh identities past the IP's burst over real libp2p, still lets a known one back in", async () => {
    const victim = await host();
    const { burst } = INBOUND_IDENTITY_LIMITS;
    const results: { id: CheckerHost; connected: boolean }[] = [];
    for (let i = 0; i < burst + 4; i++) {
      results.push(await freshIdentityConnects(victim));
      await new Promise((r) => setTimeout(r, DIAL_GAP_MS));
    }
    expect(results.map((r) => r.connected)).toEqual([
      ...Array<boolean>(burst).fill(true),
      ...Array<boolean>(4).fill(false),
    ]);
    // The first identity hangs up and comes back (a restart, a reconnect): known, not counted.
    const first = results[0]!.id;
    await first.hangUp(victim.peerId);
    await expect.poll(() => victim.getConnections(first.peerId).length, { timeout: 3_000 }).toBe(0);
    await first.dial(victim.getMultiaddrs()[0]!);
    await expect.poll(() => victim.getConnections(first.peerId).length, { timeout: 3_000 }).toBe(1);
  });

  it("lets a registered checker's identity in over real libp2p once its IP's budget is spent (review5 M2)", async () => {
    const victim = await host();
    const budget = identityBudgetOf(victim)!;
    budget.spend("127.0.0.1");
    const checker = await host();
    budget.isRegisteredChecker = (peer) => peer === checker.peerId.toString();
    expect((await freshIdentityConnects(victim)).connected).toBe(false);
    await new Promise((r) => setTimeout(r, DIAL_GAP_MS));
    await checker.dial(victim.getMultiaddrs()[0]!, { signal: AbortSignal.timeout(3_000) });
    await expect.poll(() => victim.getConnections(checker.peerId).length, { timeout: 3_000 }).toBe(1);
    expect(budget.refused).toBe(1);
  });

  it("does not count identities from an allow-listed network (a loopback devnet's honest nodes)", async () => {
    const victim = await host({ allow: ["/ip4/127.0.0.1/ipcidr/32"] });
    const connected: boolean[] = [];
    for (let i = 0; i < INBOUND_IDENTITY_LIMITS.burst + 2; i++) {
      connected.push((await freshIdentityConnects(victim)).connected);
      await new Promise((r) => setTimeout(r, DIAL_GAP_MS));
    }
    expect(connected.every((c) => c)).toBe(true);
  });
});
