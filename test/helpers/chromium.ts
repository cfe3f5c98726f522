import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";

/**
 * Where Debian (and most distributions) put the chromium binary. The browser
 * tests drive this system chromium with playwright-core; nothing downloads a
 * browser build from anywhere else (no `playwright install`).
 */
const CANDIDATES = [
  process.env.CHROMIUM_PATH,
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/lib/chromium/chromium",
].filter((p): p is string => p !== undefined && p !== "");

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findChromium(): string | undefined {
  return CANDIDATES.find(executable);
}

/**
 * The chromium binary, installing Debian's package first when none is found
 * and the tests run as root (CI containers, the devnet machine). Otherwise it
 * fails with what to install: a browser test must not silently skip.
 */
export function ensureChromium(): string {
  const found = findChromium();
  if (found !== undefined) return found;
  const isRoot = process.getuid?.() === 0;
  const hasApt = executable("/usr/bin/apt-get");
  if (!isRoot || !hasApt) {
    throw new Error(
      "no chromium binary found (looked at " +
        `${CANDIDATES.join(", ")}). Install Debian's package: \`sudo apt-get install -y chromium\` ` +
        "(or set CHROMIUM_PATH to a chromium binary); the browser tests never download one.",
    );
  }
  for (const args of [["update"], ["install", "-y", "--no-install-recommends", "chromium"]]) {
    const r = spawnSync("apt-get", args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      encoding: "utf8",
      timeout: 600_000,
    });
    if (r.status !== 0) {
      throw new Error(
        `apt-get ${args.join(" ")} failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout).slice(-2_000)}`,
      );
    }
  }
  const installed = findChromium();
  if (installed === undefined) throw new Error("apt-get installed chromium but no binary was found");
  return installed;
}
