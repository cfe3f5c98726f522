import { describe, expect, it } from "vitest";
import { RealSimulation } from "../src/real.ts";
import { resultOf } from "../src/report.ts";
import { loadScenario } from "../src/scenario/load.ts";

const TINY = { "checkers.count": 12, "providers.count": 3, epochs: 2 };

/** Even-numbered checkers sign their attestations with their neighbour's key. */
class ForgingSimulation extends RealSimulation {
  protected override attestationKey(c: number): Uint8Array {
    return super.attestationKey(c % 2 === 0 ? c + 1 : c);
  }
}

describe("real-signature mode", () => {
  it("runs VRF sortition, signed attestations and a co-signed report end to end", async () => {
    const sim = await RealSimulation.create(loadScenario("real-small", TINY));
    await sim.run();
    const t = resultOf(sim).summary.totals;
    expect(t.vrfEvaluations).toBe(12 * 2);
    expect(t.attestationsSigned).toBeGreaterThan(0);
    expect(t.attestationSignaturesVerified).toBeGreaterThan(0);
    expect(t.invalidAttestations).toBe(0);
    expect(t.reportsCoSigned).toBe(2);
    expect(
      (t.latencyRunsVerified ?? 0) + (t.matmulRunsVerified ?? 0) + (t.vramRunsVerified ?? 0),
    ).toBeGreaterThan(0);
  });

  it("drops attestations whose signature does not verify", async () => {
    const sim = await ForgingSimulation.create(loadScenario("real-small", TINY));
    await sim.run();
    const t = resultOf(sim).summary.totals;
    let forged = 0;
    for (let c = 0; c < 12; c += 2) forged += sim.checkerAttestations[c] ?? 0;
    expect(forged).toBeGreaterThan(0);
    // Every forged attestation that reached the aggregator is dropped (a few are lost in gossip first).
    expect(t.invalidAttestations).toBeGreaterThan(0);
    expect(t.invalidAttestations).toBeLessThanOrEqual(forged);
  });
});
