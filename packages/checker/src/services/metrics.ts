import type { NodeStatus } from "../api/server.ts";
import type { NodeComponents } from "./components.ts";
import type { NodeService } from "./service.ts";

/** Keeps the gauges that are read from the node, not counted: the peer count and the alerts. */
export class NodeMetricsService implements NodeService {
  private readonly components: NodeComponents;
  private readonly status: () => Promise<NodeStatus>;
  private readonly updatePeers = () =>
    this.components.metrics.peers.set(this.components.host.getPeers().length);

  constructor(components: NodeComponents, status: () => Promise<NodeStatus>) {
    this.components = components;
    this.status = status;
  }

  start(): void {
    const { metrics, host } = this.components;
    metrics.alertSource.read = async () => (await this.status()).alerts;
    host.addEventListener("connection:open", this.updatePeers);
    host.addEventListener("connection:close", this.updatePeers);
  }

  stop(): void {
    const { host } = this.components;
    host.removeEventListener("connection:open", this.updatePeers);
    host.removeEventListener("connection:close", this.updatePeers);
  }
}
