import { createServer } from "node:net";
import { parseEther } from "viem";

/**
 * Every number of the devnet in one place. Epochs are seconds long so that a
 * run shows several reports within minutes; the rest follows from the sizes.
 */
export const DEVNET = {
  /** Seconds per epoch: long enough for a CPU matmul challenge and the publish phase on a laptop. */
  epochSeconds: 20,
  /**
   * Seconds between deployment and the start of epoch 1. Registrations and delegations must land before it
   * (epoch 0), so that they form the launch set and count from epoch 1; anything landing later counts only
   * `activationDelayEpochs` after. The devnet deploys once the data dirs exist, so this covers funding,
   * 6 registrations and 12 mints + delegations (about 10 s on a laptop; measured 8-15 s, ~25 s on a busy 2-core
   * CI machine) and starting the 9 processes (all up 45-56 s after deployment with one core kept busy),
   * so more of their start-up work is over before the first challenges.
   */
  genesisDelaySeconds: 75,
  /** Seats of the report committee (the contract's reportCommitteeSize): small, so that 6 checkers fill it. */
  reportCommitteeSize: 8,
  /**
   * Quorum in basis points of the seats: the protocol's fraction (6046, 5 of 8 seats). The 6 checkers hold
   * every seat, so they reach it with one of them down (the crash drill of test/devnet.test.ts).
   */
  reportQuorumBps: 6_046,
  /** One epoch per committee period: each epoch's first report seals its committee (gas is free here). */
  committeePeriodEpochs: 1n,
  /** The smallest activation delay the registry accepts: a delegation after genesis counts 2 epochs later. */
  activationDelayEpochs: 2n,
  /**
   * Epochs after a report's landing during which its failures can be opened and contested: two (40 s at
   * 20 s epochs), enough for `provider contest` by hand right after the report lands.
   */
  contestWindowEpochs: 2n,
  /** Epochs after a contest within which its re-check must land (the re-check runs in contest epoch + 2). */
  recheckDeadlineEpochs: 3n,
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
  /**
   * Worker threads of each provider's CPU backend (a laptop runs them all).
   * Two, so that a provider whose checks arrive together does not serve them
   * strictly one after another: with one worker, five VRAM walks of about
   * 0.3–0.6 s each queued up to 2 s against the 1.05 s cpu-reference deadline
   * in the first epochs of clean-clone CI runs.
   */
  providerWorkers: 2,
  /** Hardhat's default mnemonic: `hardhat node` funds its first 20 accounts; the devnet funds the rest. */
  mnemonic: "test test test test test test test test test test test junk",
  /** Account indices of the mnemonic: deployer 0, operators from 1, owners from 100. */
  operatorAccountBase: 1,
  ownerAccountBase: 100,
  /** Password of the devnet's checker keystores (written to a file, 0600). */
  keystorePassword: "devnet-password",
  /** scrypt N of the devnet keystores: lower than the EIP-2335 default so that 6 nodes unlock in seconds. */
  keystoreKdfWork: 16_384,
  /** The reward token's ERC20 symbol (packages/contracts RewardToken.sol), shown after amounts in tokens. */
  tokenSymbol: "CHKR",
  /** How often the live table refreshes. */
  refreshMs: 3_000,
} as const;

/**
 * Where one process runs (the namespace testbed, scripts/testbed): a network namespace and the address it
 * listens on. The devnet's default is 127.0.0.1 in the caller's own namespace.
 */
export interface HostPlacement {
  netns?: string;
  /** The address its libp2p node (or the chain's JSON-RPC) listens on. */
  ip: string;
  /** A checker's status API address, when the harness reaches it on another link (a NAT'd host's control link). */
  apiIp?: string;
  /** A checker behind NAT: circuit relay v2, DCUtR and AutoNAT on. */
  nat?: boolean;
  /** A checker that serves as a circuit relay for the others. */
  relayServer?: boolean;
  /** Behind NAT: the others dial it through this checker (its index), a circuit relay. */
  relayVia?: number;
}

export interface Placement {
  chain: HostPlacement;
  /** One per checker, in order. */
  checkers: HostPlacement[];
  /** One per provider, in order. */
  providers: HostPlacement[];
}

export const LOOPBACK: HostPlacement = { ip: "127.0.0.1" };

export interface DevnetOptions {
  checkers: number;
  providers: number;
  /**
   * Registered providers one `provider serve` process serves (`--also`: each its own keys, peer id and port;
   * serve/agent.ts); 1 (the default): a process each. A laptop cannot run 100 provider processes.
   */
  providersPerAgent?: number;
  epochSeconds: number;
  /** Stop once chain epoch startEpoch + epochs + 2 begins (startEpoch: the epoch every node is up in); undefined = until SIGINT/SIGTERM. */
  epochs?: number;
  /** Where the JSON summary goes at the end. */
  summary?: string;
  /** Data directory: deployment, node data dirs, logs. Wiped at start. */
  dataDir: string;
  /** Print the live table (off in tests). */
  live: boolean;
  /** Called with each refreshed snapshot (tests, the table). */
  onSnapshot?: (snapshot: import("./monitor.ts").Snapshot) => void;
  /** Where each process runs (the namespace testbed); undefined: everything on 127.0.0.1 here. */
  placement?: Placement;
  /** Progress lines while starting up. */
  log?: (line: string) => void;
}

export const DEFAULT_OPTIONS: Omit<DevnetOptions, "dataDir" | "live"> = {
  checkers: 6,
  providers: 3,
  epochSeconds: DEVNET.epochSeconds,
};

/** A free TCP port on 127.0.0.1 (asked from the kernel, then released). */
async function freePort(): Promise<number> {
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
