import { describe, expect, it } from "vitest";
import { createMetrics } from "../../../src/metrics/index.ts";

const series = (text: string) =>
  [...text.matchAll(/^checker_alerts\{code="(\w+)",severity="(\w+)"\} (\d+)$/gm)].map(
    (m) => `${m[1]}/${m[2]}=${m[3]}`,
  );

describe("checker_alerts", () => {
  it("exports the node's alerts at scrape time, drops cleared ones and keeps the last values when the read fails", async () => {
    const metrics = createMetrics();
    expect(series(await metrics.registry.metrics())).toEqual([]);

    let current: { code: string; severity: string }[] = [
      { code: "RPC_DOWN", severity: "critical" },
      { code: "NOT_IN_MESH", severity: "warning" },
    ];
    let fail = false;
    metrics.alertSource.read = async () => {
      if (fail) throw new Error("status unavailable");
      return current;
    };
    expect(series(await metrics.registry.metrics()).sort()).toEqual([
      "NOT_IN_MESH/warning=1",
      "RPC_DOWN/critical=1",
    ]);

    current = [{ code: "NOT_IN_MESH", severity: "warning" }];
    expect(series(await metrics.registry.metrics())).toEqual(["NOT_IN_MESH/warning=1"]);

    fail = true;
    expect(series(await metrics.registry.metrics())).toEqual(["NOT_IN_MESH/warning=1"]);

    fail = false;
    current = [];
    expect(series(await metrics.registry.metrics())).toEqual([]);
  });
});
