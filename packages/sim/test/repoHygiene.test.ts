import { execFile } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

// Issue 12: a researcher's first `sim run` wrote sim-results/ at the repo root, which was neither
// git-ignored nor excluded from lint, so the next `npm test` failed in biome. A run with the default
// output folder must leave `git status` clean and be invisible to biome.

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, "..", "..", "..");
const BIN = join(import.meta.dirname, "..", "bin", "sim.js");
const BIOME = join(ROOT, "node_modules", ".bin", "biome");

describe("sim run in the repository, with the default output folder", () => {
  it("writes sim-results/, which git ignores and biome skips", async () => {
    const out = join(ROOT, "sim-results", "run-ghost");
    const existed = existsSync(out);
    try {
      await run(
        process.execPath,
        [BIN, "run", "ghost", "--set", "checkers.count=40", "--set", "providers.count=10", "--epochs", "2"],
        { cwd: ROOT },
      );
      const written = readdirSync(out);
      expect(written).toContain("index.html");

      const { stdout: status } = await run(
        "git",
        ["status", "--porcelain", "--untracked-files=all", "--", "sim-results"],
        {
          cwd: ROOT,
        },
      );
      expect(status).toBe("");

      // Biome refuses the folder's files as ignored by its configuration (it exits non-zero for "no files").
      const lint = await run(BIOME, ["check", ...written.map((f) => join("sim-results", "run-ghost", f))], {
        cwd: ROOT,
      }).catch((e: { stdout?: string; stderr?: string }) => e);
      const said = `${lint.stdout ?? ""}${lint.stderr ?? ""}`;
      expect(said).toMatch(/provided but ignored/);
      expect(said).not.toMatch(/Found \d+ error/);
    } finally {
      if (!existed) rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
