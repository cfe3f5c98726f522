import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** The part of a Hardhat network connection the shim needs: its EIP-1193 provider. */
interface Eip1193 {
  request(args: { method: string; params: unknown[] }): Promise<unknown>;
}

/** How an error of the in-process chain is written back as a JSON-RPC error. */
export interface RpcErrorStyle {
  /** The code sent when the chain's error has none. */
  fallbackCode: number;
  /** Also relays revert data that viem nests in `cause.data`. */
  causeData: boolean;
}

/**
 * Serves an in-process Hardhat (EDR) chain over JSON-RPC on HTTP, on a free
 * loopback port: what `hardhat node` does, without its start-up, so that CLI
 * processes under test talk to the chain the test set up.
 */
export async function serveJsonRpc(
  provider: Eip1193,
  style: RpcErrorStyle = { fallbackCode: -32000, causeData: false },
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", async () => {
      const call = JSON.parse(body) as { id: number; method: string; params?: unknown[] };
      try {
        const result = await provider.request({ method: call.method, params: call.params ?? [] });
        res.end(JSON.stringify({ jsonrpc: "2.0", id: call.id, result }));
      } catch (err) {
        const e = err as { code?: number; message: string; data?: unknown; cause?: { data?: unknown } };
        const data = style.causeData ? (e.data ?? e.cause?.data) : e.data;
        res.end(
          JSON.stringify({
            jsonrpc: "2.0",
            id: call.id,
            error: { code: e.code ?? style.fallbackCode, message: e.message, data },
          }),
        );
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
