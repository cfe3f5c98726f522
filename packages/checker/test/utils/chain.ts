import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { type Address, bytesToHex, getAddress } from "viem";
import { mined, type TestChain } from "../../../contracts/test/helpers/chain.ts";
import { type Fixture, TOKEN } from "../../../contracts/test/helpers/fixture.ts";
import { ChainDirectory } from "../../src/chain/chainDirectory.ts";
import { EpochClock } from "../../src/chain/clock.ts";

type Logger = ConstructorParameters<typeof ChainDirectory>[0]["logger"];

/**
 * Registers Hardhat account 10 + `index` as a provider with a real libp2p
 * peer id and `entry`'s class (cpu-reference by default), and stakes the minimum plus `extraTokens` whole
 * tokens. Staked, its class, VRAM and region are frozen (ProviderRegistry.fieldsFrozen): register the entry
 * a test needs here.
 */
export async function registerProvider(
  chain: TestChain,
  fx: Fixture,
  index: number,
  extraTokens: bigint,
  entry: { gpuModel: string; vramMiB: number } = { gpuModel: "cpu-reference", vramMiB: 16 },
): Promise<Address> {
  const wallet = chain.wallets[10 + index]!;
  const address = getAddress(wallet.account.address);
  const peerId = peerIdFromPrivateKey(await generateKeyPair("Ed25519"));
  const own = fx.as(wallet);
  await mined(
    chain,
    own.providers.write.register([
      bytesToHex(peerId.toMultihash().bytes),
      entry.gpuModel,
      entry.vramMiB,
      "local",
    ]),
  );
  const stake = (await fx.c.providers.read.minStake()) + extraTokens * TOKEN;
  await mined(chain, fx.c.token.write.transfer([address, stake]));
  await mined(chain, own.token.write.approve([fx.deployment.contracts.providerRegistry, stake]));
  await mined(chain, own.providers.write.stake([stake]));
  return address;
}

/** The ChainDirectory a node builds over the fixture's deployment, refreshed once. */
export async function chainDirectory(chain: TestChain, fx: Fixture, logger: Logger): Promise<ChainDirectory> {
  const directory = new ChainDirectory(
    { publicClient: chain.publicClient, logger },
    {
      addresses: {
        checkerRegistry: fx.deployment.contracts.checkerRegistry,
        providerRegistry: fx.deployment.contracts.providerRegistry,
        epochReports: fx.deployment.contracts.epochReports,
      },
    },
  );
  await directory.refresh();
  return directory;
}

/**
 * The node's epoch clock for the fixture's deployment (genesis and epoch
 * length read from it), on the wall clock unless `now` drives it.
 */
export function deploymentClock(fx: Fixture, now?: () => number): EpochClock {
  return new EpochClock({
    genesisMs: Number(fx.deployment.genesisTime) * 1000,
    epochSeconds: Number(fx.deployment.epochSeconds),
    now,
  });
}

/**
 * The node's clock held 1 s into the chain's current epoch: gossip validation reads the chain's epoch, and on
 * EDR the chain's time runs ahead of the wall clock.
 */
export async function chainEpochClock(fx: Fixture): Promise<EpochClock> {
  const epoch = await fx.c.reports.read.currentEpoch();
  const base = deploymentClock(fx);
  return deploymentClock(fx, () => base.bounds(epoch).startMs + 1_000);
}

/** The contract addresses an AggregatorDuty needs, from the fixture's deployment. */
export function dutyAddresses(fx: Fixture) {
  return {
    epochReports: fx.deployment.contracts.epochReports,
    checkerRegistry: fx.deployment.contracts.checkerRegistry,
    providerRegistry: fx.deployment.contracts.providerRegistry,
    slashing: fx.deployment.contracts.slashing,
  };
}
