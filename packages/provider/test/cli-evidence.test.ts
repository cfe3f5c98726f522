import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkerRegistryAbi } from "@checkernet/contracts/generated/index";
import { g1ToEip2537, g2ToEip2537 } from "@checkernet/protocol/bls/eip2537";
import { generateSecretKey } from "@checkernet/protocol/bls/keygen";
import { nobleBackend } from "@checkernet/protocol/bls/noble";
import { proveKeyPossession } from "@checkernet/protocol/bls/pop";
import { attestationSigningRoot, signedAttestationCodec } from "@checkernet/protocol/encoding/attestation";
import { type Attestation, ChallengeKind, CheckResult } from "@checkernet/protocol/types";
import {
  EVIDENCE_PROTOCOL,
  encodeFrame,
  evidenceNoRunCodec,
  evidenceRequestCodec,
  FrameReader,
  FrameType,
} from "@checkernet/wire";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Libp2p } from "@libp2p/interface";
import { type Address, bytesToHex, getAddress, zeroHash } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveJsonRpc } from "../../contracts/test/utils/jsonRpcServer.ts";
import { HOW_TO_CHANGE_FROZEN_FIELDS } from "../src/chain/errors.ts";
import { createProviderHost } from "../src/host.ts";
import { deployedNetwork } from "./utils/chain.ts";
import { runProvider } from "./utils/cli.ts";

const provider = (args: string[]) => runProvider(args);

const UNKNOWN_MODEL = {
  code: "UNUSABLE_REGISTRY_ENTRY",
  field: "gpuModel",
  message: 'registry entry not usable (gpuModel): unknown GPU model "h100"',
};

/** What a checker signs for a member whose registry entry it cannot use: FAIL, no numbers, no transcript. */
function noRunAttestation(epoch: bigint, provider: Address, checker: Address): Attestation {
  return {
    epoch,
    provider,
    checker,
    kind: ChallengeKind.LATENCY,
    result: CheckResult.FAIL,
    latencyP50Us: 0,
    latencyP95Us: 0,
    throughput: 0n,
    transcriptHash: zeroHash,
  };
}

/**
 * `provider evidence` end to end: a checker registered on-chain with a real
 * BLS key (proof of possession) and a real peer id runs an evidence endpoint;
 * the CLI looks the checker up in the registry, dials its registered peer id
 * and reports what it answered.
 */
describe("provider evidence CLI", () => {
  let dir: string;
  let rpc: Server;
  let rpcUrl: string;
  let deploymentFile: string;
  let endpoint: Libp2p;
  let checkerAddress: string;

  beforeAll(async () => {
    const { connection, publicClient, checkerWallet, deployment } = await deployedNetwork();

    endpoint = await createProviderHost({
      privateKey: await generateKeyPair("Ed25519"),
      listen: ["/ip4/127.0.0.1/tcp/0"],
    });
    const sk = generateSecretKey(new Uint8Array(32).fill(9));
    const domain = {
      chainId: BigInt(deployment.chainId),
      verifyingContract: deployment.contracts.epochReports,
    };
    checkerAddress = getAddress(checkerWallet.account.address);
    // Epoch 3: a FAIL signed without a run (the provider's GPU model unknown to the checker); else none.
    await endpoint.handle(EVIDENCE_PROTOCOL, async (stream) => {
      const { body } = await new FrameReader(stream).read(
        { [FrameType.EVIDENCE_REQUEST]: evidenceRequestCodec.maxBytes },
        Date.now() + 5_000,
      );
      const { epoch, provider } = evidenceRequestCodec.decode(body);
      if (epoch !== 3n) {
        stream.send(
          encodeFrame(FrameType.ERROR, new TextEncoder().encode("no evidence for this epoch and provider")),
        );
      } else {
        const attestation = noRunAttestation(epoch, provider, checkerAddress as Address);
        const signature = bytesToHex(nobleBackend.sign(sk, attestationSigningRoot(attestation, domain)));
        const signed = { attestation, signature, vrfProof: bytesToHex(new Uint8Array(96).fill(7)) };
        const answer = { attestation: bytesToHex(signedAttestationCodec.encode(signed)), ...UNKNOWN_MODEL };
        stream.send(encodeFrame(FrameType.EVIDENCE_NO_RUN, evidenceNoRunCodec.encode(answer)));
      }
      await stream.close();
    });
    const pop = proveKeyPossession(nobleBackend, sk, domain, checkerWallet.account.address);
    const hash = await checkerWallet.writeContract({
      address: deployment.contracts.checkerRegistry,
      abi: checkerRegistryAbi,
      functionName: "register",
      args: [
        bytesToHex(g1ToEip2537(nobleBackend.publicKey(sk))),
        bytesToHex(g2ToEip2537(pop)),
        bytesToHex(endpoint.peerId.toMultihash().bytes),
      ],
    });
    await publicClient.waitForTransactionReceipt({ hash });

    ({ server: rpc, url: rpcUrl } = await serveJsonRpc(connection.provider));
    dir = await mkdtemp(join(tmpdir(), "provider-evidence-cli-"));
    deploymentFile = join(dir, "deployment.json");
    await writeFile(
      deploymentFile,
      JSON.stringify(deployment, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
    );
    const init = await provider(["init", "-d", join(dir, "p"), "--insecure-plaintext-keys"]);
    expect(init.code).toBe(0);
  });

  afterAll(async () => {
    rpc?.close();
    await endpoint?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("asks the registered checker at its registered peer id and reports its answer", async () => {
    const addr = endpoint.getMultiaddrs()[0]?.toString() as string;
    const common = ["-d", join(dir, "p"), "--rpc", rpcUrl, "--deployment", deploymentFile];
    const out = await provider(["evidence", "2", "--checker", `${checkerAddress}@${addr}`, ...common]);
    expect(out.stderr).toBe("");
    expect(JSON.parse(out.stdout)).toEqual([
      { checker: checkerAddress, status: "not-found", reason: expect.stringContaining("no evidence") },
    ]);

    // A FAIL without a run: the signed attestation and why, with the registry field to fix.
    const noRun = await provider(["evidence", "3", "--checker", `${checkerAddress}@${addr}`, ...common]);
    expect(noRun.stderr).toBe("");
    expect(JSON.parse(noRun.stdout)).toEqual([
      {
        checker: checkerAddress,
        status: "no-run",
        reason: `no run: registry entry not usable (gpuModel): unknown GPU model "h100"; fix the registry's gpuModel (${HOW_TO_CHANGE_FROZEN_FIELDS})`,
        claimed: expect.objectContaining({ epoch: "3", result: CheckResult.FAIL, transcriptHash: zeroHash }),
        noRun: UNKNOWN_MODEL,
      },
    ]);

    // The right address with another peer id: refused before dialing, since the registry names another peer.
    const { peerIdFromPrivateKey } = await import("@libp2p/peer-id");
    const other = peerIdFromPrivateKey(await generateKeyPair("Ed25519")).toString();
    const impostor = addr.replace(endpoint.peerId.toString(), other);
    const refused = await provider([
      "evidence",
      "2",
      "--checker",
      `${checkerAddress}@${impostor}`,
      ...common,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^error: checker 0x[0-9a-fA-F]{40} registered peer 0x[0-9a-f]+, not 12D3KooW/,
    );
  });
});
