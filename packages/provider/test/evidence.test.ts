import { ChallengeClient } from "@checkernet/checker";
import { generateSecretKey } from "@checkernet/protocol/bls/keygen";
import { nobleBackend } from "@checkernet/protocol/bls/noble";
import { gpuClass } from "@checkernet/protocol/challenges/gpu-classes";
import { attestationSigningRoot, signedAttestationCodec } from "@checkernet/protocol/encoding/attestation";
import { withParams } from "@checkernet/protocol/params";
import {
  type Attestation,
  ChallengeKind,
  CheckResult,
  type SignedAttestation,
} from "@checkernet/protocol/types";
import {
  EVIDENCE_PROTOCOL,
  encodeFrame,
  evidenceNoRunCodec,
  evidenceResponseCodec,
  FrameType,
} from "@checkernet/wire";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Libp2p, Stream } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { bytesToHex, type Hex, zeroHash } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CpuBackend } from "../src/backend/cpu.ts";
import { collectEvidence, type EvidenceSource } from "../src/evidence/verify.ts";
import { createProviderHost } from "../src/host.ts";
import { type RunningProvider, runProvider } from "../src/serve/run.ts";
import { clientHost, hex32, silentLog } from "./helpers.ts";

/**
 * Issue test 3: the provider asks checkers for the evidence behind their
 * attestations and checks it; whatever a checker's evidence endpoint sends
 * (a bad signature, a claim its transcript does not back, a truncated
 * transcript, garbage, a half frame, nothing) is reported as such and never
 * trusted, and the agent does not crash.
 */
const params = withParams({ pingCount: 4, pingIntervalMs: 10, pingTimeoutMs: 500 });
const domain = { chainId: 31337n, verifyingContract: "0x00000000000000000000000000000000000000e1" as const };
const providerAddress = "0x00000000000000000000000000000000000000aa" as const;
const bls = nobleBackend;

interface Key {
  sk: Uint8Array;
  pk: Uint8Array;
}
const key = (byte: number): Key => {
  const sk = generateSecretKey(new Uint8Array(32).fill(byte));
  return { sk, pk: bls.publicKey(sk) };
};

function sign(att: Attestation, k: Key): SignedAttestation {
  return {
    attestation: att,
    signature: bytesToHex(bls.sign(k.sk, attestationSigningRoot(att, domain))),
    vrfProof: bytesToHex(new Uint8Array(96).fill(7)),
  };
}

/** A libp2p host answering the evidence protocol with whatever bytes `answer` writes. */
async function evidenceEndpoint(answer: (stream: Stream) => Promise<void>): Promise<Libp2p> {
  const host = await createProviderHost({
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
  });
  await host.handle(EVIDENCE_PROTOCOL, (stream) => {
    answer(stream).catch((err: Error) => stream.abort(err));
  });
  return host;
}

function response(att: SignedAttestation, transcript: Uint8Array): Uint8Array {
  return encodeFrame(
    FrameType.EVIDENCE_RESPONSE,
    evidenceResponseCodec.encode({
      attestation: bytesToHex(signedAttestationCodec.encode(att)),
      transcript: bytesToHex(transcript),
    }),
  );
}

/** A checker's answer for an attestation signed without a run: the attestation and why (unsigned). */
function noRunResponse(att: SignedAttestation): Uint8Array {
  return encodeFrame(
    FrameType.EVIDENCE_NO_RUN,
    evidenceNoRunCodec.encode({
      attestation: bytesToHex(signedAttestationCodec.encode(att)),
      ...UNUSABLE_GPU_MODEL,
    }),
  );
}
const UNUSABLE_GPU_MODEL = {
  code: "UNUSABLE_REGISTRY_ENTRY",
  field: "gpuModel",
  message: 'registry entry not usable (gpuModel): unknown GPU model "h100"',
};
/** The attestation a checker signs for a member whose registry entry it cannot use (checker memberCheck.ts). */
const withoutRun = (att: Attestation): Attestation => ({
  ...att,
  result: CheckResult.FAIL,
  latencyP50Us: 0,
  latencyP95Us: 0,
  throughput: 0n,
  transcriptHash: zeroHash,
});

