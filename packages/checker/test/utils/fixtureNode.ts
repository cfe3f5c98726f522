import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "@checkernet/runtime";
import type { Hex } from "viem";
import type { Checker, Fixture } from "../../../contracts/test/helpers/fixture.ts";
import { loadConfig } from "../../src/config.ts";
import type { CheckerNodeOptions } from "../../src/services/nodeOptions.ts";
import { StaticKeyDirectory } from "../../src/validation/keyDirectory.ts";

/**
 * What CheckerNode.create takes for `checker`'s node over the fixture's deployment: a fresh data directory
 * (`dataDirPrefix`), 127.0.0.1 on a free port, no DHT, NAT or fixed API port, the chain's addresses and
 * Hardhat's client, the operator key (and `txPrivateKey` to pay for reports, when given), and no checking
 * work this epoch (an empty key directory: the checking duty's wait for the publish phase would hold up stop()).
 */
export function fixtureNodeOptions(
  fx: Fixture,
  checker: Checker,
  init: { dataDirPrefix: string; logger: Logger; txPrivateKey?: Hex },
): CheckerNodeOptions {
  const c = fx.deployment.contracts;
  return {
    config: loadConfig({
      env: {},
      flags: {
        dataDir: mkdtempSync(join(tmpdir(), init.dataDirPrefix)),
        listen: ["/ip4/127.0.0.1/tcp/0"],
        apiPort: 0,
        dht: false,
        nat: false,
        chainId: 31_337,
        verifyingContract: c.epochReports,
        checkerRegistry: c.checkerRegistry,
        providerRegistry: c.providerRegistry,
        rewardsContract: c.rewards,
        checkerLicense: c.checkerLicense,
        operatorAddress: checker.address,
        ...(init.txPrivateKey === undefined ? {} : { txPrivateKey: init.txPrivateKey }),
      },
    }),
    logger: init.logger,
    operatorSecretKey: checker.key.secretKey,
    publicClient: fx.chain.publicClient,
    keys: new StaticKeyDirectory(),
    allowPrivateAddresses: true,
  };
}
