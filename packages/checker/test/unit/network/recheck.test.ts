import type { RecheckHeader } from "@checkernet/contracts/recheck";
import { type SignedRecheckResult, signedRecheckResultCodec } from "@checkernet/protocol/recheck";
import { ChallengeKind, CheckResult } from "@checkernet/protocol/types";
import { createLogger } from "@checkernet/runtime";
import { encodeFrame, WireErrorCode as FrameErrorCode, FrameReader, type FrameType } from "@checkernet/wire";
import type { PeerId, Stream } from "@libp2p/interface";
import { bytesToHex, encodeAbiParameters, hexToBytes, keccak256, toHex } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import type { CheckerHost } from "../../../src/network/host.ts";
import {
  handleRecheck,
  RECHECK_LIMITS,
  RECHECK_PROTOCOL,
  type RecheckCosignRequest,
  RecheckFrameType,
  RecheckWireError,
  RecheckWireErrorCode,
  recheckCosignRequestCodec,
  requestRecheckCosign,
  requestRecheckResult,
} from "../../../src/network/reqresp/recheck.ts";
import { randomAddress } from "../../utils/fixtures.ts";
import { countStreams, loopbackHost, rawExchange, stopHosts } from "../../utils/hosts.ts";
import { rejectionOf } from "../../utils/rejection.ts";
import { waitFor } from "../../utils/waitFor.ts";

const silent = createLogger({ level: "silent", pretty: false });
const hosts: CheckerHost[] = [];
afterEach(async () => {
  await stopHosts(hosts);
});

/** Streams of the protocol that `h` holds towards `peer` (only those still reading, when asked). */
const openStreams = (h: CheckerHost, peer: CheckerHost, reading = false) =>
  countStreams(h, peer, RECHECK_PROTOCOL, reading);

async function host(): Promise<CheckerHost> {
  const h = await loopbackHost();
  hosts.push(h);
  return h;
}

function result(slashId: bigint, over: Partial<SignedRecheckResult["result"]> = {}): SignedRecheckResult {
  return {
    result: {
      slashId,
      provider: randomAddress(),
      recheckEpoch: 9n,
      checker: randomAddress(),
      kind: ChallengeKind.LATENCY,
      result: CheckResult.FAIL,
      latencyP50Us: 1_500,
      transcriptHash: keccak256(toHex(`t-${slashId}`)),
      runEpoch: 9n,
      timeSignature: bytesToHex(new Uint8Array(96).fill(4)),
      ...over,
    },
    signature: bytesToHex(new Uint8Array(96).fill(3)),
  };
}

function cosignRequest(slashId: bigint, n = 3): RecheckCosignRequest {
  const results = Array.from({ length: n }, () => result(slashId));
  const header: RecheckHeader = {
    slashId,
    provider: results[0]!.result.provider,
    accusedEpoch: 7n,
    recheckEpoch: 9n,
    verdict: 1,
    attestations: n,
    failures: n,
    evidenceRoot: keccak256(toHex("evidence")),
  };
  return { header, results };
}

const slashIdBytes = (id: bigint) => hexToBytes(encodeAbiParameters([{ type: "uint256" }], [id]));

/** Sends raw bytes on a fresh re-check stream and reads one answer frame (or the error). */
const raw = rawExchange(RECHECK_PROTOCOL, {
  [RecheckFrameType.RESULT_RESPONSE]: 1_000,
  [RecheckFrameType.COSIGN_RESPONSE]: 96,
});

const wireErr = (p: Promise<unknown>) => rejectionOf(p, RecheckWireError);

