import { DEFAULT_PARAMS, type ProtocolParams } from "@checkernet/protocol/params";
import { ConfigError } from "./configError.ts";

/**
 * The protocol parameters a network file carries (its optional `params` object): every ProtocolParams
 * field but epochSeconds, which the file holds at the top level. A network's rules are the network's, not
 * the node's build: where the file has `params` the node runs with them (checked against the chain where
 * the contracts hold them, cli/startParams.ts), and every field must be given.
 */
export type NetworkParams = Omit<ProtocolParams, "epochSeconds">;

/** The fields of `params`, in ProtocolParams' order. */
export const NETWORK_PARAM_NAMES = Object.keys(DEFAULT_PARAMS).filter(
  (k) => k !== "epochSeconds",
) as (keyof NetworkParams)[];

/** Token amounts (bigint in ProtocolParams): decimal strings of the smallest unit in JSON, which has no bigint. */
const isAmount = (name: keyof NetworkParams) => typeof DEFAULT_PARAMS[name] === "bigint";

/** `params` as JSON writes it: numbers, and amounts as decimal strings. */
export type NetworkParamsJson = Record<keyof NetworkParams, number | string>;

export function networkParamsJson(params: NetworkParams): NetworkParamsJson {
  return Object.fromEntries(
    NETWORK_PARAM_NAMES.map((name) => {
      const value = params[name];
      return [name, typeof value === "bigint" ? value.toString() : value];
    }),
  ) as NetworkParamsJson;
}

/**
 * Checks a network file's `params` object: every field present, none unknown, counts as non-negative
 * integers, basis points at most 10,000, amounts as decimal strings. Each refusal names `params.<field>`.
 */
export function parseNetworkParams(raw: unknown, source: string): NetworkParams {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new ConfigError("params", source, "expected an object of protocol parameters");
  const given = raw as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!(NETWORK_PARAM_NAMES as string[]).includes(key))
      throw new ConfigError(
        `params.${key}`,
        source,
        `unknown parameter; a network file's params are ${NETWORK_PARAM_NAMES.join(", ")}`,
      );
  }
  const out: Record<string, number | bigint> = {};
  for (const name of NETWORK_PARAM_NAMES) {
    const value = given[name];
    const field = `params.${name}`;
    if (value === undefined) throw new ConfigError(field, source, "missing");
    if (isAmount(name)) {
      if (typeof value !== "string" || !/^\d+$/.test(value))
        throw new ConfigError(
          field,
          source,
          `expected a decimal string of the token's smallest unit, got ${JSON.stringify(value)}`,
        );
      out[name] = BigInt(value);
      continue;
    }
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)
      throw new ConfigError(field, source, `expected a non-negative integer, got ${JSON.stringify(value)}`);
    if (name.endsWith("Bps") && value > 10_000)
      throw new ConfigError(field, source, `expected basis points 0..10000, got ${value}`);
    // The epoch clock (protocol epoch.ts) needs both phases: refused here, naming the file, not later.
    if (name === "checkingPhaseBps" && (value === 0 || value === 10_000))
      throw new ConfigError(
        field,
        source,
        `expected basis points 1..9999 (both phases non-empty), got ${value}`,
      );
    out[name] = value;
  }
  return out as unknown as NetworkParams;
}
