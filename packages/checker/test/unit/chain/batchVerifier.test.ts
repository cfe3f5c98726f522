import { randomBytes } from "node:crypto";
import type { SignatureSet } from "@checkernet/protocol/bls/backend";
import { describe, expect, it } from "vitest";
import { createMetrics } from "../../../src/metrics/index.ts";
import { BlsBatchVerifier } from "../../../src/validation/bls/batchVerifier.ts";
import { bls, makeChecker } from "../../utils/fixtures.ts";

async function sets(n: number): Promise<SignatureSet[]> {
  const b = await bls();
  const c = await makeChecker();
  return Array.from({ length: n }, () => {
    const message = randomBytes(32);
    return { publicKey: c.publicKey, message, signature: b.sign(c.secretKey, message) };
  });
}

describe("BlsBatchVerifier", () => {
  it("verifies concurrent sets in one batch", async () => {
    const metrics = createMetrics();
    const v = new BlsBatchVerifier({ backend: await bls(), maxSets: 8, maxWaitMs: 50, metrics });
    const all = await sets(8);
    expect(await Promise.all(all.map((s) => v.verify(s)))).toEqual(Array(8).fill(true));
    const hist = await metrics.blsBatchSets.get();
    expect(hist.values.find((x) => x.metricName === "checker_bls_batch_sets_count")?.value).toBe(1);
    expect((await metrics.blsBatchRetries.get()).values[0]?.value ?? 0).toBe(0);
  });

  it("finds the one bad signature of a failed batch and passes the others", async () => {
    const metrics = createMetrics();
    const v = new BlsBatchVerifier({ backend: await bls(), maxSets: 5, maxWaitMs: 50, metrics });
    const all = await sets(5);
    const bad = all[2]!;
    all[2] = { ...bad, message: randomBytes(32) };
    expect(await Promise.all(all.map((s) => v.verify(s)))).toEqual([true, true, false, true, true]);
    expect((await metrics.blsBatchRetries.get()).values[0]?.value).toBe(1);
  });

  it("answers false, never throws, for garbage keys and signatures; flushes on the timer", async () => {
    const v = new BlsBatchVerifier({ backend: await bls(), maxSets: 100, maxWaitMs: 5 });
    const [good] = await sets(1);
    const results = await Promise.all([
      v.verify(good!),
      v.verify({ publicKey: new Uint8Array(48).fill(7), message: good!.message, signature: good!.signature }),
      v.verify({ publicKey: good!.publicKey, message: good!.message, signature: new Uint8Array(3) }),
    ]);
    expect(results).toEqual([true, false, false]);
    v.stop();
    expect(await v.verify(good!)).toBe(true);
  });
});
