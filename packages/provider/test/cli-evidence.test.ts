import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkerRegistryAbi } from "@checkernet/contracts/generated/index";
import { g1ToEip2537, g2ToEip2537 } from "@checkernet/protocol/bls/eip2537";
import { generateSecretKey } from "@checkernet/protocol/bls/keygen";
import { nobleBackend } from "@checkernet/protocol/bls/noble";
import { proveKeyPossession } from "@checkernet/protocol/bls/pop";
import { EVIDENCE_PROTOCOL, encodeFrame, FrameType } from "@checkernet/wire";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Libp2p } from "@libp2p/interface";
import { bytesToHex, getAddress } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveJsonRpc } from "../../contracts/test/utils/jsonRpcServer.ts";
import { createProviderHost } from "../src/host.ts";
import { deployedNetwork } from "./utils/chain.ts";
import { runProvider } from "./utils/cli.ts";

const provider = (args: string[]) => runProvider(args);

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
    await endpoint.handle(EVIDENCE_PROTOCOL, (stream) => {
      stream.send(
        encodeFrame(FrameType.ERROR, new TextEncoder().encode("no evidence for this epoch and provider")),
      );
      void stream.close();
    });
    const sk = generateSecretKey(new Uint8Array(32).fill(9));
    const domain = {
      chainId: BigInt(deployment.chainId),
      verifyingContract: deployment.contracts.epochReports,
    };
    checkerAddress = getAddress(checkerWallet.account.address);
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
