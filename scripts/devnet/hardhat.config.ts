import path from "node:path";
import { defineConfig } from "hardhat/config";
import base from "../../hardhat.config.ts";

const root = path.resolve(import.meta.dirname, "../..");

/**
 * The repository's Hardhat config with the devnet's `hardhat node` network:
 * a block every second (as a real chain makes, so that views reading the
 * clock move on without transactions) and several blocks per second allowed
 * to share a timestamp, so that the burst of setup transactions does not
 * push the chain's clock ahead of the nodes' wall clocks.
 */
export default defineConfig({
  ...base,
  paths: {
    sources: path.join(root, "packages/contracts/contracts"),
    artifacts: path.join(root, "packages/contracts/artifacts"),
    cache: path.join(root, "packages/contracts/cache"),
    tests: { solidity: path.join(root, "packages/contracts/test/solidity") },
  },
  networks: {
    ...base.networks,
    node: {
      type: "edr-simulated",
      chainType: "l1",
      allowBlocksWithSameTimestamp: true,
      mining: { auto: true, interval: 1_000 },
    },
  },
});
