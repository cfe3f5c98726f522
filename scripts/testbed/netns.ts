/**
 * The testbed's network, built from Linux network namespaces (`ip netns`):
 *
 *   - a "lan" namespace holding two bridges, `br0` (the network) and `br1` (where a partition puts the
 *     hosts it cuts off); the harness itself runs there, at 10.77.1.254;
 *   - one namespace per public host, on br0 at 10.77.1.<n>;
 *   - one home and one router namespace per host behind NAT: the home at 192.168.<k>.2 behind its router
 *     (192.168.<k>.1 inside, 10.77.1.<100 + k> on br0), which forwards and masquerades (masquerade.py), so
 *     the home can open connections out and nothing can open one in; the home's status API is reached over
 *     a control link of its own (10.99.<k>.2, from the lan namespace at 10.99.<k>.1) that carries nothing
 *     else.
 *
 * Only addresses inside these namespaces are used. Needs root (CAP_NET_ADMIN), `ip` and python3.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";

const MASQUERADE = join(import.meta.dirname, "masquerade.py");
const BRIDGE = "br0";
const CUT_OFF_BRIDGE = "br1";
/** The harness's own address on the network (it runs in the lan namespace). */
const HARNESS_IP = "10.77.1.254";

export interface TestbedHost {
  name: string;
  netns: string;
  /** The address its processes listen on. */
  ip: string;
  /** Behind NAT: the harness reaches its status API at this control-link address. */
  controlIp?: string;
  /** Behind NAT: its router's address on the network (what the others see as its source address). */
  publicIp?: string;
  /** Its port on the bridge, in the lan namespace (what a partition moves). */
  bridgePort: string;
}

/** The network as the harness needs it (plain data: the launcher hands it to the harness as JSON). */
export interface Topology {
  /** The namespace the harness runs in. */
  lan: string;
  hosts: Record<string, TestbedHost>;
}

export function hostOf(t: Topology, name: string): TestbedHost {
  const h = t.hosts[name];
  if (h === undefined) throw new Error(`testbed: no host ${name}`);
  return h;
}

/** Moves the hosts to the other bridge: they reach each other, and nobody on the network. */
export function partition(t: Topology, names: readonly string[]): void {
  for (const name of names)
    ip("-n", t.lan, "link", "set", hostOf(t, name).bridgePort, "master", CUT_OFF_BRIDGE);
}

/** Puts them back on the network. */
export function heal(t: Topology, names: readonly string[]): void {
  for (const name of names) ip("-n", t.lan, "link", "set", hostOf(t, name).bridgePort, "master", BRIDGE);
}

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

function inNetns(netns: string, command: string, ...args: string[]): void {
  execFileSync("ip", ["netns", "exec", netns, command, ...args], { stdio: ["ignore", "ignore", "pipe"] });
}

/** Why the testbed cannot run here (a one-line reason), or undefined when it can. */
export function testbedUnavailable(): string | undefined {
  if (process.platform !== "linux") return "the testbed needs Linux network namespaces";
  if (process.getuid?.() !== 0) return "the testbed needs root (CAP_NET_ADMIN) to create network namespaces";
  for (const [tool, args] of [
    ["ip", ["-V"]],
    ["python3", ["--version"]],
  ] as const) {
    if (spawnSync(tool, args, { stdio: "ignore" }).status !== 0) return `the testbed needs \`${tool}\``;
  }
  const probe = `cktb-probe-${process.pid}`;
  const made = spawnSync("ip", ["netns", "add", probe], { encoding: "utf8" });
  if (made.status !== 0) return `cannot create a network namespace: ${made.stderr.trim()}`;
  spawnSync("ip", ["netns", "del", probe]);
  return undefined;
}

/** Deletes the namespaces of earlier testbeds whose process is gone (a run killed before its cleanup). */
function removeStale(): void {
  const list = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "";
  for (const line of list.split("\n")) {
    const name = line.split(" ")[0] ?? "";
    const pid = /^cktb(\d+)-/.exec(name)?.[1];
    if (pid === undefined) continue;
    let alive = true;
    try {
      process.kill(Number(pid), 0);
    } catch {
      alive = false;
    }
    if (!alive) spawnSync("ip", ["netns", "del", name]);
  }
}

