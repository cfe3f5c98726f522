import { RegisteredCheckerPeers } from "../chain/registeredPeers.ts";
import { identityBudgetOf } from "../network/identityBudget.ts";
import type { NodeComponents } from "./components.ts";
import type { NodeService } from "./service.ts";

/** The libp2p host: started first and stopped last, so every other service has the network. */
export class HostService implements NodeService {
  private readonly components: NodeComponents;

  constructor(components: NodeComponents) {
    this.components = components;
  }

  async start(): Promise<void> {
    await this.components.host.start();
  }

  async stop(): Promise<void> {
    await this.components.host.stop();
  }
}

/**
 * The chain client's refresh loop, and the registered checkers' peer ids it feeds to the host's inbound
 * identity budget, which lets them in from any IP (review5 M2); built with a chain.
 */
export class ChainService implements NodeService {
  private readonly components: NodeComponents;
  private registered: RegisteredCheckerPeers | undefined;

  constructor(components: NodeComponents) {
    this.components = components;
  }

  async start(): Promise<void> {
    const { chain, host } = this.components;
    if (chain === undefined) return;
    // The first snapshot before any validation; failures are retried by the loop and shown in status.
    await chain.directory.refresh().catch(() => undefined);
    chain.directory.start();
    const registered = new RegisteredCheckerPeers(
      chain.publicClient,
      chain.contracts.checkerRegistry,
      chain.directory,
    );
    const budget = identityBudgetOf(host);
    if (budget !== undefined) budget.isRegisteredChecker = (peer) => registered.has(peer);
    // The chain's epoch at the directory's last refresh: its snapshot is final (licenseIdsAt).
    registered.start(() => BigInt(chain.directory.status().epoch ?? "0"));
    this.registered = registered;
  }

  stop(): void {
    this.registered?.stop();
    this.components.chain?.directory.stop();
  }
}
