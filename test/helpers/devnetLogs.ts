import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The non-passing "challenge run" lines that devnet checker processes logged
 * about `provider` (`<dataDir>/<name>.log`), one per line: what a failed
 * assertion prints to tell why a provider was failed.
 */
export function failedRunsFromLogs(
  dataDir: string,
  checkerNames: readonly string[],
  provider: string,
): string {
  const lines: string[] = [];
  for (const name of checkerNames) {
    for (const line of readFileSync(join(dataDir, `${name}.log`), "utf8").split("\n")) {
      if (!line.includes('"challenge run"') || !line.includes(provider)) continue;
      try {
        const j = JSON.parse(line) as { epoch: string; kind: string; result: string; reasons: string[] };
        if (j.result !== "pass")
          lines.push(`${name} epoch ${j.epoch} ${j.kind} ${j.result}: ${j.reasons.join("; ")}`);
      } catch {
        // a partial last line
      }
    }
  }
  return lines.join("\n") || "(none logged)";
}
