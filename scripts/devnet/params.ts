import { createServer } from "node:net";
import { parseEther } from "viem";

/**
 * Every number of the devnet in one place. Epochs are seconds long so that a
 * run shows several reports within minutes; the rest follows from the sizes.
 */
export const DEVNET = {
  /** Seconds per epoch: long enough for a CPU matmul challenge and the publish phase on a laptop. */
  epochSeconds: 20,
  /** Seconds between deployment and the start of epoch 1, so that every node is up when it begins. */
  genesisDelaySeconds: 0,
  /** Seats of the report committee (the contract's reportCommitteeSize). */
  reportCommitteeSize: 8,
  /** Licenses each checker operator gets delegated. */
  licensesPerOperator: 2,
  /** License owners: licenses are minted to them and they delegate to operators round-robin. */
  licenseOwners: 3,
  /** Tokens each provider stakes (the registry's default minimum is 1000). */
  providerStake: 2_000n,
  /** Tokens given to each provider: the stake plus a contest bond's worth. */
  providerTokens: 3_000n,
  /** ETH for gas given to every account the devnet uses. */
  gasFunding: parseEther("100"),
  /** The provider's fault in the default devnet: every challenge answered wrongly. */
  faultyProviderFault: "wrong-results:1",
  /** GPU class and region every devnet provider claims (packages/protocol gpu-classes.ts / regions.ts). */
  gpuClass: "cpu-reference",
  region: "local",
  /** The VRAM salt checkers derive datasets from until the registry records one (ChainDirectory: zero). */
  vramSalt: `0x${"00".repeat(32)}`,
  /** Worker threads of each provider's CPU backend (a laptop runs them all). */
  providerWorkers: 1,
  /** Hardhat's default mnemonic: `hardhat node` funds its first 20 accounts; the devnet funds the rest. */
  mnemonic: "test test test test test test test test test test test junk",
  /** Account indices of the mnemonic: deployer 0, operators from 1, owners from 100. */
  operatorAccountBase: 1,
  ownerAccountBase: 100,
  /** Password of the devnet's checker keystores (written to a file, 0600). */
  keystorePassword: "devnet-password",
  /** scrypt N of the devnet keystores: lower than the EIP-2335 default so that 6 nodes unlock in seconds. */
  keystoreKdfWork: 16_384,
  /** How often the live table refreshes. */
  refreshMs: 3_000,
} as const;

export interface DevnetOptions {
  checkers: number;
  providers: number;
  epochSeconds: number;
  /** Stop after this many full epochs (past the first one the nodes see); undefined = until SIGINT/SIGTERM. */
  epochs?: number;
  /** Where the JSON summary goes at the end. */
  summary?: string;
  /** Data directory: deployment, node data dirs, logs. Wiped at start. */
  dataDir: string;
  /** Print the live table (off in tests). */
  live: boolean;
  /** Called with each refreshed snapshot (tests, the table). */
  onSnapshot?: (snapshot: import("./monitor.ts").Snapshot) => void;
  /** Progress lines while starting up. */
  log?: (line: string) => void;
}

export const DEFAULT_OPTIONS: Omit<DevnetOptions, "dataDir" | "live"> = {
  checkers: 6,
  providers: 3,
  epochSeconds: DEVNET.epochSeconds,
};

/** A free TCP port on 127.0.0.1 (asked from the kernel, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}
