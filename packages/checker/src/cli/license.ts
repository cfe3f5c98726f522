import type { Account, Address, Chain, PublicClient, Transport, WalletClient } from "viem";
import { delegateLicense } from "../chain/actions/delegateLicense.ts";
import { ChainActionError, ChainActionErrorCode } from "../chain/actions/errors.ts";
import { getLicenses } from "../chain/actions/getLicenses.ts";
import { undelegateLicense } from "../chain/actions/undelegateLicense.ts";
import { CliError, CliErrorCode } from "./cliError.ts";

/**
 * `checker license list | delegate | undelegate`: the owner's side of the
 * license contract. Each returns the JSON the CLI prints (bigints as
 * decimal strings); refusals are ChainActionErrors with one-line messages.
 */
export interface LicenseContracts {
  checkerLicense: Address;
  checkerRegistry: Address;
}

type OwnerWallet = WalletClient<Transport, Chain | undefined, Account>;

export async function listLicenses(
  client: PublicClient,
  contracts: LicenseContracts,
  owner: Address | undefined,
) {
  const { currentEpoch, licenses } = await getLicenses(client, {
    ...contracts,
    ...(owner === undefined ? {} : { owner }),
  });
  return {
    owner: owner ?? null,
    currentEpoch: String(currentEpoch),
    licenses: licenses.map((l) => ({
      licenseId: String(l.licenseId),
      owner: l.owner,
      operator: l.operator,
      operatorWeight: String(l.operatorWeight),
      redelegableEpoch: String(l.redelegableEpoch),
      coolingDown: l.coolingDown,
    })),
  };
}

/** A license id from the command line. */
export function parseLicenseId(raw: string): bigint {
  if (!/^\d{1,78}$/.test(raw))
    throw new CliError(
      CliErrorCode.BAD_FLAG,
      `<id> "${raw}" is not a license id; expected a decimal integer`,
    );
  return BigInt(raw);
}

export async function delegate(
  client: PublicClient,
  wallet: OwnerWallet,
  contracts: LicenseContracts,
  licenseId: bigint,
  operator: Address,
) {
  const r = await delegateLicense(client, wallet, {
    checkerLicense: contracts.checkerLicense,
    licenseId,
    operator,
  });
  return { licenseId: String(licenseId), operator, tx: r.hash, gasUsed: String(r.gasUsed) };
}

export async function undelegate(
  client: PublicClient,
  wallet: OwnerWallet,
  contracts: LicenseContracts,
  licenseId: bigint,
) {
  const r = await undelegateLicense(client, wallet, { checkerLicense: contracts.checkerLicense, licenseId });
  return {
    licenseId: String(licenseId),
    tx: r.hash,
    gasUsed: String(r.gasUsed),
    redelegableEpoch: String(r.redelegableEpoch),
  };
}

/** Turns an RPC fault into the one line the user needs: which RPC is down. */
export function rpcDown(e: unknown, rpcUrl: string): unknown {
  if (e instanceof ChainActionError && e.code === ChainActionErrorCode.RPC) {
    return new Error(
      `cannot reach the RPC at ${rpcUrl} (${String(e.details.cause ?? e.message).split("\n")[0]})`,
    );
  }
  return e;
}
