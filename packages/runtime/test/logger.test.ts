import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const LOGGER = pathToFileURL(join(import.meta.dirname, "../src/logger.ts")).href;

/** A fresh process that creates a logger and logs one line: what it printed and whether pino-pretty loaded. */
function logOnce(pretty: boolean): { stdout: string; prettyLoaded: boolean } {
  const script = `import { registerHooks } from "node:module";
let prettyLoaded = false;
registerHooks({ resolve(spec, ctx, next) { const r = next(spec, ctx); if (r.url.includes("/node_modules/pino-pretty/")) prettyLoaded = true; return r; } });
const { createLogger } = await import(${JSON.stringify(LOGGER)});
createLogger({ pretty: ${pretty}, name: "probe" }).info("hello");
await new Promise((r) => setTimeout(r, 50));
process.stderr.write(JSON.stringify({ prettyLoaded }));`;
  const res = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    timeout: 30_000,
  });
  expect(res.status, res.stderr).toBe(0);
  return {
    stdout: res.stdout,
    prettyLoaded: (JSON.parse(res.stderr) as { prettyLoaded: boolean }).prettyLoaded,
  };
}

// pino-pretty costs RSS a node writing JSON never uses (docs/footprint.md): it is loaded only for pretty output.
describe("createLogger", () => {
  it("writes JSON without loading pino-pretty", () => {
    const { stdout, prettyLoaded } = logOnce(false);
    expect(JSON.parse(stdout)).toMatchObject({ name: "probe", msg: "hello", level: 30 });
    expect(prettyLoaded).toBe(false);
  });

  it("loads pino-pretty for pretty lines", () => {
    const { stdout, prettyLoaded } = logOnce(true);
    expect(prettyLoaded).toBe(true);
    expect(stdout).toContain("hello");
    expect(() => JSON.parse(stdout)).toThrow();
  });
});
