/**
 * Who reads the chain, and how much: an `--import`ed hook for `npm run bench:footprint -- --trace-rpc`
 * (docs/footprint.md, "Who reads the chain"). The bench passes it to every node through
 * CHECKERNET_NODE_FLAGS; in each process it wraps `fetch` (viem's HTTP transport calls the global one at
 * every request) and appends one JSON line per JSON-RPC request to `<CHECKERNET_RPC_TRACE_DIR>/<pid>.jsonl`:
 * the time, each call's method, `to` and selector, the request and response body bytes, and the node's
 * own source frames that led to it (async frames included). Nothing is changed in what is sent or
 * received; the stack capture and the copy of each answer cost CPU, so a traced run measures traffic,
 * not CPU.
 */
import { appendFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.env.CHECKERNET_RPC_TRACE_DIR;

/** One JSON-RPC call of a request, as the summary groups it. */
interface TracedCall {
  method: string;
  to?: string;
  selector?: string;
}

function callsOf(body: string): TracedCall[] {
  try {
    const parsed = JSON.parse(body) as unknown;
    const list = (Array.isArray(parsed) ? parsed : [parsed]) as { method?: string; params?: unknown[] }[];
    return list.map((c) => {
      const first = (c.params?.[0] ?? {}) as { to?: string; data?: string; input?: string };
      const data = first.data ?? first.input;
      return {
        method: c.method ?? "?",
        ...(c.method === "eth_call" ? { to: first.to ?? "deployless" } : {}),
        ...(c.method === "eth_call" && typeof data === "string" && first.to !== undefined
          ? { selector: data.slice(0, 10) }
          : {}),
      };
    });
  } catch {
    return [{ method: "unparsed" }];
  }
}

/** The node's own frames (packages/*\/src, not the transport), innermost first, shortened to file:line. */
function siteOf(stack: string | undefined): string[] {
  const out: string[] = [];
  for (const line of (stack ?? "").split("\n").slice(1)) {
    const m = /packages\/([^/]+)\/src\/(.+?):(\d+):\d+\)?$/.exec(line.trim());
    if (m === null || m[2] === "chain/transport.ts") continue;
    out.push(`${m[1]}/${m[2]}:${m[3]}`);
    if (out.length === 4) break;
  }
  return out;
}

if (dir !== undefined && dir !== "") {
  const file = join(dir, `${process.pid}.jsonl`);
  const original = globalThis.fetch;
  globalThis.fetch = async (...[input, init]: Parameters<typeof fetch>): Promise<Response> => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 60;
    const stack = new Error().stack;
    Error.stackTraceLimit = limit;
    const body = typeof init?.body === "string" ? init.body : "";
    const response = await original(input, init);
    const answer = await response
      .clone()
      .arrayBuffer()
      .then((b) => b.byteLength)
      .catch(() => -1);
    try {
      appendFileSync(
        file,
        `${JSON.stringify({ t: Date.now(), calls: callsOf(body), reqBytes: Buffer.byteLength(body), resBytes: answer, site: siteOf(stack) })}\n`,
      );
    } catch {
      // A trace that cannot be written must not fail the node's request.
    }
    return response;
  };
}
