import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_PARAMS } from "@checkernet/protocol/params";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, NETWORK_FILE_NAME, signingDomain } from "../../src/config.ts";
import { NETWORK_FORMAT, networkDefinition } from "../../src/networkDefinition.ts";
import { trustedHostOptions } from "../../src/services/buildComponents.ts";

function file(content: string): string {
  const p = join(mkdtempSync(join(tmpdir(), "checker-config-")), "config.json");
  writeFileSync(p, content);
  return p;
}

describe("loadConfig", () => {
  it("applies defaults < file < env < flags", () => {
    const f = file(
      JSON.stringify({ apiPort: 1111, logLevel: "warn", mdns: true, listen: ["/ip4/127.0.0.1/tcp/1"] }),
    );
    const c = loadConfig({
      file: f,
      env: {
        CHECKER_API_PORT: "2222",
        CHECKER_BOOTSTRAP: "/ip4/1.2.3.4/tcp/1/p2p/x, /ip4/5.6.7.8/tcp/2/p2p/y",
      },
      flags: { apiPort: 3333, dataDir: "/tmp/x" },
    });
    expect(c.apiPort).toBe(3333);
    expect(c.logLevel).toBe("warn");
    expect(c.mdns).toBe(true);
    expect(c.listen).toEqual(["/ip4/127.0.0.1/tcp/1"]);
    expect(c.bootstrap).toEqual(["/ip4/1.2.3.4/tcp/1/p2p/x", "/ip4/5.6.7.8/tcp/2/p2p/y"]);
    expect(c.dataDir).toBe("/tmp/x");
    expect(c.chainId).toBe(31_337n);
    expect(c.apiHost).toBe("127.0.0.1");
  });

  it("trusts no network unless told; trustedNetworks reach the host as libp2p's allow list", () => {
    expect(loadConfig({ env: {} }).trustedNetworks).toEqual([]);
    const c = loadConfig({ env: { CHECKER_TRUSTED_NETWORKS: "127.0.0.1/32, 10.0.0.0/8" } });
    expect(c.trustedNetworks).toEqual(["127.0.0.1/32", "10.0.0.0/8"]);
    expect(() => loadConfig({ env: { CHECKER_TRUSTED_NETWORKS: "localhost" } })).toThrow(
      /"trustedNetworks" \(from env CHECKER_TRUSTED_NETWORKS\): expected an IPv4 network like 192\.168\.1\.0\/24/,
    );
    expect(trustedHostOptions(c.trustedNetworks, false)).toEqual({
      allow: ["/ip4/127.0.0.1/ipcidr/32", "/ip4/10.0.0.0/ipcidr/8"],
    });
    expect(trustedHostOptions([], false)).toEqual({});
    expect(trustedHostOptions(["127.0.0.1/32"], true)).toEqual({
      allowPrivateAddresses: true,
      allow: ["/ip4/127.0.0.1/ipcidr/32"],
    });
  });

  it("defaults keep mDNS off and the API on loopback", () => {
    const c = loadConfig({ env: {} });
    expect(c.mdns).toBe(false);
    expect(c.apiHost).toBe("127.0.0.1");
  });

  it("names the field and the source of a bad value", () => {
    expect(() => loadConfig({ env: { CHECKER_API_PORT: "70000" } })).toThrow(
      /invalid config value for "apiPort" \(from env CHECKER_API_PORT\): expected a port number/,
    );
    expect(() => loadConfig({ env: {}, flags: { logLevel: "loud" } })).toThrow(
      /"logLevel" \(from command line\)/,
    );
    expect(() => loadConfig({ env: { CHECKER_MDNS: "yes" } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { CHECKER_VERIFYING_CONTRACT: "0x12" } })).toThrow(/20-byte hex address/);
  });

  it("a bad listen or bootstrap multiaddr names its field, the value and what is expected", () => {
    expect(() => loadConfig({ env: { CHECKER_LISTEN: "/ip4/garbage/tcp/1" } })).toThrow(
      'invalid config value for "listen" (from env CHECKER_LISTEN): expected multiaddrs like /ip4/0.0.0.0/tcp/9700, got "/ip4/garbage/tcp/1" (Invalid IPv4 address "garbage")',
    );
    expect(() => loadConfig({ file: file('{"bootstrap": ["/ip4/garbage/tcp/1/p2p/x"]}'), env: {} })).toThrow(
      /^invalid config value for "bootstrap" \(from file .*\): expected multiaddrs like \/ip4\/203\.0\.113\.7\/tcp\/9700\/p2p\/<peer id>, got "\/ip4\/garbage\/tcp\/1\/p2p\/x" \(Invalid IPv4 address "garbage"\)$/,
    );
    expect(() => loadConfig({ env: { CHECKER_BOOTSTRAP: "/ip4/1.2.3.4/tcp/1" } })).toThrow(
      /"bootstrap".*got "\/ip4\/1\.2\.3\.4\/tcp\/1" \(no \/p2p\/<peer id>\)/,
    );
    expect(() => loadConfig({ env: { CHECKER_LISTEN: "garbage" } })).toThrow(
      /"listen".*must start with "\/"/,
    );
  });

  it("takes a region by its id (as docs/operator.md writes it) or its code, and names the regions when neither", () => {
    expect(loadConfig({ file: file(JSON.stringify({ region: "eu-west" })), env: {} }).region).toBe(6);
    expect(loadConfig({ env: { CHECKER_REGION: "ap-northeast" } }).region).toBe(12);
    expect(loadConfig({ env: { CHECKER_REGION: "7" } }).region).toBe(7);
    expect(loadConfig({ env: {} }).region).toBe(0);
    expect(() => loadConfig({ file: file(JSON.stringify({ region: "mars-1" })), env: {} })).toThrow(
      /region.*unknown region "mars-1"; expected one of local, us-east,.*eu-west/,
    );
    expect(() => loadConfig({ env: { CHECKER_REGION: "99" } })).toThrow(
      /CHECKER_REGION.*unknown region code 99/,
    );
  });

  it("refuses unreadable files, non-objects and unknown fields", () => {
    expect(() => loadConfig({ file: "/nonexistent/checker.json", env: {} })).toThrow(
      /cannot read JSON config file/,
    );
    expect(() => loadConfig({ file: file("{not json"), env: {} })).toThrow(/cannot read JSON config file/);
    expect(() => loadConfig({ file: file("[1,2]"), env: {} })).toThrow(/must hold a JSON object/);
    expect(() => loadConfig({ file: file('{"apiPrt": 1}'), env: {} })).toThrow(/"apiPrt".*unknown field/);
  });

  it("leaves optional features off when unset, and reads a zero address (older config files) as off", () => {
    expect(loadConfig({ env: {} }).checkerRegistry).toBeUndefined();
    const registry = "0x00000000000000000000000000000000000000aa";
    const zero = "0x0000000000000000000000000000000000000000";
    const f = file(
      JSON.stringify({ checkerRegistry: registry, operatorAddress: zero, slashingContract: zero }),
    );
    const c = loadConfig({ file: f, env: { CHECKER_REWARDS: zero }, flags: {} });
    expect(c.checkerRegistry).toBe(registry);
    expect(c.operatorAddress).toBeUndefined();
    expect(c.slashingContract).toBeUndefined();
    expect(c.rewardsContract).toBeUndefined();
    // A later source turns off what an earlier one set.
    expect(
      loadConfig({ file: f, env: {}, flags: { checkerRegistry: zero } }).checkerRegistry,
    ).toBeUndefined();
    expect(signingDomain(c).verifyingContract).toBe(zero);
  });
});

