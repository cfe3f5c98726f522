import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";
import { nobleBackend } from "../src/bls/noble.ts";
import {
  decryptKeystore,
  type Eip2335Keystore,
  encryptKeystore,
  KeystoreError,
  KeystoreErrorCode,
} from "../src/keystore.ts";
import pbkdf2Vector from "./vectors/eip2335-pbkdf2.json" with { type: "json" };
import scryptVector from "./vectors/eip2335-scrypt.json" with { type: "json" };

const strip0x = (hex: string) => hex.replace(/^0x/, "");
/** Low work factor: the round-trip tests check the format, not the cost. */
const FAST = 1024;
const secretKey = hexToBytes("263dbd792f5b1be47ed85f8938c0f29586af0d3ac7b977f21c278fe1462040e3");

async function expectKeystoreError(
  promise: Promise<unknown>,
  code: KeystoreErrorCode,
): Promise<KeystoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KeystoreError);
  expect((error as KeystoreError).code).toBe(code);
  return error as KeystoreError;
}

describe("EIP-2335 official test vectors", () => {
  for (const vector of [scryptVector, pbkdf2Vector]) {
    const kdf = vector.keystore.crypto.kdf.function;
    it(`decrypts the ${kdf} vector with the normalized password`, async () => {
      const secret = await decryptKeystore(vector.keystore, vector.password);
      expect(bytesToHex(secret)).toBe(strip0x(vector.secret));
      // The stored pubkey is the secret's public key.
      expect(bytesToHex(nobleBackend.publicKey(secret))).toBe(vector.keystore.pubkey);
    });
  }

  it("normalizes the password: NFKD form and the encoded bytes open the keystore too", async () => {
    const nfkd = new TextDecoder().decode(hexToBytes(strip0x(scryptVector.encodedPassword)));
    expect(nfkd).toBe("testpassword🔑");
    const secret = await decryptKeystore(JSON.stringify(pbkdf2Vector.keystore), nfkd);
    expect(bytesToHex(secret)).toBe(strip0x(pbkdf2Vector.secret));
  });

  it("refuses the vector with a wrong password", async () => {
    const error = await expectKeystoreError(
      decryptKeystore(pbkdf2Vector.keystore, "testpassword"),
      KeystoreErrorCode.WRONG_PASSWORD,
    );
    expect(error.message).toContain("wrong keystore password");
  });
});

describe("encryptKeystore / decryptKeystore", () => {
  it("round-trips with scrypt and pbkdf2 and stores the public key", async () => {
    for (const kdf of ["scrypt", "pbkdf2"] as const) {
      const keystore = await encryptKeystore(secretKey, "correct horse", {
        kdf,
        work: FAST,
        path: "m/12381/60/0/0",
        description: "checker operator key",
      });
      expect(keystore.version).toBe(4);
      expect(keystore.crypto.kdf.function).toBe(kdf);
      expect(keystore.path).toBe("m/12381/60/0/0");
      expect(keystore.description).toBe("checker operator key");
      expect(keystore.pubkey).toBe(bytesToHex(nobleBackend.publicKey(secretKey)));
      expect(keystore.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const opened = await decryptKeystore(JSON.parse(JSON.stringify(keystore)), "correct horse");
      expect(bytesToHex(opened)).toBe(bytesToHex(secretKey));
    }
  });

  it("takes salt, IV and UUID from the random source, so output is reproducible", async () => {
    let counter = 0;
    const random = (n: number) => Uint8Array.from({ length: n }, () => counter++ & 0xff);
    const a = await encryptKeystore(secretKey, "pw", { work: FAST }, random);
    counter = 0;
    const b = await encryptKeystore(secretKey, "pw", { work: FAST }, random);
    expect(a).toEqual(b);
    expect(a.crypto.kdf.function).toBe("scrypt");
    expect(a.crypto.kdf.params.salt).toBe(bytesToHex(Uint8Array.from({ length: 32 }, (_, i) => i)));
  });

  it("strips control codes from the password, as EIP-2335 requires", async () => {
    const keystore = await encryptKeystore(secretKey, "pass word", { work: FAST, kdf: "pbkdf2" });
    const opened = await decryptKeystore(keystore, "pass\u0007 \u007fword\u0085");
    expect(bytesToHex(opened)).toBe(bytesToHex(secretKey));
    await expectKeystoreError(decryptKeystore(keystore, "password"), KeystoreErrorCode.WRONG_PASSWORD);
  });

  it("refuses to store an invalid secret key", async () => {
    await expectKeystoreError(
      encryptKeystore(new Uint8Array(32), "pw"),
      KeystoreErrorCode.INVALID_SECRET_KEY,
    );
    await expectKeystoreError(
      encryptKeystore(new Uint8Array(31), "pw"),
      KeystoreErrorCode.INVALID_SECRET_KEY,
    );
  });
});

describe("malformed keystores", () => {
  const base = async () => encryptKeystore(secretKey, "pw", { work: FAST, kdf: "pbkdf2" });
  const mutate = async (fn: (k: Eip2335Keystore) => void) => {
    const keystore = structuredClone(await base()) as Eip2335Keystore;
    fn(keystore);
    return keystore;
  };

  it("names the problem for broken files", async () => {
    await expectKeystoreError(decryptKeystore("{not json", "pw"), KeystoreErrorCode.MALFORMED);
    await expectKeystoreError(decryptKeystore({ version: 4 }, "pw"), KeystoreErrorCode.MALFORMED);
    await expectKeystoreError(decryptKeystore(null, "pw"), KeystoreErrorCode.MALFORMED);
    const v3 = await mutate((k) => {
      k.version = 3;
    });
    await expectKeystoreError(decryptKeystore(v3, "pw"), KeystoreErrorCode.MALFORMED);
  });

  it("refuses KDF parameters that would exhaust memory or time", async () => {
    const hugeC = await mutate((k) => {
      if (k.crypto.kdf.function === "pbkdf2") k.crypto.kdf.params.c = 2 ** 40;
    });
    const error = await expectKeystoreError(decryptKeystore(hugeC, "pw"), KeystoreErrorCode.MALFORMED);
    expect(error.message).toContain("pbkdf2 parameters");
    const scrypt = structuredClone(scryptVector.keystore) as Eip2335Keystore;
    if (scrypt.crypto.kdf.function === "scrypt") scrypt.crypto.kdf.params.n = 2 ** 30;
    await expectKeystoreError(decryptKeystore(scrypt, scryptVector.password), KeystoreErrorCode.MALFORMED);
  });

  it("refuses a keystore whose pubkey does not match its secret", async () => {
    const other = await mutate((k) => {
      k.pubkey = bytesToHex(nobleBackend.publicKey(hexToBytes(`${"00".repeat(31)}07`)));
    });
    const error = await expectKeystoreError(decryptKeystore(other, "pw"), KeystoreErrorCode.MALFORMED);
    expect(error.message).toContain("pubkey does not match");
  });

  it("reports a tampered ciphertext as a wrong password (the checksum covers it)", async () => {
    const tampered = await mutate((k) => {
      const c = k.crypto.cipher.message;
      k.crypto.cipher.message = (c[0] === "0" ? "1" : "0") + c.slice(1);
    });
    await expectKeystoreError(decryptKeystore(tampered, "pw"), KeystoreErrorCode.WRONG_PASSWORD);
  });
});
