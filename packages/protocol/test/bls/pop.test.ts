import { bls12_381 } from "@noble/curves/bls12-381.js";
import { encodeAbiParameters, getAddress, keccak256, toHex } from "viem";
import { describe, expect, it } from "vitest";
import {
  BlsErrorCode,
  g1ToEip2537,
  generateSecretKey,
  peerBindingMessage,
  popMessage,
  proveKeyPossession,
  signPeerBinding,
  verifyKeyPossession,
  verifyPeerBinding,
} from "../../src/bls/index.ts";
import { DomainTag, domainSeparator } from "../../src/encoding/domain.ts";
import { backends, expectBlsError, G1_INFINITY, G2_INFINITY, hex } from "./helpers.ts";

const domain = {
  chainId: 31337n,
  verifyingContract: getAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3"),
};
const otherChain = { ...domain, chainId: 1n };
const operator = getAddress("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
const otherOperator = getAddress("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
const skA = generateSecretKey(new Uint8Array(32).fill(0xa1));
const skB = generateSecretKey(new Uint8Array(32).fill(0xb2));

describe("popMessage", () => {
  it("is keccak256(abi.encode(POP tag, domain separator, operator, bytes pkEip2537))", () => {
    const pk = backends[0]!.publicKey(skA);
    const expected = keccak256(
      encodeAbiParameters(
        [{ type: "bytes32" }, { type: "bytes32" }, { type: "address" }, { type: "bytes" }],
        [DomainTag.PROOF_OF_POSSESSION, domainSeparator(domain), operator, toHex(g1ToEip2537(pk))],
      ),
    );
    expect(hex(popMessage(domain, operator, pk))).toBe(expected);
    expect(hex(popMessage(domain, otherOperator, pk))).not.toBe(expected);
    expect(hex(popMessage(otherChain, operator, pk))).not.toBe(expected);
  });

  it("refuses a bad operator or key with a typed error", () => {
    const pk = backends[0]!.publicKey(skA);
    expectBlsError(() => popMessage(domain, "0x1234" as `0x${string}`, pk), BlsErrorCode.INVALID_ADDRESS);
    expectBlsError(() => popMessage(domain, operator, pk.subarray(1)), BlsErrorCode.INVALID_PUBLIC_KEY);
    expectBlsError(() => peerBindingMessage(domain, operator, new Uint8Array(0)), BlsErrorCode.EMPTY_INPUT);
  });
});

describe.each(backends.map((b) => [b.name, b] as const))("proof of possession (%s)", (_name, bls) => {
  const pkA = bls.publicKey(skA);
  const pkB = bls.publicKey(skB);
  const proof = proveKeyPossession(bls, skA, domain, operator);

  it("verifies for the key, operator and domain it was made for", () => {
    expect(verifyKeyPossession(bls, pkA, proof, domain, operator)).toBe(true);
  });

  it("fails for another key, operator or domain", () => {
    expect(verifyKeyPossession(bls, pkB, proof, domain, operator)).toBe(false);
    expect(verifyKeyPossession(bls, pkA, proof, domain, otherOperator)).toBe(false);
    expect(verifyKeyPossession(bls, pkA, proof, otherChain, operator)).toBe(false);
  });

  it("is not a plain signature over the key bytes", () => {
    expect(verifyKeyPossession(bls, pkA, bls.sign(skA, pkA), domain, operator)).toBe(false);
  });

  it("stops the rogue-key attack: a key built from another's cannot prove possession", () => {
    // pk' = pkB - pkA: fastAggregateVerify([pkA, pk'], m, skB*H(m)) would pass,
    // but whoever builds pk' does not know its secret key.
    const rogue = bls12_381.G1.Point.fromBytes(pkB).subtract(bls12_381.G1.Point.fromBytes(pkA)).toBytes(true);
    const message = new Uint8Array(32).fill(9);
    const forged = bls.sign(skB, message);
    expect(bls.fastAggregateVerify([pkA, rogue], message, forged)).toBe(true);
    const bestTry = proveKeyPossession(bls, skB, domain, operator);
    expect(verifyKeyPossession(bls, rogue, bestTry, domain, operator)).toBe(false);
  });

  it("is false, not a throw, for garbage", () => {
    expect(verifyKeyPossession(bls, G1_INFINITY, G2_INFINITY, domain, operator)).toBe(false);
    expect(verifyKeyPossession(bls, new Uint8Array(3), proof, domain, operator)).toBe(false);
    expect(verifyKeyPossession(bls, pkA, proof.subarray(2), domain, operator)).toBe(false);
    expect(verifyKeyPossession(bls, pkA, proof, domain, "0xnothex" as `0x${string}`)).toBe(false);
  });
});

describe.each(backends.map((b) => [b.name, b] as const))("peer binding (%s)", (_name, bls) => {
  const peerId = new Uint8Array([0x00, 0x24, 0x08, 0x01, 0x12, 0x20, ...new Uint8Array(32).fill(7)]);
  const otherPeer = Uint8Array.from(peerId);
  otherPeer[otherPeer.length - 1] = 8;
  const pk = bls.publicKey(skA);
  const signature = signPeerBinding(bls, skA, domain, operator, peerId);

  it("is keccak256(abi.encode(PEER_BINDING tag, domain separator, operator, bytes peerId))", () => {
    const expected = keccak256(
      encodeAbiParameters(
        [{ type: "bytes32" }, { type: "bytes32" }, { type: "address" }, { type: "bytes" }],
        [DomainTag.PEER_BINDING, domainSeparator(domain), operator, toHex(peerId)],
      ),
    );
    expect(hex(peerBindingMessage(domain, operator, peerId))).toBe(expected);
  });

  it("verifies only for the same peer, operator and domain", () => {
    expect(verifyPeerBinding(bls, pk, signature, domain, operator, peerId)).toBe(true);
    expect(verifyPeerBinding(bls, pk, signature, domain, operator, otherPeer)).toBe(false);
    expect(verifyPeerBinding(bls, pk, signature, domain, otherOperator, peerId)).toBe(false);
    expect(verifyPeerBinding(bls, pk, signature, otherChain, operator, peerId)).toBe(false);
    expect(verifyPeerBinding(bls, bls.publicKey(skB), signature, domain, operator, peerId)).toBe(false);
    expect(verifyPeerBinding(bls, pk, signature, domain, operator, new Uint8Array(0))).toBe(false);
  });

  it("a binding is not a proof of possession and vice versa", () => {
    const proof = proveKeyPossession(bls, skA, domain, operator);
    expect(verifyPeerBinding(bls, pk, proof, domain, operator, peerId)).toBe(false);
    expect(verifyKeyPossession(bls, pk, signature, domain, operator)).toBe(false);
  });
});