describe("network definitions (--network)", () => {
  const a = (n: number) => `0x${n.toString(16).padStart(40, "0")}`;
  const definition = () =>
    networkDefinition({
      name: "testnet",
      chainId: "84532",
      rpcUrls: ["https://rpc.example.org", "https://rpc2.example.org"],
      genesisTime: 1_800_000_000,
      epochSeconds: 3600,
      contracts: {
        epochReports: a(1),
        checkerRegistry: a(2),
        providerRegistry: a(3),
        rewards: a(4),
        checkerLicense: a(5),
        slashing: a(6),
        fraudProofs: a(7),
      },
      bootstrap: ["/ip4/203.0.113.7/tcp/9700/p2p/12D3KooWAbc"],
    });

  it("fills the chain, the contracts, the clock and the bootstrap peers; config file, env and flags still win", () => {
    const net = file(JSON.stringify(definition()));
    const c = loadConfig({ network: net, env: {} });
    expect(c.chainId).toBe(84_532n);
    expect(c.rpcUrl).toBe("https://rpc.example.org");
    expect(c.genesisMs).toBe(1_800_000_000_000);
    expect(c.epochSeconds).toBe(3600);
    expect(c.bootstrap).toEqual(["/ip4/203.0.113.7/tcp/9700/p2p/12D3KooWAbc"]);
    expect([c.verifyingContract, c.checkerRegistry, c.providerRegistry]).toEqual([a(1), a(2), a(3)]);
    expect([c.rewardsContract, c.checkerLicense, c.slashingContract, c.fraudProofsContract]).toEqual([
      a(4),
      a(5),
      a(6),
      a(7),
    ]);
    const layered = loadConfig({
      network: net,
      file: file(JSON.stringify({ rpcUrl: "http://127.0.0.1:8545" })),
      env: { CHECKER_EPOCH_SECONDS: "60", CHECKER_NETWORK: "/nonexistent" },
      flags: { dataDir: "/tmp/x" },
    });
    expect([layered.rpcUrl, layered.epochSeconds, layered.chainId]).toEqual([
      "http://127.0.0.1:8545",
      60,
      84_532n,
    ]);
  });

  it("keeps only the contracts a node uses when given a deployment's whole list", () => {
    const deployed = { ...definition().contracts, rewardToken: a(8), naiveAttestations: a(9) };
    // A whole ProtocolParams, too: the file keeps the fields it carries (not epochSeconds), amounts as strings.
    const d = networkDefinition({ ...definition(), contracts: deployed, params: DEFAULT_PARAMS });
    expect(Object.keys(d.contracts).sort()).toEqual(Object.keys(definition().contracts).sort());
    expect(d.params?.epochRewardPool).toBe(String(DEFAULT_PARAMS.epochRewardPool));
    expect(d.params).not.toHaveProperty("epochSeconds");
    expect(() => loadConfig({ network: file(JSON.stringify(d)), env: {} })).not.toThrow();
  });

  it("is read from CHECKER_NETWORK, and from <dataDir>/network.json where `init --network` keeps it", () => {
    const net = file(JSON.stringify(definition()));
    expect(loadConfig({ env: { CHECKER_NETWORK: net } }).chainId).toBe(84_532n);
    const dataDir = mkdtempSync(join(tmpdir(), "checker-net-"));
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, NETWORK_FILE_NAME), JSON.stringify(definition()));
    expect(loadConfig({ env: {}, flags: { dataDir } }).verifyingContract).toBe(a(1));
    // Without one, the defaults stand.
    expect(
      loadConfig({ env: {}, flags: { dataDir: mkdtempSync(join(tmpdir(), "checker-net-")) } }).chainId,
    ).toBe(31_337n);
  });

  it("refuses a file that is not a network definition, naming the field and the file", () => {
    const bad = (change: Record<string, unknown>, drop?: string) => {
      const d: Record<string, unknown> = { ...definition(), ...change };
      if (drop !== undefined) delete d[drop];
      return () => loadConfig({ network: file(JSON.stringify(d)), env: {} });
    };
    expect(bad({ format: "checkernet-network/0" })).toThrow(
      new RegExp(`"format".*expected "${NETWORK_FORMAT}"`),
    );
    expect(bad({}, "contracts")).toThrow(/"contracts".*missing/);
    expect(bad({ chainID: "1" })).toThrow(/"chainID".*unknown field/);
    expect(bad({ rpcUrls: [] })).toThrow(/"rpcUrls".*non-empty list/);
    expect(bad({ rpcUrls: ["ws://x"] })).toThrow(/"rpcUrls".*http\(s\)/);
    expect(bad({ contracts: { ...definition().contracts, slashing: undefined } })).toThrow(
      /"contracts.slashing".*missing/,
    );
    expect(bad({ contracts: { ...definition().contracts, staking: a(9) } })).toThrow(
      /"contracts.staking".*unknown contract/,
    );
    expect(bad({ contracts: { ...definition().contracts, rewards: "0x12" } })).toThrow(
      /"rewardsContract".*network .*20-byte/,
    );
    expect(bad({ bootstrap: ["/ip4/1.2.3.4/tcp/1"] })).toThrow(/"bootstrap".*network/);
    expect(() => loadConfig({ network: "/nonexistent/net.json", env: {} })).toThrow(ConfigError);
  });
});
