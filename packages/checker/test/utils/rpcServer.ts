import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * How the server treats each request: `answer` replies through the given
 * function (a real chain, say); `hang` accepts it and never replies (a
 * stopped RPC process: the kernel still accepts connections); `reset`
 * destroys the connection (a crashing RPC).
 */
type RpcServerMode = "answer" | "hang" | "reset";

/** One JSON-RPC call's answer: the result, or throw an error (its `code`, `message` and `data` are sent). */
type RpcAnswer = (call: { method: string; params?: unknown }) => Promise<unknown>;

export interface RpcTestServer {
  url: string;
  mode: RpcServerMode;
  /** Requests received since start (each attempt of a call counts). */
  requests: number;
  close(): Promise<void>;
}

/** A JSON-RPC server on 127.0.0.1 (on `port`, default any free one) whose mode a test switches while clients use it. */
export async function startRpcServer(
  answer: RpcAnswer,
  mode: RpcServerMode = "answer",
  port = 0,
): Promise<RpcTestServer> {
  const held: ServerResponse[] = [];
  const state = { mode, requests: 0 };
  const server = createServer((req, res) => {
    state.requests++;
    if (state.mode === "reset") {
      req.socket.destroy();
      return;
    }
    if (state.mode === "hang") {
      held.push(res);
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void reply(answer, Buffer.concat(chunks).toString("utf8")).then((body) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    get mode() {
      return state.mode;
    },
    set mode(m: RpcServerMode) {
      state.mode = m;
    },
    get requests() {
      return state.requests;
    },
    close: () => closeServer(server, held),
  };
}

/** A URL on 127.0.0.1 where nothing listens (bound, then closed): connections are refused. */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await closeServer(server, []);
  return `http://127.0.0.1:${port}`;
}

async function reply(answer: RpcAnswer, text: string) {
  let id: unknown = null;
  try {
    const call = JSON.parse(text) as { id: unknown; method: string; params?: unknown };
    id = call.id;
    return { jsonrpc: "2.0", id, result: await answer({ method: call.method, params: call.params }) };
  } catch (e) {
    return { jsonrpc: "2.0", id, error: rpcErrorOf(e) };
  }
}

/** The JSON-RPC error inside `e` (viem wraps the chain's in its own errors, with the code on one of them). */
function rpcErrorOf(e: unknown): { code: number; message: string; data?: unknown } {
  let cur: unknown = e;
  for (let depth = 0; cur !== null && typeof cur === "object" && depth < 8; depth++) {
    const { code, message, data, details } = cur as Record<string, unknown>;
    if (typeof code === "number") {
      return {
        code,
        message: typeof details === "string" ? details : String(message),
        ...(data === undefined ? {} : { data }),
      };
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  return { code: -32603, message: e instanceof Error ? e.message : String(e) };
}

async function closeServer(server: Server, held: ServerResponse[]) {
  for (const res of held) res.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
