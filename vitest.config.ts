import { defineConfig } from "vitest/config";

// Two projects so `npm test` runs the fast unit suites before the slower
// end-to-end ones (real libp2p on loopback, real EVM).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["packages/*/test/**/*.test.ts"],
          testTimeout: 60_000,
          // Setup deploys contracts and spawns CLIs; on a shared 2-core machine
          // that has taken 30+ s, far past vitest's 10 s default.
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/**/*.test.ts"],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
