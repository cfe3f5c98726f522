import { network } from "hardhat";
import {
  type Account,
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  type Hash,
  type Hex,
  keccak256,
  type PublicClient,
  type TestClient,
  type Transport,
  toHex,
  type Chain as ViemChain,
  type WalletClient,
} from "viem";
import { afterEach, beforeEach, expect } from "vitest";

/** A wallet client with its account and chain, as Hardhat hands them out. */
export type Wallet = WalletClient<Transport, ViemChain, Account>;

/** One in-process EDR network per test file, as Hardhat 3 hands it to viem. */
export interface TestChain {
  publicClient: PublicClient;
  testClient: TestClient;
  /** Hardhat's 20 funded accounts; [0] deploys. */
  wallets: Wallet[];
  impersonate(label: string): Promise<Wallet>;
  /** A wallet that sends as `address` (a contract, say), funded for gas. */
  impersonateAddress(address: Address): Promise<Wallet>;
}

/** @param chainId another chain id than Hardhat's 31337 (a second chain, as after a fork). */
export async function connectChain(chainId?: number): Promise<TestChain> {
  const connection = await network.connect(chainId === undefined ? undefined : { override: { chainId } });
  const publicClient = (await connection.viem.getPublicClient()) as PublicClient;
  const testClient = (await connection.viem.getTestClient()) as unknown as TestClient;
  const wallets = (await connection.viem.getWalletClients()) as Wallet[];
  return {
    publicClient,
    testClient,
    wallets,
    async impersonate(label: string) {
      // A deterministic extra account: Hardhat only has 20, the benchmark needs more operators.
      const address = `0x${keccak256(toHex(label)).slice(26)}` as Address;
      await testClient.impersonateAccount({ address });
      await testClient.setBalance({ address, value: 10n ** 24n });
      return (await connection.viem.getWalletClient(address)) as Wallet;
    },
    async impersonateAddress(address: Address) {
      await testClient.impersonateAccount({ address });
      await testClient.setBalance({ address, value: 10n ** 24n });
      return (await connection.viem.getWalletClient(address)) as Wallet;
    },
  };
}

/**
 * Reverts the chain to its state before each test: deploy once in beforeAll,
 * then every test starts from the same fixture for the cost of two RPC calls.
 */
export function isolateTests(chain: () => TestChain): void {
  let id: Hex | undefined;
  beforeEach(async () => {
    id = await chain().testClient.snapshot();
  });
  afterEach(async () => {
    if (id !== undefined) await chain().testClient.revert({ id });
  });
}

/** Waits for a transaction and fails the test if it reverted. */
export async function mined(chain: TestChain, hash: Promise<Hash> | Hash) {
  const receipt = await chain.publicClient.waitForTransactionReceipt({ hash: await hash });
  expect(receipt.status).toBe("success");
  return receipt;
}

/**
 * The custom error a contract call reverted with, as viem decodes it. Strict on
 * purpose: the contracts avoid reverting inside modifiers, because EDR reports
 * those reverts in a form viem cannot decode, and a wallet should always see
 * the error's name.
 */
export function revertOf(error: unknown): { name: string; args: readonly unknown[] } | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError) || reverted.data === undefined) return undefined;
  return { name: reverted.data.errorName, args: reverted.data.args ?? [] };
}

/** Asserts that `call` reverts with the custom error `name` (and `args`, when given). */
export async function expectRevert(call: Promise<unknown>, name: string, args?: readonly unknown[]) {
  let error: unknown;
  try {
    await call;
  } catch (e) {
    error = e;
  }
  expect(error, `expected a revert with ${name}`).toBeDefined();
  const decoded = revertOf(error);
  expect(decoded?.name, (error as Error | undefined)?.message).toBe(name);
  if (args !== undefined) expect(normalize(decoded?.args)).toEqual(normalize(args));
}

/** Addresses compare case-insensitively (Hardhat's accounts are lowercase, contracts return checksums). */
function normalize(value: unknown): unknown {
  if (typeof value === "string" && /^0x[0-9a-fA-F]{40}$/.test(value)) return value.toLowerCase();
  if (Array.isArray(value)) return value.map(normalize);
  return value;
}

/** Sets the next block's timestamp and mines it. */
export async function setTime(chain: TestChain, timestamp: bigint): Promise<void> {
  await chain.testClient.setNextBlockTimestamp({ timestamp });
  await chain.testClient.mine({ blocks: 1 });
}
