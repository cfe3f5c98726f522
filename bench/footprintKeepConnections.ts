/**
 * The "before" of docs/footprint.md's provider-connection pair: an `--import`ed hook for
 * `npm run bench:footprint -- --keep-provider-connections`. The bench passes it to every node through
 * CHECKERNET_NODE_FLAGS; in a checker process it makes ProviderLinks (the hang-up after a provider's
 * runs, packages/checker/src/challenges/providerLinks.ts) run the runs and close nothing, so the node
 * holds its provider connections as it did before (libp2p's connection manager caps them at 64).
 */
if (process.argv.some((arg) => arg.includes("packages/checker/"))) {
  const { ProviderLinks } = await import("../packages/checker/src/challenges/providerLinks.ts");
  ProviderLinks.prototype.during = <T>(_peer: unknown, run: () => Promise<T>): Promise<T> => run();
}
