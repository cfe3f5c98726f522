import { ExplainError, ExplainErrorCode } from "@checkernet/protocol/explain";
import { isAddress } from "viem";
import { ChainActionError, ChainActionErrorCode } from "../chain/actions/errors.ts";
import {
  type ExplainComponents,
  ExplainServiceError,
  ExplainServiceErrorCode,
  explainLicenseRange,
  explainProviderEpoch,
} from "../reports/explainService.ts";
import { HttpError, sendJson } from "./http.ts";
import type { Route } from "./router.ts";

function epochParam(url: URL, name: string): bigint | undefined {
  const v = url.searchParams.get(name);
  if (v === null || v === "") return undefined;
  if (!/^[1-9]\d{0,19}$/.test(v)) throw new HttpError(400, `${name} must be an epoch number ≥ 1`);
  return BigInt(v);
}

/**
 * `GET /explain?license=ID[&from=E&to=E]` and `GET /explain?provider=ADDR&epoch=E`:
 * the recomputed terms beside the on-chain claimable amount, with
 * `matchesChain` (README.md, "HTTP API" has the shapes).
 */
export function explainRoutes(c: ExplainComponents): Route[] {
  return [
    {
      path: "/explain",
      handler: async ({ res, url }) => {
        const license = url.searchParams.get("license");
        const provider = url.searchParams.get("provider");
        try {
          if (license !== null) {
            if (!/^\d{1,78}$/.test(license)) throw new HttpError(400, "license must be a license id");
            const from = epochParam(url, "from");
            const to = epochParam(url, "to");
            sendJson(
              res,
              200,
              await explainLicenseRange(c, BigInt(license), {
                ...(from === undefined ? {} : { from }),
                ...(to === undefined ? {} : { to }),
              }),
            );
            return;
          }
          if (provider !== null) {
            if (!isAddress(provider, { strict: false }))
              throw new HttpError(400, "provider must be an address");
            const epoch = epochParam(url, "epoch");
            if (epoch === undefined) throw new HttpError(400, "epoch is required with provider");
            sendJson(res, 200, await explainProviderEpoch(c, provider, epoch));
            return;
          }
        } catch (e) {
          throw toHttpError(e);
        }
        throw new HttpError(400, "give license=ID (with optional from, to) or provider=ADDR&epoch=E");
      },
    },
  ];
}

function toHttpError(e: unknown): unknown {
  if (e instanceof HttpError) return e;
  if (e instanceof ExplainServiceError) {
    return new HttpError(e.code === ExplainServiceErrorCode.INVALID_RANGE ? 400 : 404, e.message);
  }
  if (e instanceof ExplainError) {
    return new HttpError(e.code === ExplainErrorCode.UNKNOWN_PROVIDER ? 404 : 502, e.message);
  }
  if (e instanceof ChainActionError && e.code === ChainActionErrorCode.RPC)
    return new HttpError(503, e.message);
  return e;
}
