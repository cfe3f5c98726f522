import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  g1FromEip2537,
  g2FromEip2537,
  nobleBackend,
  verifyKeyPossession,
  verifyPeerBinding,
} from "../../src/bls/index.ts";
import { backends, bytes, hex } from "./helpers.ts";
import { type BlsVectors, buildBlsVectors, VECTOR_DOMAIN } from "./vectors.ts";

const FILE = new URL("../vectors/bls.json", import.meta.url);

if (process.env.UPDATE_VECTORS === "1") {
  writeFileSync(FILE, `${JSON.stringify(buildBlsVectors(nobleBackend), null, 2)}\n`);
}

const stored = JSON.parse(readFileSync(FILE, "utf8")) as BlsVectors;

describe("test/vectors/bls.json", () => {
  it.each(backends.map((b) => [b.name, b] as const))(
    "is exactly what the %s backend generates",
    (_name, bls) => {
      expect(buildBlsVectors(bls)).toEqual(stored);
    },
  );

  it("has 4 aggregate signers whose keys and signatures add up", () => {
    const bls = backends[backends.length - 1]!;
    const { aggregate } = stored;
    expect(aggregate.signers).toHaveLength(4);
    const pks = aggregate.signers.map((s) => bytes(s.publicKey));
    expect(bls.fastAggregateVerify(pks, bytes(aggregate.message), bytes(aggregate.aggregateSignature))).toBe(
      true,
    );
    expect(
      bls.verify(
        bytes(aggregate.aggregatePublicKey),
        bytes(aggregate.message),
        bytes(aggregate.aggregateSignature),
      ),
    ).toBe(true);
  });

  it("holds valid proofs of possession and peer binding for the stated domain", () => {
    expect(stored.domain.chainId).toBe(31337);
    expect(stored.domain.verifyingContract).toBe(VECTOR_DOMAIN.verifyingContract);
    for (const bls of backends) {
      for (const entry of stored.proofOfPossession) {
        expect(
          verifyKeyPossession(
            bls,
            bytes(entry.publicKey),
            bytes(entry.signature),
            VECTOR_DOMAIN,
            entry.operator,
          ),
        ).toBe(true);
      }
      const { peerBinding: pb } = stored;
      expect(
        verifyPeerBinding(
          bls,
          bytes(pb.publicKey),
          bytes(pb.signature),
          VECTOR_DOMAIN,
          pb.operator,
          bytes(pb.peerId),
        ),
      ).toBe(true);
    }
  });

  it("EIP-2537 fields decode back to the compressed forms", () => {
    for (const entry of [...stored.single, ...stored.proofOfPossession, ...stored.aggregate.signers]) {
      expect(hex(g1FromEip2537(bytes(entry.publicKeyEip2537)))).toBe(entry.publicKey);
      expect(hex(g2FromEip2537(bytes(entry.signatureEip2537)))).toBe(entry.signature);
    }
  });
});
