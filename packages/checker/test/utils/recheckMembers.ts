import type { BlsBackend } from "@checkernet/protocol/bls/index";
import type { ProtocolParams } from "@checkernet/protocol/params";
import type { RecheckRules } from "@checkernet/protocol/recheck";
import type { Logger } from "@checkernet/runtime";
import { peerIdFromString } from "@libp2p/peer-id";
import { multiaddr } from "@multiformats/multiaddr";
import type { Checker, Fixture } from "../../../contracts/test/helpers/fixture.ts";
import type { EpochClock } from "../../src/chain/clock.ts";
import { ChallengeClient } from "../../src/challenges/client.ts";
import type { CheckerDb } from "../../src/db/checkerDb.ts";
import { RecheckDuty } from "../../src/duties/recheckDuty.ts";
import type { RecheckComponents } from "../../src/duties/recheckTypes.ts";
import { createMetrics } from "../../src/metrics/index.ts";
import type { CheckerHost } from "../../src/network/host.ts";
import {
  handleRecheck,
  requestRecheckCosign,
  requestRecheckResult,
} from "../../src/network/reqresp/recheck.ts";
import type { KeyDirectory } from "../../src/validation/keyDirectory.ts";
import type { ProviderDirectory } from "../../src/validation/providerDirectory.ts";

/** One member of a re-check committee in a test: the checker, its host and its duty over `db`. */
export interface RecheckMember {
  checker: Checker;
  host: CheckerHost;
  duty: RecheckDuty;
}

/**
 * `checker`'s RecheckDuty as a node builds it (recheckWindow, recheckAccusers): its own challenge client on
 * `host`, the chain through `keys` and the fixture's contracts, `providers` for the accused provider's entry,
 * its wallet to lead, results and co-signatures over /checkernet/recheck between the hosts, fast test
 * timings (backups after 1 s, retries from 50 ms). The host serves the duty's results and co-signatures.
 */
export async function recheckMember(
  fx: Fixture,
  parts: {
    checker: Checker;
    host: CheckerHost;
    db: CheckerDb;
    bls: BlsBackend;
    clock: EpochClock;
    keys: KeyDirectory;
    providers: ProviderDirectory;
    params: ProtocolParams;
    rules: RecheckRules;
    logger: Logger;
    equivocations?: RecheckComponents["equivocations"];
  },
): Promise<RecheckMember> {
  const { checker, host, logger } = parts;
  const duty = new RecheckDuty(
    {
      clock: parts.clock,
      keys: parts.keys,
      providers: parts.providers,
      client: new ChallengeClient(
        { host, logger, metrics: createMetrics() },
        { params: parts.params, checkerRegion: 0 },
      ),
      db: parts.db,
      bls: parts.bls,
      logger,
      publicClient: fx.chain.publicClient,
      walletClient: checker.wallet,
      requestResult: (peer, id, timeoutMs) => requestRecheckResult(host, peer, id, { timeoutMs }),
      requestCosign: (peer, request, timeoutMs) => requestRecheckCosign(host, peer, request, { timeoutMs }),
      addPeerAddresses: async (peerId, addrs) => {
        await host.peerStore.merge(peerIdFromString(peerId), { multiaddrs: addrs.map((a) => multiaddr(a)) });
      },
      ...(parts.equivocations === undefined ? {} : { equivocations: parts.equivocations }),
    },
    {
      operator: checker.address,
      secretKey: checker.key.secretKey,
      domain: fx.domain,
      params: parts.params,
      addresses: {
        slashing: fx.deployment.contracts.slashing,
        epochReports: fx.deployment.contracts.epochReports,
        checkerRegistry: fx.deployment.contracts.checkerRegistry,
      },
      rules: parts.rules,
      backupTimeoutMs: 1_000,
      retryBaseMs: 50,
    },
  );
  await handleRecheck(host, {
    logger,
    onResult: (id) => duty.resultFor(id),
    onCosign: (request) => duty.cosign(request),
  });
  return { checker, host, duty };
}

/** Runs `m`'s re-check of the slash in `state` once its own lag does not make it abstain (a busy machine). */
export async function runOwnRecheck(
  m: RecheckMember,
  state: Parameters<RecheckDuty["ownResult"]>[0],
): ReturnType<RecheckDuty["ownResult"]> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await m.duty.ownResult(state);
    } catch (e) {
      if (attempt >= 3 || (e as Error).name !== "OwnLagAbstention") throw e;
    }
  }
}
