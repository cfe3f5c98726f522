import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_PARAMS } from "@checkernet/protocol/params";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { networkDefinition, readNetworkParams } from "../../src/networkDefinition.ts";
import { NETWORK_PARAM_NAMES } from "../../src/networkParams.ts";

// The network file's `params` (networkParams.ts), read from real files: optional within format /1 (older
// files still load), complete when present, each refusal naming params.<field>.

const TEMPLATE = fileURLToPath(new URL("../../networks/template.json", import.meta.url));
const a = (n: number) => `0x${n.toString(16).padStart(40, "0")}`;
const dir = mkdtempSync(join(tmpdir(), "checker-network-params-"));

function write(name: string, json: unknown): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(json));
  return file;
}

const withParams = () =>
  networkDefinition({
    name: "testnet",
    chainId: "84532",
    rpcUrls: ["https://rpc.example.org"],
    genesisTime: 1_800_000_000,
    epochSeconds: 900,
    contracts: {
      epochReports: a(1),
      checkerRegistry: a(2),
      providerRegistry: a(3),
      rewards: a(4),
      checkerLicense: a(5),
      slashing: a(6),
      fraudProofs: a(7),
    },
    bootstrap: [],
    params: { ...DEFAULT_PARAMS, committeeSize: 12, contestBond: 5n * 10n ** 18n },
  });

describe("network file params", () => {
  it("reads every parameter, amounts as bigints, and loads an older file without params", () => {
    const file = write("full", withParams());
    const raw = JSON.parse(readFileSync(file, "utf8"));
    expect(raw.params.contestBond).toBe("5000000000000000000");
    expect(Object.keys(raw.params)).toEqual(NETWORK_PARAM_NAMES);
    const params = readNetworkParams(file);
    expect(params?.committeeSize).toBe(12);
    expect(params?.contestBond).toBe(5n * 10n ** 18n);
    expect(params?.epochRewardPool).toBe(DEFAULT_PARAMS.epochRewardPool);
    expect(params).not.toHaveProperty("epochSeconds");

    const { params: _dropped, ...old } = withParams();
    const oldFile = write("old", old);
    expect(readNetworkParams(oldFile)).toBeUndefined();
    expect(loadConfig({ network: oldFile, env: {} }).chainId).toBe(84_532n);
  });

  it("refuses a missing, unknown or ill-typed parameter, naming params.<field> and the file", () => {
    const bad = (change: (p: Record<string, unknown>) => void) => {
      const def = withParams() as unknown as { params: Record<string, unknown> };
      change(def.params);
      const file = write("bad", def);
      return () => loadConfig({ network: file, env: {} });
    };
    expect(bad((p) => delete p.reportQuorumBps)).toThrow(
      /"params\.reportQuorumBps" \(from network .*bad\.json\): missing/,
    );
    expect(bad((p) => (p.comitteeSize = 8))).toThrow(
      /"params\.comitteeSize".*unknown parameter; .*committeeSize/,
    );
    expect(bad((p) => (p.contestBond = 100))).toThrow(/"params\.contestBond".*decimal string .*got 100/);
    expect(bad((p) => (p.committeeSize = "8"))).toThrow(
      /"params\.committeeSize".*non-negative integer, got "8"/,
    );
    expect(bad((p) => (p.slashBps = 10_001))).toThrow(
      /"params\.slashBps".*basis points 0\.\.10000, got 10001/,
    );
    expect(bad((p) => (p.checkingPhaseBps = 0))).toThrow(
      /"params\.checkingPhaseBps".*basis points 1\.\.9999 \(both phases non-empty\), got 0/,
    );
    const notObject = withParams() as unknown as Record<string, unknown>;
    notObject.params = [1, 2];
    expect(() => loadConfig({ network: write("array", notObject), env: {} })).toThrow(
      /"params".*expected an object of protocol parameters/,
    );
  });

  it("the template carries every parameter as a placeholder, which the validator refuses", () => {
    const t = JSON.parse(readFileSync(TEMPLATE, "utf8"));
    expect(Object.keys(t.params)).toEqual(NETWORK_PARAM_NAMES);
    const filled = { ...withParams(), params: t.params };
    expect(() => loadConfig({ network: write("template-params", filled), env: {} })).toThrow(
      /"params\.committeeSize".*unfilled template .*replace "<a number; default 8>"/,
    );
  });
});
