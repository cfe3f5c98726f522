import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { attestationSigningRoot } from "@checkernet/protocol/encoding/attestation";
import { CheckResult } from "@checkernet/protocol/types";
import { bytesToHex, type Hex, hexToBytes, keccak256 } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import { CheckerDb } from "../../../src/db/checkerDb.ts";
import { SlashingProtectionError } from "../../../src/db/errors.ts";
import {
  bls,
  DOMAIN,
  makeAttestation,
  makeChecker,
  randomAddress,
  signAttestation,
} from "../../utils/fixtures.ts";

const VRF = `0x${"11".repeat(96)}` as Hex;
const open: CheckerDb[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((d) => d.close()));
});

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "checker-db-"));
}

async function openDb(dataDir = tempDir()): Promise<CheckerDb> {
  const db = await CheckerDb.open({ dataDir });
  open.push(db);
  return db;
}

describe("CheckerDb", () => {
  it("signAttestationSafely: signs once, returns the stored signature for the same attestation, refuses a different one", async () => {
    const db = await openDb();
    const b = await bls();
    const me = await makeChecker();
    const provider = randomAddress();
    let signatures = 0;
    const sign = (root: Uint8Array) => {
      signatures++;
      return b.sign(me.secretKey, root);
    };
    const att = makeAttestation(me.address, provider, 7n);
    const first = await db.signAttestationSafely(att, DOMAIN, VRF, sign);
    expect(b.verify(me.publicKey, attestationSigningRoot(att, DOMAIN), hexToBytes(first.signature))).toBe(
      true,
    );
    const again = await db.signAttestationSafely(att, DOMAIN, VRF, sign);
    expect(again.signature).toBe(first.signature);
    expect(signatures).toBe(1);

    const conflicting = makeAttestation(me.address, provider, 7n, { result: CheckResult.FAIL });
    await expect(db.signAttestationSafely(conflicting, DOMAIN, VRF, sign)).rejects.toThrow(
      SlashingProtectionError,
    );
    await expect(db.signAttestationSafely(conflicting, DOMAIN, VRF, sign)).rejects.toThrow(
      /refusing to sign a second, different attestation for epoch 7/,
    );
    expect(signatures).toBe(1);
    // Other epochs and other providers are independent.
    await db.signAttestationSafely(makeAttestation(me.address, provider, 8n), DOMAIN, VRF, sign);
    await db.signAttestationSafely(makeAttestation(me.address, randomAddress(), 7n), DOMAIN, VRF, sign);
    expect(signatures).toBe(3);
    // Our own signed attestation was stored in the same batch.
    expect((await db.getAttestation(7n, provider, me.address))?.signature).toBe(first.signature);
  });

  it("serializes concurrent sign requests for one (epoch, provider): exactly one of two different attestations is signed", async () => {
    const db = await openDb();
    const b = await bls();
    const me = await makeChecker();
    const provider = randomAddress();
    const sign = (root: Uint8Array) => b.sign(me.secretKey, root);
    const results = await Promise.allSettled([
      db.signAttestationSafely(makeAttestation(me.address, provider, 3n), DOMAIN, VRF, sign),
      db.signAttestationSafely(
        makeAttestation(me.address, provider, 3n, { result: CheckResult.TIMEOUT }),
        DOMAIN,
        VRF,
        sign,
      ),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
  });

  it("stores attestations, transcripts, no-run reasons and reports and reads them back after a reopen", async () => {
    const dir = tempDir();
    const db = await openDb(dir);
    const c = await makeChecker();
    const provider = randomAddress();
    const signed = await signAttestation(c, makeAttestation(c.address, provider, 4n));
    const transcript = new TextEncoder().encode("ping ping pong");
    await db.putAttestationWithTranscript(signed, transcript);
    const others = await Promise.all(
      [1, 2, 3].map(async () => {
        const o = await makeChecker();
        return signAttestation(o, makeAttestation(o.address, provider, 4n));
      }),
    );
    await db.putAttestations(others);
    await db.putAttestation(await signAttestation(c, makeAttestation(c.address, provider, 5n)));
    await db.putReport(4n, new Uint8Array([1, 2, 3]));
    await db.putMeta("lastEpoch", "4");
    const noRun = { code: "UNUSABLE_REGISTRY_ENTRY", field: "region", message: 'unknown region "mars"' };
    await db.putNoRunReason(4n, provider, noRun);
    await db.putNoRunReason(5n, provider, noRun);
    await db.close();
    open.splice(0);

    const again = await openDb(dir);
    expect(await again.getAttestation(4n, provider, c.address)).toEqual(signed);
    expect(await again.getTranscript(signed.attestation.transcriptHash)).toEqual(transcript);
    expect((await again.attestationsOfEpoch(4n)).length).toBe(4);
    expect((await again.attestationsOfEpoch(5n)).length).toBe(1);
    expect(await again.getReport(4n)).toEqual(new Uint8Array([1, 2, 3]));
    expect(await again.getMeta("lastEpoch")).toBe("4");
    expect(await again.getTranscript(keccak256("0x01"))).toBeUndefined();
    expect(await again.getNoRunReason(4n, provider)).toEqual(noRun);
    expect(await again.getNoRunReason(4n, randomAddress())).toBeUndefined();
    expect(await again.prune(5n)).toBe(4);
    expect((await again.attestationsOfEpoch(4n)).length).toBe(0);
    // A no-run reason goes with the epoch's attestations.
    expect(await again.getNoRunReason(4n, provider)).toBeUndefined();
    expect(await again.getNoRunReason(5n, provider)).toEqual(noRun);
  });

  it("survives SIGKILL of a writer mid-stream: no acknowledged write lost, no double-signing after restart", async () => {
    const dir = tempDir();
    const b = await bls();
    const me = await makeChecker();
    const provider = randomAddress();
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(import.meta.dirname, "../../fixtures/dbWriter.ts")],
      {
        env: {
          ...process.env,
          DATA_DIR: dir,
          SECRET_KEY: bytesToHex(me.secretKey),
          CHECKER: me.address,
          PROVIDER: provider,
        },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    const acked = new Map<bigint, Hex>();
    let buffer = "";
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on("exit", (_code, signal) => resolve(signal)),
    );
    await new Promise<void>((resolve, reject) => {
      child.on("error", reject);
      child.stdout!.on("data", (chunk: Buffer) => {
        buffer += chunk.toString();
        const lines = buffer.split("\n");
        buffer = lines.pop()!;
        for (const line of lines) {
          const [tag, epoch, sig] = line.split(" ");
          if (tag === "ack") acked.set(BigInt(epoch!), sig as Hex);
        }
        // Kill mid-stream, while writes are in flight.
        if (acked.size >= 40 && !child.killed) {
          child.kill("SIGKILL");
          resolve();
        }
      });
      child.on("exit", () => resolve());
    });
    expect(await exited).toBe("SIGKILL");
    expect(acked.size).toBeGreaterThanOrEqual(40);

    const db = await openDb(dir);
    let stored = 0;
    for (const [epoch, sig] of acked) {
      const rec = await db.getSlashingRecord(epoch, provider);
      expect(rec?.signature).toBe(sig);
      stored++;
    }
    expect(stored).toBe(acked.size);
    const sign = (root: Uint8Array) => b.sign(me.secretKey, root);
    const lastAcked = [...acked.keys()].reduce((a, x) => (x > a ? x : a), 0n);
    // Same attestation after restart: the stored signature, not a new one.
    const same = await db.signAttestationSafely(
      makeAttestation(me.address, provider, lastAcked),
      DOMAIN,
      VRF,
      sign,
    );
    expect(same.signature).toBe(acked.get(lastAcked));
    // A different one for an acknowledged (epoch, provider): refused.
    for (const epoch of [1n, lastAcked]) {
      await expect(
        db.signAttestationSafely(
          makeAttestation(me.address, provider, epoch, { result: CheckResult.FAIL }),
          DOMAIN,
          VRF,
          sign,
        ),
      ).rejects.toThrow(SlashingProtectionError);
    }
    // The write in flight when killed is either fully there or fully absent.
    const inFlight = lastAcked + 1n;
    const rec = await db.getSlashingRecord(inFlight, provider);
    const own = await db.getAttestation(inFlight, provider, me.address);
    expect(rec === undefined).toBe(own === undefined);
  });
});
