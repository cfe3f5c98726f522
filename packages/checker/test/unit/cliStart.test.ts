import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CHECKER_BIN as BIN, runChecker } from "../utils/cli.ts";
import { freePort } from "../utils/freePort.ts";

const checker = runChecker;

describe("checker start / status (bin/checker.js)", () => {
  it("start runs until SIGTERM and status reads it over the local API", async () => {
    const d = mkdtempSync(join(tmpdir(), "checker-cli-"));
    const pw = join(d, "pw");
    writeFileSync(pw, "s3cret\n");
    expect(checker(["-d", d, "init", "--password-file", pw, "--kdf-work", "1024"]).code).toBe(0);
    const port = await freePort();
    const env = {
      ...process.env,
      CHECKER_PASSWORD: "s3cret",
      CHECKER_API_PORT: String(port),
      CHECKER_LISTEN: "/ip4/127.0.0.1/tcp/0",
      CHECKER_DHT: "false",
      CHECKER_NAT: "false",
      CHECKER_LOG_LEVEL: "warn",
    };
    const child = spawn(process.execPath, [BIN, "-d", d, "start"], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      await expect
        .poll(
          async () =>
            fetch(`http://127.0.0.1:${port}/status`)
              .then((r) => r.status)
              .catch(() => 0),
          // A start took 14 s at load average 14 (11 s at 2.3): a wide margin, well inside the 60-s test limit.
          { timeout: 40_000, interval: 200 },
        )
        .toBe(200);
      const summary = checker(["-d", d, "status"], { CHECKER_API_PORT: String(port) });
      expect(summary.code).toBe(0);
      // No chain configured: the summary says so, and the alerts come first.
      expect(summary.stdout).toMatch(/chain:\s+not configured/);
      expect(summary.stdout).toMatch(/rewards:\s+unavailable/);
      const status = checker(["-d", d, "status", "--json"], { CHECKER_API_PORT: String(port) });
      expect(status.code).toBe(0);
      const parsed = JSON.parse(status.stdout) as { peerId: string; operatorPublicKey: string };
      expect(summary.stdout).toContain(parsed.peerId.slice(0, 10));
      const keys = JSON.parse(checker(["-d", d, "keys"]).stdout) as { peerId: string; publicKey: string };
      expect(parsed.peerId).toBe(keys.peerId);
      expect(parsed.operatorPublicKey).toBe(keys.publicKey);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    expect(stderr).toBe("");
    const down = checker(["-d", d, "status"], { CHECKER_API_PORT: String(port) });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach the node's status API/);
  });
});
