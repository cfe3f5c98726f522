import { AttestationGossip } from "../network/gossip/attestations.ts";
import type { NodeComponents } from "./components.ts";

/**
 * The attestation topic: validates what peers publish against the shared
 * directories and stores what it accepts. AttestationGossip is itself the
 * service (it subscribes in start and unsubscribes in stop).
 */
export function createGossip(c: NodeComponents): AttestationGossip {
  return new AttestationGossip(
    {
      host: c.host,
      logger: c.logger.child({ service: "gossip" }),
      metrics: c.metrics,
      validation: {
        domain: c.domain,
        clock: c.clock,
        keys: c.keys,
        seen: c.seen,
        verifier: c.verifier,
        committeeSize: c.params.committeeSize,
        epochs: c.epochs,
        verifiedVrf: new Set(),
      },
    },
    {
      onAttestation: (att) => {
        c.db.putAttestation(att.signed).catch((e: unknown) => {
          c.logger.error({ err: e }, "failed to store a gossip attestation");
        });
      },
    },
  );
}
