import { ProtocolError } from "@checkernet/protocol/errors";

/**
 * Base of every error the provider agent throws: a `ProtocolError` (stable
 * string `code`, short message, `details`), so the CLI's one-line error output
 * handles all of them alike, and `instanceof ProviderError` tells the
 * provider's own failures from the protocol's.
 */
export class ProviderError<Code extends string = string> extends ProtocolError<Code> {
  override name = "ProviderError";
}
