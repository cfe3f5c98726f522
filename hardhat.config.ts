import { createRequire } from "node:module";
import hardhatViem from "@nomicfoundation/hardhat-viem";
import { defineConfig } from "hardhat/config";

// Compile offline with the npm `solc` package (pinned in package.json):
// nothing may download a compiler at run time.
const require = createRequire(import.meta.url);
const SOLC_VERSION = "0.8.30";

export default defineConfig({
  plugins: [hardhatViem],
  paths: {
    sources: "./packages/contracts/contracts",
    artifacts: "./packages/contracts/artifacts",
    cache: "./packages/contracts/cache",
    tests: { solidity: "./packages/contracts/test/solidity" },
  },
  solidity: {
    version: SOLC_VERSION,
    path: require.resolve("solc/soljson.js"),
    settings: {
      evmVersion: "prague",
      optimizer: { enabled: true, runs: 200 },
      viaIR: true,
    },
  },
  networks: {
    localhost: { type: "http", chainType: "l1", url: "http://127.0.0.1:8545" },
  },
});
