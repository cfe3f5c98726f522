import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { viemImportsOf } from "@checkernet/runtime/viemSlim";
import { keccak256, toHex } from "viem";
import { describe, expect, it } from "vitest";
import * as probe from "../fixtures/viemProbe.ts";

const ROOT = join(import.meta.dirname, "../../../..");
const HOOKS = pathToFileURL(join(ROOT, "packages/checker/bin/ts-hooks.js")).href;
const SRC = pathToFileURL(join(ROOT, "packages/checker/src")).href;
const PROBE = pathToFileURL(join(ROOT, "packages/checker/test/fixtures/viemProbe.ts")).href;

/** A fresh process with the checker's module hooks loads the node's chain connection and hashes a string. */
function loadChain(env: NodeJS.ProcessEnv = {}): { barrels: string[]; hash: string } {
  const script = `import { registerHooks } from "node:module";
const barrels = new Set();
registerHooks({ resolve(spec, ctx, next) { const r = next(spec, ctx);
  const m = r.url.match(/viem\\/_esm\\/(index|actions\\/index|clients\\/decorators\\/\\w+)\\.js$/); if (m) barrels.add(m[1]); return r; } });
await import(${JSON.stringify(`${SRC}/services/chainConnection.ts`)});
const { keccak256, toHex } = await import(${JSON.stringify(PROBE)});
process.stdout.write(JSON.stringify({ barrels: [...barrels].sort(), hash: keccak256(toHex("checkernet")) }));`;
  const { CHECKERNET_VIEM_ROOT: _, ...rest } = process.env;
  const res = spawnSync(process.execPath, ["--import", HOOKS, "--input-type=module", "-e", script], {
    cwd: join(ROOT, "packages/checker"),
    env: { ...rest, ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(res.status, res.stderr).toBe(0);
  return JSON.parse(res.stdout) as { barrels: string[]; hash: string };
}

describe("viem's barrels on the checker's main thread (@checkernet/runtime/viemSlim)", () => {
  it("are cut to the files each module names, with the same functions", () => {
    const slim = loadChain();
    expect(slim.barrels).toEqual([]);
    expect(slim.hash).toBe(keccak256(toHex("checkernet")));
    expect(slim.hash).toBe(probe.keccak256(probe.toHex("checkernet")));
    // CHECKERNET_VIEM_ROOT=1: viem as published, every barrel and client decorator loaded.
    const whole = loadChain({ CHECKERNET_VIEM_ROOT: "1" });
    expect(whole.barrels).toEqual(
      expect.arrayContaining(["index", "actions/index", "clients/decorators/public"]),
    );
    expect(whole.hash).toBe(slim.hash);
  });

  it("reads the value names a module imports, and gives up where a list cannot stand for them", () => {
    const source = `import { a, type B, c as d } from "viem";\nimport type { X } from "viem";\nexport { e } from "viem";
// import("viem") in a comment imports nothing
type P = import("viem").PublicClient;`;
    expect(viemImportsOf(source)).toEqual(["a", "c", "e"]);
    expect(viemImportsOf(`import { call } from "viem/actions";`, "viem/actions")).toEqual(["call"]);
    expect(viemImportsOf(`import { call } from "viem/actions";`)).toEqual([]);
    expect(viemImportsOf(`const v = await import("viem");`)).toBeUndefined();
    expect(viemImportsOf(`import * as v from "viem";`)).toBeUndefined();
    expect(viemImportsOf(`import v, { a } from "viem";`)).toBeUndefined();
  });
});
