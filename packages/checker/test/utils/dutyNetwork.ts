import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DeployOptions } from "@checkernet/contracts";
import { type BlsBackend, loadBlsBackend } from "@checkernet/protocol/bls/index";
import type { ProtocolParams } from "@checkernet/protocol/params";
import { CheckResult, type SignedAttestation } from "@checkernet/protocol/types";
import type { Logger } from "@checkernet/runtime";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { type Address, bytesToHex, type PublicClient } from "viem";
import { connectChain, mined, type TestChain } from "../../../contracts/test/helpers/chain.ts";
import {
  type Checker,
  deployFixture,
  type Fixture,
  goToEpoch,
  setupCheckers,
} from "../../../contracts/test/helpers/fixture.ts";
import type { ChainDirectory } from "../../src/chain/chainDirectory.ts";
import type { EpochClock } from "../../src/chain/clock.ts";
import { CheckerDb } from "../../src/db/checkerDb.ts";
import { AggregatorDuty, type SubmitterWallet } from "../../src/duties/aggregatorDuty.ts";
import type { CheckerHost } from "../../src/network/host.ts";
import { handleCosign, requestCosign } from "../../src/network/reqresp/cosign.ts";
import { chainDirectory, deploymentClock, dutyAddresses, registerProvider } from "./chain.ts";
import { makeAttestation, signAttestation } from "./fixtures.ts";
import { introduceAll, loopbackHost, stopHosts } from "./hosts.ts";

const COSIGN_PROTOCOL = "/checkernet/cosign/1.0.0";

/** One checker's node in a test: its duty over a fresh database, on the checker's host. */
export interface DutyNode {
  checker: Checker;
  host: CheckerHost;
  db: CheckerDb;
  duty: AggregatorDuty;
}

/** What a test builds a node's AggregatorDuty from (the test picks its clients and timings). */
interface DutyParts {
  checker: Checker;
  /** The checker's position (its logger's `node`). */
  index: number;
  host: CheckerHost;
  db: CheckerDb;
  bls: BlsBackend;
  clock: EpochClock;
}

/**
 * The network of the AggregatorDuty tests (aggregatorDuty, lateReports): four checkers with one
 * license each and two staked providers on Hardhat's EDR, each checker's libp2p host on 127.0.0.1
 * with its real peer id registered, set up in epoch 0 (the launch set) and moved to epoch 1.
 */
export interface DutyNetwork {
  chain: TestChain;
  fx: Fixture;
  checkers: Checker[];
  /** Registered with the minimum stake plus 0 and 1 tokens. */
  providers: Address[];
  directory: ChainDirectory;
  /** One per checker, in order, each knowing the others' addresses. */
  hosts: CheckerHost[];
  /**
   * Four nodes over fresh databases, each serving co-sign requests with its duty unless its index is in
   * `offline`. `reset()` stops serving and closes the databases.
   */
  nodes(options: {
    offline?: readonly number[];
    duty(parts: DutyParts): AggregatorDuty;
  }): Promise<DutyNode[]>;
  /**
   * A node's AggregatorDuty that submits to the chain: the network's directory and contracts, `publicClient`
   * and `wallet`, fast test timings (backups after 300 ms, retries from 50 ms, two submit attempts).
   */
  submittingDuty(
    parts: DutyParts,
    chainAccess: {
      params: ProtocolParams;
      logger: Logger;
      publicClient: PublicClient;
      wallet: SubmitterWallet;
    },
  ): AggregatorDuty;
  /** Every checker attests every provider; `failing` gets FAIL from all (a slashable verdict). */
  attestations(epoch: bigint, failing?: Address): Promise<SignedAttestation[]>;
  /** `host` answers co-sign requests with `duty`. */
  serveCosign(host: CheckerHost, duty: AggregatorDuty): Promise<void>;
  /** After each test: no host serves co-sign requests any more, and the test's databases are closed. */
  reset(): Promise<void>;
  /** After all: stops the hosts. */
  stop(): Promise<void>;
}

