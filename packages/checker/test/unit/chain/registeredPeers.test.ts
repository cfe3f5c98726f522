import { createLogger } from "@checkernet/runtime";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { bytesToHex } from "viem";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  connectChain,
  isolateTests,
  mined,
  type TestChain,
} from "../../../../contracts/test/helpers/chain.ts";
import {
  deployFixture,
  type Fixture,
  goToEpoch,
  setupCheckers,
} from "../../../../contracts/test/helpers/fixture.ts";
import { ChainDirectory } from "../../../src/chain/chainDirectory.ts";
import { REGISTERED_PEER_LIMITS, RegisteredCheckerPeers } from "../../../src/chain/registeredPeers.ts";
import type { CheckerHost } from "../../../src/network/host.ts";
import { identityBudgetOf } from "../../../src/network/identityBudget.ts";
import { loopbackHost, stopHosts } from "../../utils/hosts.ts";

let chain: TestChain;
let fx: Fixture;
const silent = createLogger({ level: "silent", pretty: false });
const hosts: CheckerHost[] = [];

beforeAll(async () => {
  chain = await connectChain();
  fx = await deployFixture(chain);
});

isolateTests(() => chain);

afterEach(async () => {
  await stopHosts(hosts);
});

async function host(): Promise<CheckerHost> {
  const h = await loopbackHost();
  hosts.push(h);
  return h;
}

async function connects(from: CheckerHost, to: CheckerHost): Promise<boolean> {
  await from.dial(to.getMultiaddrs()[0]!, { signal: AbortSignal.timeout(3_000) }).catch(() => undefined);
  // A refused identity may see its side of the handshake finish before the victim's close reaches it.
  await new Promise((r) => setTimeout(r, 200));
  return to.getConnections(from.peerId).length > 0;
}

describe("registered checkers' peer ids for the identity budget (review5 M2, contracts on EDR)", () => {
  it("reads the snapshot operators' peer ids, lets them in past a spent budget, follows updatePeerId", async () => {
    const checkers = await setupCheckers(fx, 2, 1);
    const nodes = [await host(), await host()];
    for (const [i, c] of checkers.entries())
      await mined(
        chain,
        fx.as(c.wallet).registry.write.updatePeerId([bytesToHex(nodes[i]!.peerId.toMultihash().bytes)]),
      );
    const c = fx.deployment.contracts;
    const directory = new ChainDirectory(
      { publicClient: chain.publicClient, logger: silent },
      {
        addresses: {
          checkerRegistry: c.checkerRegistry,
          providerRegistry: c.providerRegistry,
          epochReports: c.epochReports,
        },
      },
    );
    // Epoch 2's snapshot is final (licenseIdsAt), with both operators in it.
    await goToEpoch(fx, 2n);
    await directory.refresh();
    let now = 0;
    const registered = new RegisteredCheckerPeers(
      chain.publicClient,
      c.checkerRegistry,
      directory,
      () => now,
    );
    await registered.refresh(2n);
    expect(nodes.map((n) => registered.has(n.peerId.toString()))).toEqual([true, true]);

    // A node whose identity budget for 127.0.0.1 is spent (a Sybil flood from there, or a CGNAT
    // neighbour's invalid messages): an unknown identity is refused, a registered checker gets in.
    const victim = await host();
    const budget = identityBudgetOf(victim)!;
    budget.isRegisteredChecker = (peer) => registered.has(peer);
    budget.spend("127.0.0.1");
    const stranger = await host();
    expect(await connects(stranger, victim)).toBe(false);
    expect(registered.has(stranger.peerId.toString())).toBe(false);
    expect(await connects(nodes[0]!, victim)).toBe(true);
    expect(budget.refused).toBe(1);

    // Checker 1 moves to a new key: read again once its peer id is rereadMs old, not before.
    const moved = peerIdFromPrivateKey(await generateKeyPair("Ed25519"));
    await mined(
      chain,
      fx.as(checkers[1]!.wallet).registry.write.updatePeerId([bytesToHex(moved.toMultihash().bytes)]),
    );
    now += REGISTERED_PEER_LIMITS.rereadMs - 1;
    await registered.refresh(2n);
    expect(registered.has(moved.toString())).toBe(false);
    now += 1;
    await registered.refresh(2n);
    expect(registered.has(moved.toString())).toBe(true);
    expect(registered.has(nodes[1]!.peerId.toString())).toBe(false);
    expect(registered.has(nodes[0]!.peerId.toString())).toBe(true);
  });
});
