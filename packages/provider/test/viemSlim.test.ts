import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../../..");
const HOOKS = pathToFileURL(join(ROOT, "packages/provider/bin/ts-hooks.js")).href;
const CPU = pathToFileURL(join(ROOT, "packages/provider/src/backend/cpu.ts")).href;

/**
 * A fresh process with the provider launcher's module hooks runs one matmul on the CPU backend's worker:
 * the commitment, and which of viem's barrels the main thread loaded.
 */
function matmulWithHooks(env: NodeJS.ProcessEnv = {}): { barrels: string[]; commitment: string } {
  const script = `import { registerHooks } from "node:module";
const barrels = new Set();
registerHooks({ resolve(spec, ctx, next) { const r = next(spec, ctx);
  const m = r.url.match(/viem\\/_esm\\/(index|actions\\/index)\\.js$/); if (m) barrels.add(m[1]); return r; } });
const { CpuBackend } = await import(${JSON.stringify(CPU)});
const backend = new CpuBackend({ workers: 1 });
const job = await backend.matmul("0x${"ab".repeat(32)}", 64);
process.stdout.write(JSON.stringify({ barrels: [...barrels].sort(), commitment: job.commitment }));
process.exit(0);`;
  const { CHECKERNET_VIEM_ROOT: _, ...rest } = process.env;
  // A file, not --eval: the worker threads inherit the process's flags, and --input-type with them.
  const file = join(mkdtempSync(join(tmpdir(), "provider-viem-")), "probe.mjs");
  writeFileSync(file, script);
  const res = spawnSync(process.execPath, ["--import", HOOKS, file], {
    cwd: join(ROOT, "packages/provider"),
    env: { ...rest, ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(res.status, res.stderr).toBe(0);
  return JSON.parse(res.stdout) as { barrels: string[]; commitment: string };
}

// The provider's threads load only the viem files the protocol names (docs/footprint.md): −11 to −13 MiB
// for two CPU workers. The worker computes the same commitment as with viem as published.
describe("the provider launcher's viem hook", () => {
  it("keeps viem's barrels out and computes the same matmul commitment", () => {
    const slim = matmulWithHooks();
    expect(slim.barrels).toEqual([]);
    const whole = matmulWithHooks({ CHECKERNET_VIEM_ROOT: "1" });
    expect(whole.barrels).toContain("index");
    expect(slim.commitment).toMatch(/^0x[0-9a-f]{64}$/);
    expect(slim.commitment).toBe(whole.commitment);
  });
});
