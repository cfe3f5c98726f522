import type { Registry } from "prom-client";

export interface MetricDoc {
  name: string;
  type: string;
  help: string;
  labels: string[];
}

/** Every metric of a registry with its type, HELP text and label names, sorted by name. */
export async function metricDocs(registry: Registry): Promise<MetricDoc[]> {
  const out: MetricDoc[] = [];
  for (const m of await registry.getMetricsAsJSON()) {
    const single = registry.getSingleMetric(m.name) as { labelNames?: string[] } | undefined;
    out.push({ name: m.name, type: String(m.type), help: m.help, labels: [...(single?.labelNames ?? [])] });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

const escapePipes = (s: string) => s.replace(/\|/g, "\\|");

/** The markdown table docs/metrics.md carries between its GENERATED markers. */
export function metricsTable(docs: readonly MetricDoc[]): string {
  const lines = ["| Metric | Type | Labels | Meaning |", "| --- | --- | --- | --- |"];
  for (const d of docs) {
    const labels = d.labels.length > 0 ? d.labels.map((l) => `\`${l}\``).join(", ") : "–";
    lines.push(`| \`${d.name}\` | ${d.type} | ${labels} | ${escapePipes(d.help)} |`);
  }
  return lines.join("\n");
}

export const GENERATED_BEGIN = "<!-- BEGIN GENERATED: packages/checker/scripts/metricsDoc.ts -->";
export const GENERATED_END = "<!-- END GENERATED -->";

/** `doc` with the text between the markers replaced by `table`. */
export function withTable(doc: string, table: string): string {
  const begin = doc.indexOf(GENERATED_BEGIN);
  const end = doc.indexOf(GENERATED_END);
  if (begin < 0 || end < begin) throw new Error("docs/metrics.md lost its GENERATED markers");
  return `${doc.slice(0, begin + GENERATED_BEGIN.length)}\n${table}\n${doc.slice(end)}`;
}
