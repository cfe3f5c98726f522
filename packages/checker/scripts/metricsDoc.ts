/**
 * Regenerates the metrics table of docs/metrics.md from the node's registry
 * (the unit test metricsDoc.test.ts fails until this was run after a metric
 * was added or changed):
 *
 *   npx tsx packages/checker/scripts/metricsDoc.ts
 */
import { readFileSync, writeFileSync } from "node:fs";
import { metricDocs, metricsTable, withTable } from "../src/metrics/docs.ts";
import { createMetrics } from "../src/metrics/index.ts";

const file = new URL("../../../docs/metrics.md", import.meta.url);
const docs = await metricDocs(createMetrics({ defaultMetrics: true }).registry);
writeFileSync(file, withTable(readFileSync(file, "utf8"), metricsTable(docs)));
console.log(`docs/metrics.md: ${docs.length} metrics`);
