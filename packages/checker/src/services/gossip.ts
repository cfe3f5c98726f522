import { AttestationGossip } from "../network/gossip/attestations.ts";
import { EvidenceGossip } from "../network/gossip/evidence.ts";
import type { AttestationValidationContext } from "../validation/attestation.ts";
import type { NodeComponents } from "./components.ts";

/**
 * The attestation topic's validation context: the rules, the shared seen cache, and the equivocation
 * book for conflicts. Attestation sync (services/attestationSync.ts) validates what peers answer with the same.
 */
export function attestationValidation(c: NodeComponents): AttestationValidationContext {
  return {
    domain: c.domain,
    clock: c.clock,
    keys: c.keys,
    seen: c.seen,
    verifier: c.verifier,
    committeeSize: c.params.committeeSize,
    epochs: c.epochs,
    verifiedVrf: new Set(),
    onConflict: (signed) => {
      c.equivocations.onGossipConflict(signed).catch((e: unknown) => {
        c.logger.error({ err: e }, "failed to record an equivocation");
      });
    },
  };
}

/**
 * The attestation topic: validates what peers publish against the shared
 * directories and stores what it accepts; a valid conflicting pair goes to the
 * equivocation book, which stores it and publishes it on the evidence topic. AttestationGossip is itself the
 * service (it subscribes in start and unsubscribes in stop).
 */
export function createGossip(c: NodeComponents): AttestationGossip {
  return new AttestationGossip(
    {
      host: c.host,
      logger: c.logger.child({ service: "gossip" }),
      metrics: c.metrics,
      validation: attestationValidation(c),
    },
    {
      evidence: new EvidenceGossip({
        host: c.host,
        logger: c.logger.child({ service: "evidence" }),
        metrics: c.metrics,
        book: c.equivocations,
      }),
      // Sizes the per-peer validation budget: 2 × 3 × k × providers attestations per epoch.
      providerCount: () => c.providers.providers().length,
      onAttestation: (att) => {
        c.db.putAttestation(att.signed).catch((e: unknown) => {
          c.logger.error({ err: e }, "failed to store a gossip attestation");
        });
      },
    },
  );
}