describe("provider evidence: fetch, verify, never trust", () => {
  let provider: RunningProvider;
  let checkerHost: Libp2p;
  let asker: Libp2p;
  const endpoints: Libp2p[] = [];
  const sources: EvidenceSource[] = [];
  const expected: string[] = [];

  beforeAll(async () => {
    provider = await runProvider({
      address: providerAddress,
      privateKey: await generateKeyPair("Ed25519"),
      listen: ["/ip4/127.0.0.1/tcp/0"],
      backend: new CpuBackend({ workers: 1 }),
      log: silentLog,
    });
    checkerHost = await clientHost();
    asker = await clientHost();
    const client = new ChallengeClient(
      { host: checkerHost, logger: silentLog },
      { params, checkerRegion: 0 },
    );
    const addr = provider.host.getMultiaddrs()[0] as Multiaddr;

    // Real runs by real checkers, one per source, so each transcript names its own checker.
    const add = async (
      byte: number,
      status: string,
      make: (
        run: Awaited<ReturnType<ChallengeClient["run"]>>,
        att: Attestation,
        k: Key,
      ) => (stream: Stream) => Promise<void>,
    ) => {
      const checker = `0x00000000000000000000000000000000000000${byte.toString(16).padStart(2, "0")}` as Hex;
      const k = key(byte);
      const run = await client.run(
        { peer: addr },
        {
          epoch: 3n,
          provider: providerAddress,
          checker,
          kind: ChallengeKind.LATENCY,
          seed: hex32(byte),
          classId: gpuClass("cpu-reference").code,
          claimedRegion: 0,
        },
      );
      const att: Attestation = {
        epoch: 3n,
        provider: providerAddress,
        checker,
        kind: ChallengeKind.LATENCY,
        result: run.outcome.result,
        latencyP50Us: run.outcome.p50Us,
        latencyP95Us: run.outcome.p95Us,
        throughput: run.outcome.throughput,
        transcriptHash: run.transcriptHash,
      };
      const host = await evidenceEndpoint(make(run, att, k));
      endpoints.push(host);
      sources.push({ checker, publicKey: k.pk, peer: host.getMultiaddrs()[0] as Multiaddr });
      expected.push(status);
    };
    const reply = (bytes: Uint8Array) => async (stream: Stream) => {
      stream.send(bytes);
      await stream.close();
    };

    await add(0x01, "holds", (run, att, k) => reply(response(sign(att, k), run.encodedTranscript)));
    await add(0x02, "bad-signature", (run, att) =>
      reply(response(sign(att, key(0x99)), run.encodedTranscript)),
    );
    await add(0x03, "false-claim", (run, att, k) =>
      reply(response(sign({ ...att, result: CheckResult.FAIL }, k), run.encodedTranscript)),
    );
    await add(0x04, "invalid", (run, att, k) =>
      reply(response(sign(att, k), run.encodedTranscript.subarray(0, run.encodedTranscript.length - 40))),
    );
    await add(0x05, "invalid", () =>
      reply(encodeFrame(FrameType.EVIDENCE_RESPONSE, crypto.getRandomValues(new Uint8Array(700)))),
    );
    await add(0x06, "not-found", () =>
      reply(encodeFrame(FrameType.ERROR, new TextEncoder().encode("no evidence"))),
    );
    // Half a frame, then the stream is reset.
    await add(0x07, "invalid", (run, att, k) => async (stream) => {
      stream.send(response(sign(att, k), run.encodedTranscript).subarray(0, 300));
      await new Promise((resolve) => setTimeout(resolve, 50));
      stream.abort(new Error("gone"));
    });
    await add(0x08, "invalid", (run, att, k) =>
      reply(response(sign({ ...att, epoch: 4n }, k), run.encodedTranscript)),
    );
    // Signed by the registered key of checker 0x09, but the attestation speaks for checker 0x01.
    await add(0x09, "invalid", (run, att, k) =>
      reply(
        response(
          sign({ ...att, checker: "0x0000000000000000000000000000000000000001" }, k),
          run.encodedTranscript,
        ),
      ),
    );
    await add(0x0a, "unreachable", () => async () => {});
    const gone = endpoints.at(-1) as Libp2p;
    await gone.stop();
    // Signed without a run: the attestation is authentic, the answer says which registry field to fix.
    await add(0x0b, "no-run", (_run, att, k) => reply(noRunResponse(sign(withoutRun(att), k))));
    // A no-run answer for an attestation that names a transcript: the transcript is withheld.
    await add(0x0c, "invalid", (_run, att, k) =>
      reply(noRunResponse(sign({ ...withoutRun(att), transcriptHash: att.transcriptHash }, k))),
    );
    await add(0x0d, "bad-signature", (_run, att) => reply(noRunResponse(sign(withoutRun(att), key(0x99)))));
  }, 60_000);

  afterAll(async () => {
    await Promise.all([
      ...endpoints.map((h) => h.stop()),
      checkerHost?.stop(),
      asker?.stop(),
      provider?.stop(),
    ]);
  });

  it("classifies every answer and keeps going", async () => {
    const findings = await collectEvidence(
      asker,
      sources,
      { epoch: 3n, provider: providerAddress },
      { domain, params, bls },
    );
    expect(findings.map((f) => f.status)).toEqual(expected);
    const holds = findings[0];
    expect(holds?.status === "holds" && holds.recomputed.result).toBe(CheckResult.PASS);
    const lie = findings[2];
    expect(lie?.status === "false-claim" && lie.mismatches[0]).toMatch(
      /^result: signed 1, transcript gives 0/,
    );
    for (const f of findings.slice(3)) expect("reason" in f && f.reason.length > 0).toBe(true);
    const noRun = findings[10];
    expect(noRun?.status === "no-run" && noRun.noRun).toEqual(UNUSABLE_GPU_MODEL);
    expect(noRun?.status === "no-run" && noRun.claimed.attestation.result).toBe(CheckResult.FAIL);
    expect("reason" in noRun! && noRun.reason).toMatch(
      /^no run: registry entry not usable \(gpuModel\): unknown GPU model "h100"; fix the registry's gpuModel \(the GPU class, VRAM and region are frozen while the provider is staked.* then provider register --update and stake again .*\)$/,
    );
    expect("reason" in findings[11]! && findings[11].reason).toMatch(/transcript is withheld/);
  });

  it("refuses a transcript whose header names another answer key than the registry's", async () => {
    const request = { epoch: 3n, provider: providerAddress };
    const none = await collectEvidence(asker, sources.slice(0, 1), request, {
      domain,
      params,
      bls,
      answerKey: null,
    });
    expect(none[0]?.status).toBe("holds");
    const registered = {
      key: "0x00000000000000000000000000000000000000Aa" as const,
      chainId: 31337n,
      verifyingContract: "0x00000000000000000000000000000000000000bB" as const,
    };
    const keyed = await collectEvidence(asker, sources.slice(0, 1), request, {
      domain,
      params,
      bls,
      answerKey: registered,
    });
    expect(keyed[0]?.status).toBe("invalid");
    expect("reason" in keyed[0]! && keyed[0].reason).toMatch(/names answer key none, the registry's/);
  });
});
