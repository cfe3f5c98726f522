import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadBlsBackend } from "@checkernet/protocol/bls/index";
import { KeystoreError } from "@checkernet/protocol/keystore";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { bytesToHex } from "viem";
import { describe, expect, it } from "vitest";
import { PasswordError, resolvePassword } from "../../../src/keys/password.ts";
import {
  importKeystore,
  initKeys,
  isWrongPassword,
  KeysError,
  loadOrCreatePeerKey,
  showKeys,
  unlockOperatorKey,
} from "../../../src/keys/store.ts";

const WORK = 1024;
const dir = () => mkdtempSync(join(tmpdir(), "checker-keys-"));

describe("keys", () => {
  it("init creates a keystore that unlocks to the shown public key, and a stable peer key", async () => {
    const d = dir();
    const info = await initKeys({ dataDir: d, password: "correct horse", kdfWork: WORK });
    expect(statSync(info.keystorePath).mode & 0o777).toBe(0o600);
    expect(statSync(info.peerKeyPath).mode & 0o777).toBe(0o600);
    const shown = await showKeys(d);
    expect(shown.publicKey).toBe(info.publicKey);
    expect(shown.peerId).toBe(info.peerId);
    const sk = await unlockOperatorKey(d, "correct horse");
    const bls = await loadBlsBackend("auto");
    expect(bytesToHex(bls.publicKey(sk))).toBe(info.publicKey);
    expect(peerIdFromPrivateKey((await loadOrCreatePeerKey(d)) as never).toString()).toBe(info.peerId);
  });

  it("a wrong password is a WRONG_PASSWORD KeystoreError", async () => {
    const d = dir();
    await initKeys({ dataDir: d, password: "right", kdfWork: WORK });
    const err = await unlockOperatorKey(d, "wrong").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeystoreError);
    expect(isWrongPassword(err)).toBe(true);
  });

  it("init refuses to overwrite keys unless forced", async () => {
    const d = dir();
    const first = await initKeys({ dataDir: d, password: "pw", kdfWork: WORK });
    await expect(initKeys({ dataDir: d, password: "pw", kdfWork: WORK })).rejects.toThrow(KeysError);
    const second = await initKeys({ dataDir: d, password: "pw", kdfWork: WORK, force: true });
    expect(second.publicKey).not.toBe(first.publicKey);
  });

  it("import checks the password before writing, then copies the keystore and creates a peer key", async () => {
    const src = dir();
    const made = await initKeys({ dataDir: src, password: "pw", kdfWork: WORK });
    const dst = dir();
    await expect(
      importKeystore({ dataDir: dst, file: made.keystorePath, password: "nope" }),
    ).rejects.toSatisfy(isWrongPassword);
    await expect(showKeys(dst)).rejects.toThrow(/run `checker init` first/);
    const imported = await importKeystore({ dataDir: dst, file: made.keystorePath, password: "pw" });
    expect(imported.publicKey).toBe(made.publicKey);
    expect(imported.peerId).not.toBe(made.peerId);
    const bad = join(dir(), "broken.json");
    writeFileSync(bad, "{ nope");
    await expect(importKeystore({ dataDir: dir(), file: bad, password: "pw" })).rejects.toThrow(
      /cannot read keystore/,
    );
  });

  it("password sources: file first line, then CHECKER_PASSWORD, else a clear error without a terminal", async () => {
    const f = join(dir(), "pw");
    writeFileSync(f, "from-file\nignored\n");
    expect(await resolvePassword({ passwordFile: f, env: { CHECKER_PASSWORD: "env" } })).toBe("from-file");
    expect(await resolvePassword({ env: { CHECKER_PASSWORD: "env" } })).toBe("env");
    const notTty = Object.assign(new (await import("node:stream")).PassThrough(), { isTTY: false });
    await expect(resolvePassword({ env: {}, input: notTty })).rejects.toThrow(PasswordError);
    writeFileSync(f, "\n");
    await expect(resolvePassword({ passwordFile: f })).rejects.toThrow(/is empty/);
    await expect(resolvePassword({ passwordFile: "/nonexistent/pw" })).rejects.toThrow(
      /cannot read password file/,
    );
    expect(readFileSync(f, "utf8")).toBe("\n");
  });
});