describe("/checkernet/recheck/2.0.0 co-sign request codec", () => {
  it("round-trips and refuses trailing bytes, bad verdicts, too many results and bad signatures", () => {
    const req = cosignRequest(11n);
    const bytes = recheckCosignRequestCodec.encode(req);
    expect(recheckCosignRequestCodec.decode(bytes)).toEqual(req);
    expect(() => recheckCosignRequestCodec.decode(new Uint8Array([...bytes, 0]))).toThrow(/canonical|ABI/);
    expect(() => recheckCosignRequestCodec.decode(bytes.subarray(0, bytes.length - 1))).toThrow(/ABI/);
    expect(() =>
      recheckCosignRequestCodec.decode(
        recheckCosignRequestCodec.encode({ ...req, header: { ...req.header, verdict: 3 } }),
      ),
    ).toThrow(/verdict/);
    expect(() => recheckCosignRequestCodec.encode(cosignRequest(11n, RECHECK_LIMITS.maxResults + 1))).toThrow(
      /more than its limit/,
    );
    const shortSig = { ...req, results: [{ ...req.results[0]!, signature: "0x1234" as const }] };
    expect(() => recheckCosignRequestCodec.decode(recheckCosignRequestCodec.encode(shortSig))).toThrow(
      /signature/,
    );
    expect(() =>
      recheckCosignRequestCodec.decode(new Uint8Array(recheckCosignRequestCodec.maxBytes + 1)),
    ).toThrow(/larger than its limit/);
  });
});

