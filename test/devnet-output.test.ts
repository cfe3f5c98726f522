/**
 * The devnet's human output (issue 16): token amounts with two decimals, the
 * accounts a newcomer needs (owners' dev-only keys, checkers' peer ids,
 * multiaddrs and dashboards) in the table and in accounts.json. Pure
 * functions, no processes: runs in well under a second.
 */
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { accountKey, devnetAccounts, formatAccounts } from "../scripts/devnet/accounts.ts";
import type { Snapshot } from "../scripts/devnet/monitor.ts";
import { renderSnapshot } from "../scripts/devnet/table.ts";

const E18 = 10n ** 18n;

const owner = privateKeyToAccount(accountKey(100)).address;
const operator = privateKeyToAccount(accountKey(1)).address;
const provider = privateKeyToAccount(accountKey(50)).address;
const accounts = devnetAccounts({
  dataDir: "/repo/.devnet",
  rpcUrl: "http://127.0.0.1:8545",
  chainId: 31337,
  owners: [{ accountIndex: 100, address: owner }],
  licenses: [
    { licenseId: 1n, owner },
    { licenseId: 2n, owner: operator },
  ],
  checkers: [
    {
      name: "checker-1",
      operator,
      accountIndex: 1,
      peerId: "12D3KooWPeer",
      multiaddr: "/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWPeer",
      apiUrl: "http://127.0.0.1:5001",
      dataDir: "/repo/.devnet/checker-1",
    },
  ],
  providers: [
    {
      name: "provider-1",
      address: provider,
      privateKey: accountKey(50),
      peerId: "12D3KooWProv",
      multiaddr: "/ip4/127.0.0.1/tcp/4101/p2p/12D3KooWProv",
      fault: "honest",
      dataDir: "/repo/.devnet/provider-1",
    },
  ],
  cwd: "/repo",
});

describe("devnet accounts", () => {
  it("derives each owner's and operator's key from the mnemonic, with ready rewards/claim commands", () => {
    // Hardhat's account 1, the well-known test key.
    expect(accounts.checkers[0]?.operatorPrivateKey).toBe(
      "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    );
    const o = accounts.owners[0];
    expect(o?.name).toBe("owner-1");
    expect(o?.licenses).toEqual(["1"]);
    expect(privateKeyToAccount(o?.privateKey ?? "0x").address).toBe(owner);
    expect(o?.rewardsCommand).toBe(
      `CHECKER_TX_KEY=${o?.privateKey} npx checker -c .devnet/checker-1/config.json rewards`,
    );
    expect(o?.claimCommand).toMatch(/ claim$/);
    expect(accounts.checkers[0]).toMatchObject({
      multiaddr: "/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWPeer",
      dashboardUrl: "http://127.0.0.1:5001/",
    });
    expect(accounts.warning).toMatch(/DEV-ONLY/);
  });

  it("prints every account with the dev-only warning", () => {
    const text = formatAccounts(accounts, "/repo/.devnet/accounts.json", "/repo");
    expect(text).toContain("(also in .devnet/accounts.json)");
    expect(text).toContain("DEV-ONLY");
    for (const s of [
      owner,
      accounts.owners[0]?.privateKey,
      operator,
      "/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWPeer",
    ])
      expect(text).toContain(s);
    expect(text).toContain("http://127.0.0.1:5001/");
    expect(text).toContain(accounts.owners[0]?.claimCommand);
  });
});

describe("renderSnapshot", () => {
  const snapshot: Snapshot = {
    at: "2026-01-01T00:00:00.000Z",
    chainEpoch: "9",
    checkers: [
      {
        name: "checker-1",
        operator,
        apiPort: 5001,
        up: true,
        epoch: "9",
        peers: 8,
        ownAttestations: 3,
        gossipAccepted: 41,
        gossipRejected: 0,
        pendingReports: 0,
        chainConnected: true,
        error: null,
      },
    ],
    reports: [
      {
        epoch: "8",
        providerCount: 3,
        attestationCount: 5,
        totalRewards: (300n * E18).toString(),
        gasUsed: "362505",
        tx: `0x${"ab".repeat(32)}`,
        block: "200",
      },
    ],
    providers: [
      {
        name: "provider-1",
        address: provider,
        fault: "honest",
        pendingSlashes: 0,
        slashes: [],
        fraudSlashes: [{ epoch: "3", amount: (100n * E18).toString(), checker: operator }],
      },
    ],
    rewardsClaimable: "999999999999999999997",
    rewardsClaimed: "0",
    attestationsReported: 5,
    seedsRevealed: ["2"],
  };

  it("shows amounts in tokens, full addresses, owners' keys and where accounts.json is", () => {
    const text = renderSnapshot(snapshot, {
      dataDir: ".devnet",
      startedAt: Date.now(),
      accounts,
      accountsFile: ".devnet/accounts.json",
    });
    expect(text).toContain("rewards unclaimed 1,000.00 CHKR (claimed 0.00 CHKR)");
    expect(text).toContain("300.00");
    expect(text).toContain("3 (100.00)");
    expect(text).not.toMatch(/\d{19}/);
    for (const s of [operator, provider, owner, accounts.owners[0]?.privateKey, "http://127.0.0.1:5001/"])
      expect(text).toContain(s);
    expect(text).toContain("/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWPeer");
    expect(text).toContain(".devnet/accounts.json");
  });

  it("renders without accounts (before the handle exists)", () => {
    const text = renderSnapshot(snapshot, { dataDir: ".devnet", startedAt: Date.now() });
    expect(text).not.toContain("license owner");
    expect(text).toContain("checker-1");
  });
});
