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

/** The chain client's refresh loop; built with a chain. */
export class ChainService implements NodeService {
  private readonly components: NodeComponents;

  constructor(components: NodeComponents) {
    this.components = components;
  }

  async start(): Promise<void> {
    const directory = this.components.chain?.directory;
    if (directory === undefined) return;
    // The first snapshot before any validation; failures are retried by the loop and shown in status.
    await directory.refresh().catch(() => undefined);
    directory.start();
  }

  stop(): void {
    this.components.chain?.directory.stop();
  }
}
