import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@checkernet/runtime";
import { encodeFrame, FrameReader, type FrameType } from "@checkernet/wire";
import { keccak256, toHex } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import type { CheckerHost } from "../../../src/network/host.ts";
import {
  COSIGN_PROTOCOL,
  CosignError,
  CosignErrorCode,
  CosignFrameType,
  type CosignRequest,
  cosignRequestCodec,
  handleCosign,
  requestCosign,
} from "../../../src/network/reqresp/cosign.ts";
import { CHECKER_BIN } from "../../utils/cli.ts";
import { makeAttestation, makeChecker, randomAddress, signAttestation } from "../../utils/fixtures.ts";
import { freePort } from "../../utils/freePort.ts";
import { loopbackHost, stopHosts } from "../../utils/hosts.ts";

const silent = createLogger({ level: "silent", pretty: false });
const hosts: CheckerHost[] = [];
afterEach(async () => {
  await stopHosts(hosts);
});

async function host(): Promise<CheckerHost> {
  const h = await loopbackHost();
  hosts.push(h);
  return h;
}

async function request(): Promise<CosignRequest> {
  const c = await makeChecker();
  const provider = randomAddress();
  return {
    header: {
      epoch: 3n,
      seed: keccak256(toHex("seed")),
      resultsRoot: keccak256(toHex("r")),
      rewardsRoot: keccak256(toHex("w")),
      totalRewards: 10n,
      providerCount: 1,
      attestationCount: 1,
    },
    attestations: [await signAttestation(c, makeAttestation(c.address, provider, 3n))],
  };
}

describe("/checkernet/cosign/1.0.0", () => {
  it("round-trips the request codec and refuses trailing bytes and zero epochs", async () => {
    const req = await request();
    const bytes = cosignRequestCodec.encode(req);
    expect(cosignRequestCodec.decode(bytes)).toEqual(req);
    expect(() => cosignRequestCodec.decode(new Uint8Array([...bytes, 0]))).toThrow();
    expect(() => cosignRequestCodec.encode({ ...req, header: { ...req.header, epoch: 0n } })).not.toThrow();
    expect(() =>
      cosignRequestCodec.decode(cosignRequestCodec.encode({ ...req, header: { ...req.header, epoch: 0n } })),
    ).toThrow(/epoch/);
  });

  it("answers with the handler's signature, sends refusals back as REFUSED, and survives garbage", async () => {
    const a = await host();
    const b = await host();
    await a.peerStore.merge(b.peerId, { multiaddrs: b.getMultiaddrs() });
    const seen: bigint[] = [];
    await handleCosign(b, {
      logger: silent,
      onRequest: async (req) => {
        seen.push(req.header.epoch);
        if (req.header.totalRewards > 10n) throw new Error("proposed report differs in totalRewards");
        return new Uint8Array(96).fill(7);
      },
    });
    const req = await request();
    expect(await requestCosign(a, b.peerId, req)).toEqual(new Uint8Array(96).fill(7));
    const refused = (await requestCosign(a, b.peerId, {
      ...req,
      header: { ...req.header, totalRewards: 11n },
    }).catch((e: unknown) => e)) as CosignError;
    expect(refused).toBeInstanceOf(CosignError);
    expect(refused.code).toBe(CosignErrorCode.REFUSED);
    expect(refused.message).toMatch(/differs in totalRewards/);

    // Garbage in a well-formed frame: an ERROR frame back, the handler never runs.
    const stream = await a.dialProtocol(b.peerId, COSIGN_PROTOCOL);
    stream.send(encodeFrame(CosignFrameType.COSIGN_REQUEST, new Uint8Array(100).fill(1)));
    const err = (await new FrameReader(stream)
      .read({ [CosignFrameType.COSIGN_RESPONSE]: 96 }, Date.now() + 5_000)
      .catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/answered with an error/);
    // A frame declaring more than the protocol allows is cut off.
    const big = await a.dialProtocol(b.peerId, COSIGN_PROTOCOL);
    big.send(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x40 as FrameType]));
    await expect(
      new FrameReader(big).read({ [CosignFrameType.COSIGN_RESPONSE]: 96 }, Date.now() + 5_000),
    ).rejects.toThrow();
    // Still serving.
    expect(await requestCosign(a, b.peerId, req)).toHaveLength(96);
    expect(seen).toEqual([3n, 3n, 3n]);

    // Nobody listening: UNREACHABLE, quickly.
    const c = await host();
    await c.stop();
    await a.peerStore.merge(c.peerId, { multiaddrs: c.getMultiaddrs() });
    const gone = (await requestCosign(a, c.peerId, req, { timeoutMs: 2_000 }).catch(
      (e: unknown) => e,
    )) as CosignError;
    expect(gone.code).toBe(CosignErrorCode.UNREACHABLE);
  }, 30_000);
});

describe("checker rewards / claim (CLI errors)", () => {
  const run = (args: string[], env: Record<string, string>) =>
    spawnSync(process.execPath, [CHECKER_BIN, ...args], {
      encoding: "utf8",
      env: { ...process.env, ...env },
      timeout: 20_000,
    });

  it("names what is missing: contracts, the RPC, the EVM key", async () => {
    const d = mkdtempSync(join(tmpdir(), "checker-rewards-"));
    const unconfigured = run(["-d", d, "rewards"], {});
    expect(unconfigured.status).toBe(1);
    expect(unconfigured.stderr).toMatch(
      /^error: verifyingContract is not configured: no -c <config.json> or --network <network.json> given .*; e\.g\. checker --network network\.json -d \S+ rewards \[CLI_ERROR_MISSING_FLAG\]\n$/,
    );
    const contracts = {
      CHECKER_VERIFYING_CONTRACT: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
      CHECKER_REWARDS: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
      CHECKER_LICENSE: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
      CHECKER_RPC_URL: `http://127.0.0.1:${await freePort()}`,
    };
    const down = run(["-d", d, "rewards"], contracts);
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/^error: cannot read the chain at http:\/\/127\.0\.0\.1:\d+/);
    const noKey = run(["-d", d, "claim"], contracts);
    expect(noKey.status).toBe(1);
    expect(noKey.stderr).toBe("error: no EVM key to claim with: set CHECKER_TX_KEY or txKeyFile\n");
    const badKey = run(["-d", d, "claim"], { ...contracts, CHECKER_TX_KEY: "0x1234" });
    expect(badKey.status).toBe(1);
    expect(badKey.stderr).toMatch(/"txPrivateKey".*32-byte hex private key/);
    expect(badKey.stderr).not.toMatch(/0x1234/);
  }, 60_000);
});
