/**
 * Signature throughput of the two BLS backends side by side, with noble's
 * secp256k1 ECDSA verify as a reference row. Each row runs for about
 * ROW_BUDGET_MS (at least one timed call), so the whole bench takes about a
 * minute. Prints a table and writes bench/results/signatures.json.
 *
 *   npm run bench:signatures
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { sha256 } from "@noble/hashes/sha2.js";
import type { BlsBackend, SignatureSet } from "../packages/protocol/src/bls/backend.ts";
import { generateSecretKey, loadBlsBackend, nobleBackend } from "../packages/protocol/src/bls/index.ts";

const ROW_BUDGET_MS = 1500;
const SIGNERS = 100;

interface Row {
  operation: string;
  backend: string;
  opsPerSec: number;
  msPerOp: number;
  iterations: number;
}

/**
 * Calls fn until the budget is spent (at least once). When there are enough
 * calls the first is dropped as warm-up (JIT, precomputed tables).
 */
function measure(operation: string, backend: string, fn: () => unknown): Row {
  const times: number[] = [];
  const start = performance.now();
  while (times.length === 0 || performance.now() - start < ROW_BUDGET_MS) {
    const t0 = performance.now();
    const result = fn();
    times.push(performance.now() - t0);
    if (result === false) throw new Error(`${backend} ${operation}: verification failed`);
  }
  const counted = times.length >= 3 ? times.slice(1) : times;
  const total = counted.reduce((a, b) => a + b, 0);
  const msPerOp = total / counted.length;
  const row = { operation, backend, opsPerSec: 1000 / msPerOp, msPerOp, iterations: counted.length };
  console.error(
    `  ${backend.padEnd(6)} ${operation.padEnd(40)} ${row.opsPerSec.toFixed(1).padStart(10)} ops/s`,
  );
  return row;
}

const label = (text: string) => new TextEncoder().encode(text);

async function main(): Promise<void> {
  const blst = await loadBlsBackend("auto");
  const backends: BlsBackend[] = blst.name === "blst" ? [nobleBackend, blst] : [nobleBackend];
  if (blst.name !== "blst") console.error("blst did not load: noble only");
  // Fixtures are made with the fastest backend; both produce identical bytes.
  const fast = backends[backends.length - 1]!;
  const secretKeys = Array.from({ length: SIGNERS }, (_, i) =>
    generateSecretKey(sha256(label(`bench key ${i}`))),
  );
  const publicKeys = secretKeys.map((k) => fast.publicKey(k));
  const root = sha256(label("bench signing root"));
  const sameMessageSigs = secretKeys.map((k) => fast.sign(k, root));
  const aggregate = fast.aggregateSignatures(sameMessageSigs);
  const batch: SignatureSet[] = secretKeys.map((k, i) => {
    const message = sha256(label(`bench message ${i}`));
    return { publicKey: publicKeys[i]!, message, signature: fast.sign(k, message) };
  });
  const sk = secretKeys[0]!;
  const pk = publicKeys[0]!;
  const sig = sameMessageSigs[0]!;

  const rows: Row[] = [];
  for (const bls of backends) {
    console.error(`${bls.name}:`);
    rows.push(measure("sign", bls.name, () => bls.sign(sk, root)));
    rows.push(measure("verify", bls.name, () => bls.verify(pk, root, sig)));
    rows.push(
      measure(`fastAggregateVerify (${SIGNERS} signers)`, bls.name, () =>
        bls.fastAggregateVerify(publicKeys, root, aggregate),
      ),
    );
    rows.push(measure(`verifyBatch (${SIGNERS} distinct messages)`, bls.name, () => bls.verifyBatch(batch)));
    rows.push(
      measure(`aggregateSignatures (${SIGNERS})`, bls.name, () => bls.aggregateSignatures(sameMessageSigs)),
    );
  }

  const ecdsaKey = sha256(label("bench secp256k1 key"));
  const ecdsaPub = secp256k1.getPublicKey(ecdsaKey);
  const ecdsaSig = secp256k1.sign(root, ecdsaKey, { prehash: false });
  console.error("reference:");
  rows.push(
    measure("secp256k1 ECDSA verify", "noble", () =>
      secp256k1.verify(ecdsaSig, root, ecdsaPub, { prehash: false }),
    ),
  );

  const operations = [...new Set(rows.map((r) => r.operation))];
  const find = (operation: string, backend: string) =>
    rows.find((r) => r.operation === operation && r.backend === backend);
  const table = operations.map((operation) => {
    const noble = find(operation, "noble");
    const native = find(operation, "blst");
    return {
      operation,
      "noble ops/s": noble ? Number(noble.opsPerSec.toFixed(1)) : "-",
      "noble ms/op": noble ? Number(noble.msPerOp.toFixed(2)) : "-",
      "blst ops/s": native ? Number(native.opsPerSec.toFixed(1)) : "-",
      "blst ms/op": native ? Number(native.msPerOp.toFixed(3)) : "-",
      "blst/noble": noble && native ? `${(native.opsPerSec / noble.opsPerSec).toFixed(1)}x` : "-",
    };
  });
  console.table(table);
  const perSig = (backend: string) => {
    const row = find(`verifyBatch (${SIGNERS} distinct messages)`, backend);
    return row ? (row.opsPerSec * SIGNERS).toFixed(0) : "-";
  };
  console.log(`batched verification: noble ${perSig("noble")} sig/s, blst ${perSig("blst")} sig/s`);

  const results = {
    bench: "signatures",
    date: new Date().toISOString(),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpu: os.cpus()[0]?.model ?? "unknown",
    cpus: os.cpus().length,
    loadAverage: os.loadavg(),
    rowBudgetMs: ROW_BUDGET_MS,
    signers: SIGNERS,
    backends: backends.map((b) => b.name),
    rows,
  };
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  writeFileSync(
    new URL("./results/signatures.json", import.meta.url),
    `${JSON.stringify(results, null, 2)}\n`,
  );
  console.log("wrote bench/results/signatures.json");
}

await main();
