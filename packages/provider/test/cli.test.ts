import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Libp2p } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientHost, hex32, TestChallenge } from "./helpers.ts";
import { runProvider, serveProvider } from "./utils/cli.ts";

const run = (args: string[], env: Record<string, string> = {}) => runProvider(args, env);
const serve = (args: string[]) => serveProvider(args);

describe("provider CLI", () => {
  let dir: string;
  let checker: Libp2p;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "provider-cli-"));
    checker = await clientHost();
  });
  afterAll(async () => {
    await checker?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("init creates an encrypted key file once, then refuses to overwrite it", async () => {
    const first = await run(["init", "-d", join(dir, "enc")], { PROVIDER_PASSWORD: "pw" });
    expect(first.code).toBe(0);
    const info = JSON.parse(first.stdout) as { address: string; peerId: string };
    expect(info.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(info.peerId).toMatch(/^12D3KooW/);
    const again = await run(["init", "-d", join(dir, "enc")], { PROVIDER_PASSWORD: "pw" });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error: .*KEY_FILE_ERROR_EXISTS/);
    const wrong = await run(["serve", "-d", join(dir, "enc"), "--listen", "/ip4/127.0.0.1/tcp/0"], {
      PROVIDER_PASSWORD: "nope",
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("KEY_FILE_ERROR_WRONG_PASSWORD");
  });

  it("init without a password refuses to write plaintext keys and names the ways out", async () => {
    const refused = await run(["init", "-d", join(dir, "nopw")], { PROVIDER_PASSWORD: "" });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    expect(refused.stderr).toMatch(
      /^error: .*--password-file <file>.*PROVIDER_PASSWORD.*--insecure-plaintext-keys/,
    );
    const status = await run(["serve", "-d", join(dir, "nopw"), "--listen", "/ip4/127.0.0.1/tcp/0"]);
    expect(status.stderr).toContain("KEY_FILE_ERROR_MISSING");
  });

  it("an unknown flag or a bad option value prints one error line and a --help hint, not the usage", async () => {
    const unknown = await run(["serve", "--bogus"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr).toBe(
      "error: unknown option '--bogus'\n(run `provider serve --help` for the usage)\n",
    );
    const badValue = await run(["serve", "--workers", "x"]);
    expect(badValue.code).toBe(1);
    expect(badValue.stderr).not.toContain("Usage:");
    expect(badValue.stderr.trim().split("\n")).toEqual([
      "error: option '--workers <n>' argument 'x' is invalid. --workers must be a non-negative integer",
      "(run `provider serve --help` for the usage)",
    ]);
  });

  it("serve refuses a bad --listen or --announce address, naming the flag and what is expected", async () => {
    const listen = await run(["serve", "-d", join(dir, "enc"), "--listen", "/ip4/garbage/tcp/1"]);
    expect(listen.code).toBe(1);
    expect(listen.stderr.split("\n")[0]).toBe(
      "error: option '--listen <multiaddr...>' argument '/ip4/garbage/tcp/1' is invalid. --listen expects multiaddrs like /ip4/0.0.0.0/tcp/4010 (Invalid IPv4 address \"garbage\")",
    );
    const announce = await run(["serve", "-d", join(dir, "enc"), "--announce", "garbage"]);
    expect(announce.code).toBe(1);
    expect(announce.stderr).toMatch(
      /^error: option '--announce <multiaddr\.\.\.>' argument 'garbage' is invalid\. --announce expects/,
    );
  });

  it("serve refuses an --also without its address, or naming one data directory twice", async () => {
    const bare = await run(["serve", "-d", join(dir, "enc"), "--also", join(dir, "other")]);
    expect(bare.code).toBe(1);
    expect(bare.stderr.split("\n")[0]).toBe(
      `error: option '--also <data-dir=multiaddr...>' argument '${join(dir, "other")}' is invalid. --also expects <data-dir>=<multiaddr>`,
    );
    const other = `${join(dir, "other")}=/ip4/127.0.0.1/tcp/0`;
    const twice = await run(["serve", "-d", join(dir, "enc"), "--also", other, "--also", other]);
    expect(twice.code).toBe(1);
    expect(twice.stderr.split("\n")[0]).toBe(
      `error: option '--also <data-dir=multiaddr...>' argument '${other}' is invalid. --also names the data directory ${join(dir, "other")} twice; each provider once`,
    );
  });

  it("serve refuses a bad --fault with the accepted syntax", async () => {
    const bad = await run(["serve", "-d", join(dir, "enc"), "--fault", "lazy"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("expected honest |");
  });

  // SIGHUP, as when the terminal it runs in closes (the devnet stops its providers with SIGTERM).
  it("serve answers pings on the peer id that init created, and stops cleanly on SIGHUP", async () => {
    const init = await run(["init", "-d", join(dir, "plain"), "--insecure-plaintext-keys"]);
    expect(init.code).toBe(0);
    expect(init.stderr).toContain("unencrypted");
    const { peerId } = JSON.parse(init.stdout) as { peerId: string };
    const { child, line } = await serve([
      "-d",
      join(dir, "plain"),
      "--listen",
      "/ip4/127.0.0.1/tcp/0",
      "--workers",
      "1",
      "--log-level",
      "warn",
    ]);
    try {
      expect(line.peerId).toBe(peerId);
      const challenge = await TestChallenge.open(
        checker,
        line.addrs.map((a) => multiaddr(a)),
      );
      const { pong } = await challenge.ping({ seq: 1, nonce: hex32(0x0f) });
      expect(pong).toEqual({ seq: 1, nonce: hex32(0x0f) });
      await challenge.close();
    } finally {
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      child.kill("SIGHUP");
      expect(await exited).toBe(0);
    }
  });
});
