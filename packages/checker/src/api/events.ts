import { jsonText } from "./http.ts";
import type { Route } from "./router.ts";
import type { NodeStatus } from "./status.ts";

/** How often a status snapshot is pushed. */
const EVENTS_INTERVAL_MS = 1_000;
/** Streams served at once; more are refused (a runaway page must not pin the node). */
const MAX_EVENT_STREAMS = 16;

/**
 * `GET /events`: Server-Sent Events, one `status` event (the `/status` JSON)
 * per second, so the dashboard updates without reloading. A stream ends when
 * the client goes away or the server stops.
 */
export function eventsRoutes(components: {
  getStatus(): Promise<NodeStatus> | NodeStatus;
  intervalMs?: number;
}): Route[] {
  const intervalMs = components.intervalMs ?? EVENTS_INTERVAL_MS;
  let open = 0;
  return [
    {
      path: "/events",
      handler: ({ req, res }) => {
        if (open >= MAX_EVENT_STREAMS) {
          res.writeHead(503, { "content-type": "application/json", "retry-after": "5" });
          res.end(JSON.stringify({ error: `too many event streams (at most ${MAX_EVENT_STREAMS})` }));
          return;
        }
        open++;
        res.writeHead(200, {
          "content-type": "text/event-stream",
          "cache-control": "no-cache",
          connection: "keep-alive",
        });
        // The browser reconnects after this long if the stream drops.
        res.write(`retry: ${Math.max(1_000, intervalMs)}\n\n`);
        // A stream is not a request waiting for its body: the server's request timeout must not cut it.
        req.socket.setTimeout(0);
        let timer: NodeJS.Timeout | undefined;
        let closed = false;
        const push = async () => {
          try {
            const status = await components.getStatus();
            if (closed) return;
            res.write(`event: status\ndata: ${jsonText(status)}\n\n`);
          } catch (e) {
            if (closed) return;
            res.write(`event: failure\ndata: ${JSON.stringify({ error: (e as Error).message })}\n\n`);
          }
          if (!closed) timer = setTimeout(push, intervalMs);
        };
        const close = () => {
          if (closed) return;
          closed = true;
          open--;
          clearTimeout(timer);
        };
        res.on("close", close);
        void push();
      },
    },
  ];
}