/**
 * The chain side of the duty tests (aggregatorDuty, lateReports, attestationSync, equivocation): deployed with
 * `deploy`, four checkers with one license each and two staked providers, each operator's real peer id
 * registered (as `checker start` would; the test builds its hosts from `peerKeys`), set up in epoch 0 (the
 * launch set) and moved to epoch 1; the directory a node reads it through, refreshed once.
 */
export async function deployCheckerSet(init: { deploy: DeployOptions; logger: Logger }) {
  const chain = await connectChain();
  const fx = await deployFixture(chain, init.deploy);
  const checkers = await setupCheckers(fx, 4, 1);
  const providers = [await registerProvider(chain, fx, 0, 0n), await registerProvider(chain, fx, 1, 1n)];
  const peerKeys: PrivateKey[] = [];
  for (const c of checkers) {
    const key = await generateKeyPair("Ed25519");
    const peer = peerIdFromPrivateKey(key);
    await mined(chain, fx.as(c.wallet).registry.write.updatePeerId([bytesToHex(peer.toMultihash().bytes)]));
    peerKeys.push(key);
  }
  await goToEpoch(fx, 1n);
  const directory = await chainDirectory(chain, fx, init.logger);
  return { chain, fx, checkers, providers, peerKeys, directory };
}

/** Deploys with `deploy` and sets up the network (for a beforeAll). */
export async function startDutyNetwork(init: {
  deploy: DeployOptions;
  logger: Logger;
}): Promise<DutyNetwork> {
  const { chain, fx, checkers, providers, peerKeys, directory } = await deployCheckerSet(init);
  const hosts: CheckerHost[] = [];
  try {
    for (const key of peerKeys) hosts.push(await loopbackHost({ privateKey: key }));
    await introduceAll(hosts);
  } catch (e) {
    await stopHosts(hosts);
    throw e;
  }
  const open: CheckerDb[] = [];
  const serveCosign = (host: CheckerHost, duty: AggregatorDuty) =>
    handleCosign(host, { logger: init.logger, onRequest: (req, from) => duty.cosign(req, from) });

  return {
    chain,
    fx,
    checkers,
    providers,
    directory,
    hosts,
    serveCosign,
    async nodes(options) {
      const bls = await loadBlsBackend("auto");
      const clock = deploymentClock(fx);
      const out: DutyNode[] = [];
      for (const [index, checker] of checkers.entries()) {
        const host = hosts[index]!;
        const db = await CheckerDb.open({ dataDir: mkdtempSync(join(tmpdir(), "checker-duty-")) });
        open.push(db);
        const duty = options.duty({ checker, index, host, db, bls, clock });
        if (!(options.offline ?? []).includes(index)) await serveCosign(host, duty);
        out.push({ checker, host, db, duty });
      }
      return out;
    },
    submittingDuty({ checker, index, host, db, bls, clock }, { params, logger, publicClient, wallet }) {
      return new AggregatorDuty(
        {
          clock,
          epochs: directory,
          keys: directory,
          providers: directory,
          db,
          bls,
          logger: logger.child({ node: index }),
          publicClient,
          walletClient: wallet,
          requestCosign: (peer, request, timeoutMs) => requestCosign(host, peer, request, { timeoutMs }),
        },
        {
          operator: checker.address,
          secretKey: checker.key.secretKey,
          domain: fx.domain,
          params,
          addresses: dutyAddresses(fx),
          backupTimeoutMs: 300,
          retryBaseMs: 50,
          submitAttempts: 2,
        },
      );
    },
    async attestations(epoch, failing) {
      const seed = await fx.c.reports.read.seedOf([epoch]);
      const out: SignedAttestation[] = [];
      for (const c of checkers)
        for (const p of providers) {
          const att = makeAttestation(c.address, p, epoch, {
            result: p === failing ? CheckResult.FAIL : CheckResult.PASS,
          });
          out.push(
            await signAttestation({ ...c.key, address: c.address, licenses: 1 }, att, seed, fx.domain),
          );
        }
      return out;
    },
    async reset() {
      for (const h of hosts) await h.unhandle(COSIGN_PROTOCOL).catch(() => undefined);
      await Promise.all(open.splice(0).map((d) => d.close()));
    },
    stop: () => stopHosts(hosts),
  };
}
