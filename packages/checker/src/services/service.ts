import type { NodeComponents } from "./components.ts";

/**
 * A part of the node that is built from the node's components and owns what
 * it registers (protocol handlers, routes, timers, listeners): it registers
 * them in start() and removes them in stop(). CheckerNode starts its services
 * in order and stops them in reverse (js-libp2p's service lifecycle).
 */
export interface NodeService {
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
}

/**
 * A duty and the request/response protocol it answers on: the handler is
 * registered before the duty starts, so no peer asks an unregistered node,
 * and removed after the duty stops.
 */
export abstract class DutyService<Duty extends { start(): void; stop(): Promise<void> }>
  implements NodeService
{
  readonly duty: Duty;
  protected readonly components: NodeComponents;
  private readonly protocol: string;

  constructor(components: NodeComponents, protocol: string, duty: Duty) {
    this.components = components;
    this.protocol = protocol;
    this.duty = duty;
  }

  /** Registers the protocol handler. */
  protected abstract serve(): Promise<void>;

  async start(): Promise<void> {
    await this.serve();
    this.duty.start();
  }

  async stop(): Promise<void> {
    await this.duty.stop();
    await this.components.host.unhandle(this.protocol);
  }
}