describe("/checkernet/recheck/2.0.0 serving", () => {
  it("answers results and co-signatures, refuses with reasons, resets garbage, and keeps serving", async () => {
    const a = await host();
    const b = await host();
    await a.peerStore.merge(b.peerId, { multiaddrs: b.getMultiaddrs() });
    const asked: string[] = [];
    const mine = result(5n);
    await handleRecheck(b, {
      logger: silent,
      onResult: async (slashId: bigint, _from: PeerId) => {
        asked.push(`result ${slashId}`);
        if (slashId === 6n) throw new Error(`no re-check result for slash ${slashId} here`);
        if (slashId === 8n) throw new Error("x".repeat(1_000));
        return mine;
      },
      onCosign: async (req: RecheckCosignRequest) => {
        asked.push(`cosign ${req.header.slashId}`);
        if (req.header.verdict !== 1) throw new Error("header differs in verdict");
        return new Uint8Array(96).fill(9);
      },
    });

    // Started first, checked last: a request frame begun and never finished is cut off at the
    // request deadline, and the handler never runs for it.
    const t0 = Date.now();
    const stalled = raw(a, b, new Uint8Array([33, RecheckFrameType.RESULT_REQUEST, 0, 0]), {
      waitMs: RECHECK_LIMITS.requestTimeoutMs + 3_000,
    });

    expect(await requestRecheckResult(a, b.peerId, 5n, { timeoutMs: 3_000 })).toEqual(mine);
    const refused = await wireErr(requestRecheckResult(a, b.peerId, 6n, { timeoutMs: 3_000 }));
    expect(refused.code).toBe(RecheckWireErrorCode.REFUSED);
    expect(refused.message).toMatch(/^no re-check result for slash 6 here/);
    // A long reason is cut to the 256 bytes an ERROR frame may carry, and still read as a refusal.
    const long = await wireErr(requestRecheckResult(a, b.peerId, 8n, { timeoutMs: 3_000 }));
    expect(long.code).toBe(RecheckWireErrorCode.REFUSED);
    expect(long.message).toBe(`${"x".repeat(256)} [${RecheckWireErrorCode.REFUSED}]`);

    const req = cosignRequest(5n);
    expect(await requestRecheckCosign(a, b.peerId, req, { timeoutMs: 3_000 })).toEqual(
      new Uint8Array(96).fill(9),
    );
    const mismatch = await wireErr(
      requestRecheckCosign(
        a,
        b.peerId,
        { ...req, header: { ...req.header, verdict: 0 } },
        { timeoutMs: 3_000 },
      ),
    );
    expect(mismatch.code).toBe(RecheckWireErrorCode.REFUSED);
    expect(mismatch.message).toMatch(/header differs in verdict/);
    expect(asked).toEqual(["result 5", "result 6", "result 8", "cosign 5", "cosign 5"]);

    // Well-framed nonsense: an ERROR frame naming what is wrong; the handlers never run.
    const short = await raw(a, b, encodeFrame(RecheckFrameType.RESULT_REQUEST, new Uint8Array(31)));
    expect(short.err?.code).toBe(FrameErrorCode.REMOTE_ERROR);
    expect(short.err?.details.reason).toBe("malformed request: a slash id is 32 bytes");
    const junk = await raw(
      a,
      b,
      encodeFrame(RecheckFrameType.COSIGN_REQUEST, new Uint8Array(200).fill(0xab)),
    );
    expect(junk.err?.code).toBe(FrameErrorCode.REMOTE_ERROR);
    expect(String(junk.err?.details.reason)).toMatch(
      /^malformed request: RecheckCosignRequest is not valid ABI/,
    );
    const badVerdict = recheckCosignRequestCodec.encode({ ...req, header: { ...req.header, verdict: 7 } });
    const verdict = await raw(a, b, encodeFrame(RecheckFrameType.COSIGN_REQUEST, badVerdict));
    expect(String(verdict.err?.details.reason)).toMatch(/^malformed request: .*verdict/);
    // An array length far beyond the data: refused, not allocated.
    const huge = recheckCosignRequestCodec.encode({ ...req, results: [] });
    huge.set(hexToBytes(encodeAbiParameters([{ type: "uint256" }], [(1n << 64n) - 1n])), huge.length - 32);
    const lengthBomb = await raw(a, b, encodeFrame(RecheckFrameType.COSIGN_REQUEST, huge));
    expect(String(lengthBomb.err?.details.reason)).toMatch(/^malformed request/);
    expect(asked).toHaveLength(5);

    // Framing violations: the stream is reset at once, nothing is answered.
    for (const bytes of [
      // a slash id request above its 32 bytes
      encodeFrame(RecheckFrameType.RESULT_REQUEST, new Uint8Array(33)),
      // a length prefix declaring 2^35 − 1 bytes
      new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x7f, RecheckFrameType.COSIGN_REQUEST]),
      // a co-sign request one byte above the codec's limit
      new Uint8Array([
        ...(() => {
          const n = recheckCosignRequestCodec.maxBytes + 2;
          const p: number[] = [];
          let v = n;
          while (v >= 0x80) {
            p.push((v & 0x7f) | 0x80);
            v >>>= 7;
          }
          p.push(v);
          return p;
        })(),
        RecheckFrameType.COSIGN_REQUEST,
      ]),
      // a length prefix longer than 5 bytes
      new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]),
      // a zero-length frame
      new Uint8Array([0]),
      // answer types sent as requests
      encodeFrame(RecheckFrameType.RESULT_RESPONSE, signedRecheckResultCodec.encode(mine)),
      encodeFrame(RecheckFrameType.COSIGN_RESPONSE, new Uint8Array(96)),
      encodeFrame(0x7f as FrameType, new Uint8Array(3)),
    ]) {
      const r = await raw(a, b, bytes);
      expect(r.frame, `answered ${Buffer.from(bytes).toString("hex")}`).toBeUndefined();
      expect(r.err?.code).toBe(FrameErrorCode.CLOSED);
      expect(r.ms).toBeLessThan(2_000);
    }
    // Truncated frame, then the write side closed: reset, not a hang.
    const cut = await raw(
      a,
      b,
      encodeFrame(RecheckFrameType.RESULT_REQUEST, slashIdBytes(5n)).subarray(0, 10),
      {
        closeWrite: true,
      },
    );
    expect(cut.err?.code).toBe(FrameErrorCode.CLOSED);
    expect(cut.ms).toBeLessThan(2_000);
    expect(asked).toHaveLength(5);

    // A client that keeps sending after its request: once answered, the server reads no more
    // from that stream, so nothing more it sends is buffered.
    const reading = openStreams(b, a, true); // the stalled stream above
    const linger = await a.dialProtocol(b.peerId, RECHECK_PROTOCOL);
    linger.send(encodeFrame(RecheckFrameType.RESULT_REQUEST, slashIdBytes(5n)));
    const answered = await new FrameReader(linger).read(
      { [RecheckFrameType.RESULT_RESPONSE]: 1_000 },
      Date.now() + 3_000,
    );
    expect(answered.type).toBe(RecheckFrameType.RESULT_RESPONSE);
    for (let i = 0; i < 8; i++) linger.send(new Uint8Array(1 << 20));
    await waitFor(
      () => openStreams(b, a, true) === reading,
      "the server to stop reading the answered stream",
      3_000,
    );
    linger.abort(new Error("test done"));

    // Still serving.
    expect(await requestRecheckResult(a, b.peerId, 5n, { timeoutMs: 3_000 })).toEqual(mine);

    const s = await stalled;
    expect(s.err?.code).toBe(FrameErrorCode.CLOSED);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(RECHECK_LIMITS.requestTimeoutMs - 500);
    expect(s.ms).toBeLessThan(RECHECK_LIMITS.requestTimeoutMs + 2_000);
    expect(asked).toHaveLength(7); // + the lingering request and the one after it
    expect(await requestRecheckCosign(a, b.peerId, req, { timeoutMs: 3_000 })).toHaveLength(96);
  }, 20_000);
});

