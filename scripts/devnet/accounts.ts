import { writeFile } from "node:fs/promises";
import { isAbsolute, join, relative } from "node:path";
import type { Address, Hex } from "viem";
import { bytesToHex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { DEVNET } from "./params.ts";

/** Said wherever a devnet key is printed or written. */
const DEV_ONLY_KEYS =
  "DEV-ONLY keys: Hardhat's public test mnemonic (and throwaway provider keys): anyone knows them; never use them or send real funds to them outside this devnet";

/** A checker node: its operator account and where to reach it. */
interface CheckerAccount {
  name: string;
  operator: Address;
  operatorAccountIndex: number;
  operatorPrivateKey: Hex;
  peerId: string;
  multiaddr: string;
  dashboardUrl: string;
  statusUrl: string;
  config: string;
  dataDir: string;
}

/** A provider agent: its account (a throwaway key) and where to reach it. */
interface ProviderAccount {
  name: string;
  address: Address;
  privateKey: Hex;
  peerId: string;
  multiaddr: string;
  fault: string;
  dataDir: string;
}

/**
 * Everything a newcomer needs to act as a license owner, an operator or a
 * provider on the devnet, written to `<data-dir>/accounts.json` and printed
 * once every node is up (docs/devnet.md, "Accounts and keys").
 */
export interface DevnetAccounts {
  warning: string;
  mnemonic: string;
  rpcUrl: string;
  chainId: string;
  deploymentFile: string;
  /** License owners: minted the licenses and delegated them to the operators; they claim license rewards. */
  owners: {
    name: string;
    accountIndex: number;
    address: Address;
    privateKey: Hex;
    licenses: string[];
    /** Lists this owner's license rewards (claimable, locked, claimed) through checker-1's config. */
    rewardsCommand: string;
    /** Claims every unlocked reward of this owner's licenses in one transaction. */
    claimCommand: string;
  }[];
  checkers: CheckerAccount[];
  providers: ProviderAccount[];
}

/** A hex private key of the devnet mnemonic's account `index` (dev-only: the mnemonic is public). */
export function accountKey(index: number): Hex {
  const key = mnemonicToAccount(DEVNET.mnemonic, { addressIndex: index }).getHdKey().privateKey;
  if (key === null) throw new Error(`no private key for account ${index}`);
  return bytesToHex(key);
}

/** `path` relative to `cwd` when it lies under it (shorter commands to paste), else as given. */
export function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}

interface AccountsInput {
  dataDir: string;
  rpcUrl: string;
  chainId: bigint | number;
  owners: { accountIndex: number; address: Address }[];
  licenses: { licenseId: bigint; owner: Address }[];
  checkers: (Pick<CheckerAccount, "name" | "operator" | "peerId" | "dataDir" | "multiaddr"> & {
    accountIndex: number;
    /** Where its status API and dashboard answer. */
    apiUrl: string;
  })[];
  providers: ProviderAccount[];
  /** Where the commands are meant to be run (paths in them are relative to it). */
  cwd: string;
}

/** The accounts file's content; pure apart from deriving the mnemonic's keys. */
export function devnetAccounts(i: AccountsInput): DevnetAccounts {
  const first = i.checkers[0];
  const config = first === undefined ? "" : displayPath(join(first.dataDir, "config.json"), i.cwd);
  return {
    warning: DEV_ONLY_KEYS,
    mnemonic: DEVNET.mnemonic,
    rpcUrl: i.rpcUrl,
    chainId: i.chainId.toString(),
    deploymentFile: join(i.dataDir, "deployment.json"),
    owners: i.owners.map((o, n) => {
      const privateKey = accountKey(o.accountIndex);
      const cli = `CHECKER_TX_KEY=${privateKey} npx checker -c ${config}`;
      return {
        name: `owner-${n + 1}`,
        accountIndex: o.accountIndex,
        address: o.address,
        privateKey,
        licenses: i.licenses
          .filter((l) => l.owner.toLowerCase() === o.address.toLowerCase())
          .map((l) => l.licenseId.toString()),
        rewardsCommand: `${cli} rewards`,
        claimCommand: `${cli} claim`,
      };
    }),
    checkers: i.checkers.map((c) => ({
      name: c.name,
      operator: c.operator,
      operatorAccountIndex: c.accountIndex,
      operatorPrivateKey: accountKey(c.accountIndex),
      peerId: c.peerId,
      multiaddr: c.multiaddr,
      dashboardUrl: `${c.apiUrl}/`,
      statusUrl: `${c.apiUrl}/status`,
      config: join(c.dataDir, "config.json"),
      dataDir: c.dataDir,
    })),
    providers: i.providers.map((p) => ({
      name: p.name,
      address: p.address,
      privateKey: p.privateKey,
      peerId: p.peerId,
      multiaddr: p.multiaddr,
      fault: p.fault,
      dataDir: p.dataDir,
    })),
  };
}

export async function writeAccounts(file: string, accounts: DevnetAccounts): Promise<void> {
  await writeFile(file, `${JSON.stringify(accounts, null, 2)}\n`, { mode: 0o600 });
}

function columns(rows: string[][], indent: string): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows.map(
    (r) =>
      indent +
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
  );
}

/**
 * The accounts as the devnet prints them once every node is up (in every
 * mode; the live table repeats the owners and checkers).
 */
export function formatAccounts(a: DevnetAccounts, file: string, cwd: string): string {
  const owner = a.owners[0];
  const lines = [
    `accounts, keys, peer ids and addresses (also in ${displayPath(file, cwd)})`,
    `  ${a.warning}`,
    "  license owners (own the licenses, claim their rewards):",
    ...columns(
      a.owners.map((o) => [o.name, o.address, `key ${o.privateKey}`, `licenses ${o.licenses.join(",")}`]),
      "    ",
    ),
    "  checkers (operator address, p2p multiaddr, dashboard):",
    ...columns(
      a.checkers.map((c) => [c.name, c.operator, c.multiaddr, c.dashboardUrl]),
      "    ",
    ),
    "  providers (address, key, p2p multiaddr, fault):",
    ...columns(
      a.providers.map((p) => [p.name, p.address, `key ${p.privateKey}`, p.multiaddr, p.fault]),
      "    ",
    ),
  ];
  if (owner !== undefined) {
    lines.push(
      `  ${owner.name}'s license rewards (claimable once unlocked, about 2 min after a report lands), then claim:`,
      `    ${owner.rewardsCommand}`,
      `    ${owner.claimCommand}`,
    );
  }
  return lines.join("\n");
}
