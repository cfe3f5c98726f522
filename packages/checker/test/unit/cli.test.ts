import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runChecker } from "../utils/cli.ts";

const checker = runChecker;

describe("checker CLI (bin/checker.js through tsx)", () => {
  it("init, keys, wrong password and import: exit codes and messages", () => {
    const d = mkdtempSync(join(tmpdir(), "checker-cli-"));
    const pw = join(d, "pw");
    writeFileSync(pw, "s3cret\n");
    const init = checker(["-d", join(d, "a"), "init", "--password-file", pw, "--kdf-work", "1024"]);
    expect(init.stderr).toBe("");
    expect(init.code).toBe(0);
    const made = JSON.parse(init.stdout) as { publicKey: string; peerId: string };
    expect(made.publicKey).toMatch(/^0x[0-9a-f]{96}$/);
    expect(made.peerId).toMatch(/^12D3KooW/);

    const keys = checker(["-d", join(d, "a"), "keys"]);
    expect(keys.code).toBe(0);
    expect(JSON.parse(keys.stdout)).toEqual({ publicKey: made.publicKey, peerId: made.peerId });

    const wrong = checker(["-d", join(d, "a"), "keys", "--check-password"], { CHECKER_PASSWORD: "guess" });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe("error: wrong password for the keystore\n");

    const imported = checker(["-d", join(d, "b"), "keys", "import", join(d, "a", "keystore.json")], {
      CHECKER_PASSWORD: "s3cret",
    });
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout).publicKey).toBe(made.publicKey);

    const again = checker(["-d", join(d, "a"), "init", "--password-file", pw]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error: keys already exist/);

    const noPw = checker(["-d", join(d, "c"), "init"]);
    expect(noPw.code).toBe(1);
    expect(noPw.stderr).toMatch(/no password given/);

    const badConfig = checker(["-d", join(d, "a"), "keys"], { CHECKER_LOG_LEVEL: "loud" });
    expect(badConfig.code).toBe(1);
    expect(badConfig.stderr).toMatch(/invalid config value for "logLevel" \(from env CHECKER_LOG_LEVEL\)/);
  });

  it("an unknown flag or a bad option value prints one error line and a --help hint, not the usage", () => {
    const unknown = checker(["status", "--bogus"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr).toBe(
      "error: unknown option '--bogus'\n(run `checker status --help` for the usage)\n",
    );
    const nested = checker(["license", "list", "--bogus"]);
    expect(nested.code).toBe(1);
    expect(nested.stderr).toBe(
      "error: unknown option '--bogus'\n(run `checker license list --help` for the usage)\n",
    );
    const top = checker(["--bogus"]);
    expect(top.code).toBe(1);
    expect(top.stderr).not.toContain("Usage:");
    expect(top.stderr.trim().split("\n")).toHaveLength(2);
  });

  it("status --url with something that is not a URL says so instead of asking whether the node runs", () => {
    const bad = checker(["status", "--url", "not-a-url"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      "error: option '--url <url>' argument 'not-a-url' is invalid. --url must be an http(s) URL of a node's API, e.g. http://127.0.0.1:9701\n",
    );
    expect(bad.stderr).not.toContain("checker start");
  });

  it("a bad listen address in the environment names CHECKER_LISTEN and the listen field", () => {
    const bad = checker(["status"], { CHECKER_LISTEN: "/ip4/garbage/tcp/1" });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /^error: invalid config value for "listen" \(from env CHECKER_LISTEN\): expected multiaddrs/,
    );
  });
});