describe("re-check client against a bad member", () => {
  it("throws a typed error naming what is wrong, within the caller's deadline", async () => {
    const a = await host();
    const evil = await host();
    let answer: (stream: Stream) => void | Promise<void> = () => undefined;
    await evil.handle(RECHECK_PROTOCOL, (stream) => {
      void (async () => {
        await new FrameReader(stream).read(
          {
            [RecheckFrameType.RESULT_REQUEST]: 32,
            [RecheckFrameType.COSIGN_REQUEST]: recheckCosignRequestCodec.maxBytes,
          },
          Date.now() + 5_000,
        );
        await answer(stream);
      })().catch((e: unknown) => stream.abort(e as Error));
    });
    await a.peerStore.merge(evil.peerId, { multiaddrs: evil.getMultiaddrs() });
    const respond = (type: FrameType, body: Uint8Array) => (s: Stream) => {
      s.send(encodeFrame(type, body));
      return s.close();
    };
    const result5 = (timeoutMs = 3_000) => wireErr(requestRecheckResult(a, evil.peerId, 5n, { timeoutMs }));
    const cosign5 = (timeoutMs = 3_000) =>
      wireErr(requestRecheckCosign(a, evil.peerId, cosignRequest(5n), { timeoutMs }));

    // A result that does not decode: INVALID, naming the field.
    const badSig = signedRecheckResultCodec.encode({ ...result(5n), signature: "0x1234" });
    answer = respond(RecheckFrameType.RESULT_RESPONSE, badSig);
    let e = await result5();
    expect(e.code).toBe(RecheckWireErrorCode.INVALID);
    expect(e.message).toMatch(/^result does not decode: .*signature/);
    answer = respond(RecheckFrameType.RESULT_RESPONSE, new Uint8Array(100).fill(0xee));
    e = await result5();
    expect(e.code).toBe(RecheckWireErrorCode.INVALID);
    expect(e.message).toMatch(/^result does not decode: SignedRecheckResult/);
    const epochZero = signedRecheckResultCodec.encode(result(5n, { recheckEpoch: 0n }));
    answer = respond(RecheckFrameType.RESULT_RESPONSE, epochZero);
    e = await result5();
    expect(e.code).toBe(RecheckWireErrorCode.INVALID);
    expect(e.message).toMatch(/recheckEpoch/);

    // A signature of the wrong size: INVALID whether short or above the frame's limit.
    answer = respond(RecheckFrameType.COSIGN_RESPONSE, new Uint8Array(95));
    e = await cosign5();
    expect(e.code).toBe(RecheckWireErrorCode.INVALID);
    expect(e.message).toMatch(/signature has 95 bytes, expected 96/);
    answer = respond(RecheckFrameType.COSIGN_RESPONSE, new Uint8Array(97));
    e = await cosign5();
    expect(e.code).toBe(RecheckWireErrorCode.INVALID);
    expect(e.message).toMatch(/frame body above its message limit/);
    // A declared length above the limit is refused before any body byte arrives.
    answer = (s) => void s.send(new Uint8Array([0xff, 0xff, 0xff, 0x7f, RecheckFrameType.RESULT_RESPONSE]));
    let t = Date.now();
    e = await result5(10_000);
    expect(e.code).toBe(RecheckWireErrorCode.INVALID);
    expect(e.message).toMatch(/declared frame length above the limit/);
    expect(Date.now() - t).toBeLessThan(2_000);
    expect(openStreams(a, evil)).toBe(0);
    // The other exchange's answer type.
    answer = respond(RecheckFrameType.COSIGN_RESPONSE, new Uint8Array(96));
    e = await result5();
    expect(e.code).toBe(RecheckWireErrorCode.INVALID);
    expect(e.message).toMatch(/unexpected frame type/);

    // Never answers: UNREACHABLE at the caller's deadline.
    answer = () => undefined;
    t = Date.now();
    e = await cosign5(800);
    expect(e.code).toBe(RecheckWireErrorCode.UNREACHABLE);
    expect(e.message).toMatch(/no complete frame before the deadline/);
    expect(Date.now() - t).toBeGreaterThanOrEqual(700);
    // The deadline fires (the test's own 60 s timeout would catch a hang); the bound leaves room for a
    // busy machine, where CI once measured the 800 ms deadline firing after 9.2 s of a stalled event loop.
    expect(Date.now() - t).toBeLessThan(800 + 15_000);

    // Closes or resets mid-frame.
    answer = (s) => {
      s.send(
        encodeFrame(RecheckFrameType.RESULT_RESPONSE, signedRecheckResultCodec.encode(result(5n))).subarray(
          0,
          40,
        ),
      );
      return s.close();
    };
    e = await result5();
    expect(e.code).toBe(RecheckWireErrorCode.UNREACHABLE);
    expect(e.message).toMatch(/stream ended before a complete frame/);
    answer = (s) => {
      s.send(
        encodeFrame(RecheckFrameType.RESULT_RESPONSE, signedRecheckResultCodec.encode(result(5n))).subarray(
          0,
          40,
        ),
      );
      setTimeout(() => s.abort(new Error("bye")), 50);
    };
    e = await result5();
    expect(e.code).toBe(RecheckWireErrorCode.UNREACHABLE);

    // A good answer from a member that then keeps its side open: returned at once.
    const good = result(5n);
    answer = (s) =>
      void s.send(encodeFrame(RecheckFrameType.RESULT_RESPONSE, signedRecheckResultCodec.encode(good)));
    t = Date.now();
    expect(await requestRecheckResult(a, evil.peerId, 5n, { timeoutMs: 3_000 })).toEqual(good);
    expect(Date.now() - t).toBeLessThan(1_500);
    expect(openStreams(a, evil)).toBe(0);

    // Nobody listening: UNREACHABLE, quickly.
    const gone = await host();
    await gone.stop();
    await a.peerStore.merge(gone.peerId, { multiaddrs: gone.getMultiaddrs() });
    e = await wireErr(requestRecheckResult(a, gone.peerId, 5n, { timeoutMs: 2_000 }));
    expect(e.code).toBe(RecheckWireErrorCode.UNREACHABLE);
    expect(e.message).toMatch(/cannot open a re-check stream/);
  }, 20_000);
});
