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
