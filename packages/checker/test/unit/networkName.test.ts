import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_PARAMS } from "@checkernet/protocol/params";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { resolveNetworkFile } from "../../src/networkDefinition.ts";
import { networkParamsJson } from "../../src/networkParams.ts";
import { runChecker } from "../utils/cli.ts";

const TEMPLATE = fileURLToPath(new URL("../../networks/template.json", import.meta.url));
const REPO_DEVNET = fileURLToPath(new URL("../../../../.devnet/network.json", import.meta.url));

/** The template with every "<…>" placeholder replaced by a value of the field's kind. */
function filledTemplate(): string {
  const a = (n: number) => `0x${n.toString(16).padStart(40, "0")}`;
  const t = JSON.parse(readFileSync(TEMPLATE, "utf8"));
  const contracts = Object.fromEntries(Object.keys(t.contracts).map((k, i) => [k, a(i + 1)]));
  const filled = {
    ...t,
    name: "public-testnet",
    chainId: "84532",
    rpcUrls: ["https://rpc.example.org"],
    genesisTime: 1_800_000_000,
    epochSeconds: 3600,
    contracts,
    bootstrap: ["/ip4/203.0.113.7/tcp/9700/p2p/12D3KooWAbc"],
    params: networkParamsJson(DEFAULT_PARAMS),
  };
  const p = join(mkdtempSync(join(tmpdir(), "checker-network-")), "public.json");
  writeFileSync(p, JSON.stringify(filled));
  return p;
}

describe("--network <file|name>", () => {
  it("takes a value with a / or ending in .json as a path, devnet as this repository's .devnet/network.json, another name as a shipped file", () => {
    expect(resolveNetworkFile("/some/where/net.json")).toBe("/some/where/net.json");
    expect(resolveNetworkFile("net.json")).toBe("net.json");
    expect(resolveNetworkFile("devnet")).toBe(REPO_DEVNET);
    expect(resolveNetworkFile("template")).toBe(TEMPLATE);
    expect(() => resolveNetworkFile("mainnet-typo")).toThrow(
      /"--network".*"mainnet-typo" is neither a path .* known names: devnet, template$/,
    );
  });

  it("refuses the shipped template until every placeholder is filled, naming the first one", () => {
    expect(() => loadConfig({ network: TEMPLATE, env: {} })).toThrow(
      /"name" \(from network .*template\.json\): the file is an unfilled template .*replace "<network name/,
    );
    // Every field the validator needs is in the template: filling the placeholders is all it takes.
    const c = loadConfig({ network: filledTemplate(), env: {} });
    expect(c.chainId).toBe(84_532n);
    expect(c.epochSeconds).toBe(3600);
    expect(c.fraudProofsContract).toBe(`0x${"7".padStart(40, "0")}`);
  });

  it("the CLI prints one line for an unknown name and for the unfilled template", () => {
    const d = mkdtempSync(join(tmpdir(), "checker-network-cli-"));
    const unknown = runChecker(["-d", d, "--network", "mainnet-typo", "keys"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error: .*"--network".*"mainnet-typo".*known names: devnet, template\n$/);
    const template = runChecker(["-d", d, "--network", "template", "keys"]);
    expect(template.code).toBe(1);
    expect(template.stderr).toMatch(/^error: .*unfilled template.*\n$/);
  });
});
