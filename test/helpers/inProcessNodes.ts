/**
 * Checker nodes run inside the test process (CheckerNode.create), on real
 * libp2p over loopback TCP, against the devnet's chain and `provider serve`
 * processes: what the contest, chaos and dashboard/fraud-proof e2e tests share. The devnet
 * proper (test/devnet.test.ts) runs every checker as its own process instead.
 */
import { join } from "node:path";
import { CheckerNode, loadConfig } from "@checkernet/checker";
import type { Deployment } from "@checkernet/contracts";
import { generateSecretKey } from "@checkernet/protocol/bls/keygen";
import type { ProtocolParams } from "@checkernet/protocol/params";
import type { Logger } from "@checkernet/runtime";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { type Address, bytesToHex, getAddress } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import type { DevnetChain } from "../../scripts/devnet/chain.ts";
import { type ProviderPlan, providerMultiaddr } from "../../scripts/devnet/nodes.ts";
import { DEVNET } from "../../scripts/devnet/params.ts";

export interface InProcessOperator {
  /** Account index of the devnet mnemonic. */
  index: number;
  address: Address;
  /** BLS secret key. */
  secretKey: Uint8Array;
  peerKey: Awaited<ReturnType<typeof generateKeyPair>>;
  peerId: string;
  port: number;
  /** Its status API and dashboard on 127.0.0.1 (apiPort 0, off, when undefined). */
  apiPort?: number;
}

/**
 * `count` operators with fresh BLS and libp2p keys, on the devnet's operator accounts and the given
 * libp2p ports (and status API ports, one per operator, when given).
 */
export async function newOperators(
  chain: DevnetChain,
  count: number,
  ports: readonly number[],
  apiPorts: readonly number[] = [],
): Promise<InProcessOperator[]> {
  const operators: InProcessOperator[] = [];
  for (let i = 0; i < count; i++) {
    const peerKey = await generateKeyPair("Ed25519");
    operators.push({
      index: DEVNET.operatorAccountBase + i,
      address: getAddress(chain.wallet(DEVNET.operatorAccountBase + i).account.address),
      secretKey: generateSecretKey(crypto.getRandomValues(new Uint8Array(32))),
      peerKey,
      peerId: peerIdFromPrivateKey(peerKey).toString(),
      port: ports[i] as number,
      ...(apiPorts[i] === undefined ? {} : { apiPort: apiPorts[i] }),
    });
  }
  return operators;
}

export interface CheckerNodesInit {
  operators: readonly InProcessOperator[];
  providers: readonly ProviderPlan[];
  chain: DevnetChain;
  deployment: Deployment;
  dataDir: string;
  epochSeconds: number;
  params: ProtocolParams;
  logger: Logger;
  /** Each operator's checker fault modes (`lie-fail:<provider>`, `vouch-pass`, ...). */
  faultsOf(op: InProcessOperator): string[];
  /** Whether the nodes submit fraud proofs (the FraudProofs address in their config). */
  fraudProofs: boolean;
  /**
   * Whether each node builds its own chain clients from its config, as `checker run` does (the RPC
   * deadlines and the ChainHealth behind /status's `chain.connected`, the transaction key in
   * txPrivateKey), instead of sharing the devnet's clients (viem's defaults, no ChainHealth).
   */
  ownChainClients?: boolean;
}

/** Creates one CheckerNode per operator, bootstrapped to each other and the providers (not started). */
export async function createCheckerNodes(init: CheckerNodesInit): Promise<CheckerNode[]> {
  const { operators, providers, chain, deployment } = init;
  const addrOf = (o: InProcessOperator) => `/ip4/127.0.0.1/tcp/${o.port}/p2p/${o.peerId}`;
  const nodes: CheckerNode[] = [];
  for (const op of operators) {
    const config = loadConfig({
      env: {},
      flags: {
        dataDir: join(init.dataDir, `checker-${op.index}`),
        listen: [`/ip4/127.0.0.1/tcp/${op.port}`],
        bootstrap: [...operators.filter((o) => o !== op).map(addrOf), ...providers.map(providerMultiaddr)],
        mdns: false,
        dht: false,
        nat: false,
        apiPort: op.apiPort ?? 0,
        rpcUrl: chain.rpcUrl,
        chainId: String(deployment.chainId),
        verifyingContract: deployment.contracts.epochReports,
        genesisMs: Number(deployment.genesisTime) * 1000,
        epochSeconds: init.epochSeconds,
        operatorAddress: op.address,
        checkerRegistry: deployment.contracts.checkerRegistry,
        providerRegistry: deployment.contracts.providerRegistry,
        slashingContract: deployment.contracts.slashing,
        ...(init.fraudProofs ? { fraudProofsContract: deployment.contracts.fraudProofs } : {}),
        rewardsContract: deployment.contracts.rewards,
        checkerLicense: deployment.contracts.checkerLicense,
        faults: init.faultsOf(op),
        ...(init.ownChainClients === true ? { txPrivateKey: privateKeyOf(op.index) } : {}),
      },
    });
    nodes.push(
      await CheckerNode.create({
        config,
        logger: init.logger.child({ node: op.index }),
        operatorSecretKey: op.secretKey,
        peerKey: op.peerKey,
        params: init.params,
        ...(init.ownChainClients === true
          ? {}
          : { publicClient: chain.publicClient, walletClient: chain.wallet(op.index) }),
        allowPrivateAddresses: true,
      }),
    );
  }
  return nodes;
}

/** The devnet mnemonic's private key at `index` (the account chain.wallet(index) signs with). */
function privateKeyOf(index: number): `0x${string}` {
  const key = mnemonicToAccount(DEVNET.mnemonic, { addressIndex: index }).getHdKey().privateKey;
  if (key === null) throw new Error(`no private key for devnet account ${index}`);
  return bytesToHex(key);
}
