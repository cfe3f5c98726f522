/**
 * Base of every error the checker package throws, so `instanceof CheckerError`
 * tells the node's own failures from a library's. Each subclass keeps its own
 * fields (most carry a stable string `code` for logs, metrics and tests, as
 * the protocol's `ProtocolError` does) and its own message format.
 */
export class CheckerError extends Error {
  override name = "CheckerError";
}
