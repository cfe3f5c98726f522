import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { initProviderKeys, KEY_FILE, KeyFileErrorCode, loadProviderKeys } from "../src/keys.ts";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "provider-keys-"));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function code(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe("provider key file", () => {
  it("stores and reloads both keys in the clear without a password", async () => {
    const dir = await tempDir();
    const made = await initProviderKeys(dir);
    const loaded = await loadProviderKeys(dir);
    expect(loaded.address).toBe(made.address);
    expect(loaded.evmPrivateKey).toBe(made.evmPrivateKey);
    expect(loaded.peerId.equals(made.peerId)).toBe(true);
  });

  it("encrypts with a password and refuses a wrong or missing one", async () => {
    const dir = await tempDir();
    const made = await initProviderKeys(dir, { password: "correct horse" });
    const text = await readFile(join(dir, KEY_FILE), "utf8");
    expect(text).not.toContain(made.evmPrivateKey.slice(2));
    expect(text).toContain(made.peerId.toString());
    expect((await loadProviderKeys(dir, { password: "correct horse" })).address).toBe(made.address);
    expect(await code(loadProviderKeys(dir, { password: "wrong" }))).toBe(KeyFileErrorCode.WRONG_PASSWORD);
    expect(await code(loadProviderKeys(dir))).toBe(KeyFileErrorCode.PASSWORD_REQUIRED);
  });

  it("never overwrites an existing key file", async () => {
    const dir = await tempDir();
    const first = await initProviderKeys(dir);
    expect(await code(initProviderKeys(dir))).toBe(KeyFileErrorCode.EXISTS);
    expect((await loadProviderKeys(dir)).address).toBe(first.address);
  });

  it("reports a missing or garbled file by name", async () => {
    const dir = await tempDir();
    expect(await code(loadProviderKeys(dir))).toBe(KeyFileErrorCode.MISSING);
    const { writeFile } = await import("node:fs/promises");
    await writeFile(join(dir, KEY_FILE), "{not json");
    expect(await code(loadProviderKeys(dir))).toBe(KeyFileErrorCode.MALFORMED);
    await writeFile(
      join(dir, KEY_FILE),
      JSON.stringify({
        version: 1,
        address: "0x00",
        peerId: "x",
        plain: { evmPrivateKey: "0x12", peerKey: "0x00" },
      }),
    );
    expect(await code(loadProviderKeys(dir))).toBe(KeyFileErrorCode.MALFORMED);
  });
});