/**
 * Builds the network: `publicHosts` on the bridge, `nattedHosts` each behind its own NAT router.
 * Namespaces are named `cktb<pid>-<host>`.
 */
export function createTopology(
  publicHosts: readonly string[],
  nattedHosts: readonly string[],
): Topology & { destroy(): void } {
  removeStale();
  const prefix = `cktb${process.pid}`;
  const created: string[] = [];
  const addNetns = (name: string) => {
    const netns = `${prefix}-${name}`;
    ip("netns", "add", netns);
    created.push(netns);
    ip("-n", netns, "link", "set", "lo", "up");
    return netns;
  };
  const destroy = () => {
    for (const netns of created.splice(0).reverse()) spawnSync("ip", ["netns", "del", netns]);
  };
  const hosts: Record<string, TestbedHost> = {};
  try {
    const lan = addNetns("lan");
    for (const bridge of [BRIDGE, CUT_OFF_BRIDGE]) {
      ip("-n", lan, "link", "add", bridge, "type", "bridge");
      ip("-n", lan, "link", "set", bridge, "up");
    }
    ip("-n", lan, "addr", "add", `${HARNESS_IP}/24`, "dev", BRIDGE);

    /** A veth from `netns` (as `inside`, with `address`) to the bridge (as `port`). */
    const plug = (netns: string, inside: string, address: string, port: string) => {
      ip("link", "add", inside, "netns", netns, "type", "veth", "peer", "name", port, "netns", lan);
      ip("-n", netns, "addr", "add", address, "dev", inside);
      ip("-n", netns, "link", "set", inside, "up");
      ip("-n", lan, "link", "set", port, "master", BRIDGE);
      ip("-n", lan, "link", "set", port, "up");
    };

    publicHosts.forEach((name, i) => {
      const netns = addNetns(name);
      const address = `10.77.1.${i + 1}`;
      plug(netns, "eth0", `${address}/24`, `p${i + 1}`);
      hosts[name] = { name, netns, ip: address, bridgePort: `p${i + 1}` };
    });

    nattedHosts.forEach((name, j) => {
      const k = j + 1;
      const router = addNetns(`${name}-router`);
      const home = addNetns(name);
      const publicIp = `10.77.1.${100 + k}`;
      plug(router, "wan0", `${publicIp}/24`, `w${k}`);
      ip("link", "add", "lan0", "netns", router, "type", "veth", "peer", "name", "eth0", "netns", home);
      ip("-n", router, "addr", "add", `192.168.${k}.1/24`, "dev", "lan0");
      ip("-n", router, "link", "set", "lan0", "up");
      ip("-n", home, "addr", "add", `192.168.${k}.2/24`, "dev", "eth0");
      ip("-n", home, "link", "set", "eth0", "up");
      ip("-n", home, "route", "add", "default", "via", `192.168.${k}.1`);
      inNetns(router, "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward");
      inNetns(router, "python3", MASQUERADE, "wan0");
      // The control link: the harness's way to the home's status API, and nothing else's.
      ip("link", "add", `c${k}`, "netns", lan, "type", "veth", "peer", "name", "ctl0", "netns", home);
      ip("-n", lan, "addr", "add", `10.99.${k}.1/30`, "dev", `c${k}`);
      ip("-n", lan, "link", "set", `c${k}`, "up");
      ip("-n", home, "addr", "add", `10.99.${k}.2/30`, "dev", "ctl0");
      ip("-n", home, "link", "set", "ctl0", "up");
      hosts[name] = {
        name,
        netns: home,
        ip: `192.168.${k}.2`,
        controlIp: `10.99.${k}.2`,
        publicIp,
        bridgePort: `w${k}`,
      };
    });

    /** Deletes every namespace (and so every link) of the testbed; idempotent. */
    return { lan, hosts, destroy };
  } catch (e) {
    destroy();
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`testbed: building the network failed: ${stderr || (e as Error).message}`);
  }
}
