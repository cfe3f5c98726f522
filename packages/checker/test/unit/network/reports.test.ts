import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ResultLeaf, RewardLeaf } from "@checkernet/protocol/merkle/leaves";
import { createLogger } from "@checkernet/runtime";
import {
  decodeEpochRequest,
  encodeEpochRequest,
  encodeFrame,
  WireErrorCode as FrameErrorCode,
  FrameReader,
  type FrameType,
  fetchReport,
  PUBLISHED_REPORT_LIMITS,
  PublishedReportError,
  parsePublishedReport,
  publishedReportToJson,
  REPORTS_LIMITS,
  REPORTS_PROTOCOL,
  ReportsFetchError,
  ReportsFetchErrorCode,
  ReportsFrameType,
} from "@checkernet/wire";
import type { Stream } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { type Hex, keccak256, type PublicClient, toHex } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import { CheckerDb } from "../../../src/db/checkerDb.ts";
import { ReportSync, ReportSyncOutcome } from "../../../src/duties/reportSync.ts";
import type { CheckerHost } from "../../../src/network/host.ts";
import { handleReports } from "../../../src/network/reqresp/reports.ts";
import {
  type ReportRecord,
  ReportRole,
  readReportRecord,
  writeReportRecord,
} from "../../../src/reports/aggregatorRecords.ts";
import { publishedReportOf } from "../../../src/reports/publishedReport.ts";
import { randomAddress } from "../../utils/fixtures.ts";
import { countStreams, loopbackHost, rawExchange, stopHosts } from "../../utils/hosts.ts";
import { rejectionOf } from "../../utils/rejection.ts";
import { submittedReport } from "../../utils/reports.ts";
import { waitFor } from "../../utils/waitFor.ts";

const silent = createLogger({ level: "silent", pretty: false });
const hosts: CheckerHost[] = [];
const dbs: CheckerDb[] = [];
afterEach(async () => {
  await stopHosts(hosts);
  await Promise.all(dbs.splice(0).map((d) => d.close()));
});

/** Streams of the protocol that `h` holds towards `peer` (only those still reading, when asked). */
const openStreams = (h: CheckerHost, peer: CheckerHost, reading = false) =>
  countStreams(h, peer, REPORTS_PROTOCOL, reading);

async function host(): Promise<CheckerHost> {
  const h = await loopbackHost();
  hosts.push(h);
  return h;
}

async function db(): Promise<CheckerDb> {
  const d = await CheckerDb.open({ dataDir: mkdtempSync(join(tmpdir(), "checker-reports-")) });
  dbs.push(d);
  return d;
}

/** A consistent two-provider report record of `epoch`: roots over its leaves, counts and total summed. */
function record(epoch: bigint): ReportRecord {
  const results: ResultLeaf[] = [0, 1].map((i) => ({
    provider: randomAddress(),
    verdict: i === 0 ? 0 : 1,
    scoreBps: 9_000 - i,
    medianLatencyUs: 1_200,
    attestations: 8,
    failures: i === 0 ? 0 : 7,
    slashAmount: i === 0 ? 0n : 5n * 10n ** 18n,
    accusers: i === 0 ? [] : [randomAddress()],
  })) as ResultLeaf[];
  const rewards: RewardLeaf[] = [
    { beneficiary: 0, id: 1n, amount: 600n },
    { beneficiary: 1, id: 7n, amount: 400n },
  ] as RewardLeaf[];
  return submittedReport({
    epoch,
    seed: keccak256(toHex(`seed-${epoch}`)),
    results,
    rewards,
    totalRewards: 1_000n,
    attestationCount: 16,
  });
}

const jsonOf = (r: ReportRecord) => publishedReportToJson(publishedReportOf(r));
const bytesOf = (v: unknown) => new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v));

/** Serves REPORTS_PROTOCOL on `h` with `answer` (reads the request frame first unless told not to). */
async function serveWith(
  h: CheckerHost,
  answer: (stream: Stream, epoch: bigint) => void | Promise<void>,
): Promise<void> {
  await h.handle(REPORTS_PROTOCOL, (stream) => {
    void (async () => {
      const frame = await new FrameReader(stream).read(
        { [ReportsFrameType.REPORTS_REQUEST]: 8 },
        Date.now() + 5_000,
      );
      await answer(stream, decodeEpochRequest(frame.body));
    })().catch((e: unknown) => stream.abort(e as Error));
  });
}

/** Sends raw bytes on a fresh reports stream and reads one answer frame (or the error). */
const raw = rawExchange(REPORTS_PROTOCOL, {
  [ReportsFrameType.REPORTS_RESPONSE]: REPORTS_LIMITS.maxResponseBytes,
});

const fetchErr = (p: Promise<unknown>) => rejectionOf(p, ReportsFetchError);

describe("/checkernet/reports/1.0.0 wire formats", () => {
  it("encodes the epoch request as 8 bytes and refuses other lengths and epoch 0", () => {
    expect(decodeEpochRequest(encodeEpochRequest(42n))).toBe(42n);
    expect(decodeEpochRequest(encodeEpochRequest((1n << 64n) - 1n))).toBe((1n << 64n) - 1n);
    expect(() => decodeEpochRequest(new Uint8Array(7))).toThrow(/request has 7 bytes, expected 8/);
    expect(() => decodeEpochRequest(new Uint8Array(9))).toThrow(/request has 9 bytes, expected 8/);
    expect(() => decodeEpochRequest(new Uint8Array(8))).toThrow(/epoch 0 has no report/);
  });

  it("parses a report strictly, naming the first bad field", () => {
    const rec = record(5n);
    const good = jsonOf(rec);
    expect(parsePublishedReport(JSON.parse(JSON.stringify(good)))).toEqual(publishedReportOf(rec));

    type J = { header: Record<string, unknown>; results: Record<string, unknown>[]; [k: string]: unknown };
    const bad = (mutate: (j: J) => void): PublishedReportError => {
      const j = JSON.parse(JSON.stringify(good)) as J;
      mutate(j);
      const e = (() => {
        try {
          parsePublishedReport(j);
        } catch (x) {
          return x;
        }
        return undefined;
      })();
      expect(e).toBeInstanceOf(PublishedReportError);
      return e as PublishedReportError;
    };
    expect(bad((j) => (j.results[1]!.verdict = 3)).message).toMatch(
      /^results\[1\]\.verdict: must be an integer/,
    );
    expect(bad((j) => (j.header.totalRewards = 1000)).message).toMatch(
      /^header\.totalRewards: must be a decimal string/,
    );
    expect(bad((j) => (j.header.totalRewards = "1e3")).message).toMatch(/header\.totalRewards/);
    expect(bad((j) => (j.header.totalRewards = "-1")).message).toMatch(/header\.totalRewards/);
    expect(bad((j) => (j.header.epoch = (1n << 64n).toString())).message).toMatch(
      /header\.epoch: is out of range/,
    );
    expect(bad((j) => (j.header.seed = "0x1234")).message).toMatch(/header\.seed: must be 32 bytes of hex/);
    expect(bad((j) => (j.results[0]!.provider = "0xnothex")).message).toMatch(/results\[0\]\.provider/);
    expect(bad((j) => (j.results[0]!.accusers = "x")).message).toMatch(
      /results\[0\]\.accusers: must be an array/,
    );
    expect(bad((j) => (j.rewards = {})).message).toMatch(/^rewards: must be an array/);
    expect(bad((j) => (j.txHash = "0x12")).message).toMatch(/^txHash/);
    expect(bad((j) => (j.inputs = [])).message).toMatch(/^inputs: must be an object/);
    // Counts are capped before any entry is looked at.
    const many = PUBLISHED_REPORT_LIMITS.maxProviders + 1;
    expect(bad((j) => (j.results = new Array(many).fill(0))).message).toMatch(
      `results: has ${many} entries, at most ${PUBLISHED_REPORT_LIMITS.maxProviders} allowed`,
    );
    expect(bad((j) => (j.results[0]!.accusers = new Array(257).fill(randomAddress()))).message).toMatch(
      /accusers: has 257 entries, at most 256/,
    );
    expect(() => parsePublishedReport(null)).toThrow(/^report: must be an object/);
    expect(() => parsePublishedReport([good])).toThrow(/^report: must be an object/);
  });
});

describe("/checkernet/reports/1.0.0 serving", () => {
  it("serves stored reports, refuses bad requests with a reason, resets garbage, and keeps serving", async () => {
    const client = await host();
    const server = await host();
    const store = await db();
    const three = record(3n);
    await writeReportRecord(store, three);
    // A record without leaves (another aggregator reported; nothing built here): nothing to serve.
    const bare = record(4n);
    await writeReportRecord(store, {
      ...bare,
      header: { ...bare.header, resultsRoot: undefined as unknown as Hex },
    });
    await handleReports(server, { db: store, logger: silent });
    await client.peerStore.merge(server.peerId, { multiaddrs: server.getMultiaddrs() });

    // A stream that starts a frame and then goes silent is cut off at the request deadline.
    const t0 = Date.now();
    const stalled = raw(client, server, new Uint8Array([9, ReportsFrameType.REPORTS_REQUEST, 0, 0]), {
      waitMs: REPORTS_LIMITS.requestTimeoutMs + 3_000,
    });

    const got = await fetchReport(client, server.peerId, 3n, { timeoutMs: 3_000 });
    expect(got).toEqual(publishedReportOf(three));

    const missing = await fetchErr(fetchReport(client, server.peerId, 9n, { timeoutMs: 3_000 }));
    expect(missing.code).toBe(ReportsFetchErrorCode.NOT_FOUND);
    expect(missing.message).toMatch(/no report for epoch 9/);
    expect((await fetchErr(fetchReport(client, server.peerId, 4n, { timeoutMs: 3_000 }))).message).toMatch(
      /no report for epoch 4/,
    );

    // Well-framed nonsense: an ERROR frame naming what is wrong.
    const short = await raw(client, server, encodeFrame(ReportsFrameType.REPORTS_REQUEST, new Uint8Array(7)));
    expect(short.err?.code).toBe(FrameErrorCode.REMOTE_ERROR);
    expect(short.err?.details.reason).toBe("malformed request: request has 7 bytes, expected 8");
    const zero = await raw(client, server, encodeFrame(ReportsFrameType.REPORTS_REQUEST, new Uint8Array(8)));
    expect(zero.err?.details.reason).toBe("malformed request: epoch 0 has no report");

    // Framing violations: the stream is reset at once, nothing is answered.
    for (const bytes of [
      // a body above the 8-byte request
      encodeFrame(ReportsFrameType.REPORTS_REQUEST, new Uint8Array(100)),
      // a length prefix declaring 2^35 − 1 bytes
      new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x7f, ReportsFrameType.REPORTS_REQUEST]),
      // a length prefix longer than 5 bytes
      new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]),
      // a zero-length frame
      new Uint8Array([0]),
      // the response type sent as a request
      encodeFrame(ReportsFrameType.REPORTS_RESPONSE, encodeEpochRequest(3n)),
      // an ERROR frame as a request
      encodeFrame(0x7f as FrameType, new Uint8Array(3)),
    ]) {
      const r = await raw(client, server, bytes);
      expect(r.frame, `answered ${Buffer.from(bytes).toString("hex")}`).toBeUndefined();
      expect(r.err?.code).toBe(FrameErrorCode.CLOSED);
      expect(r.ms).toBeLessThan(2_000);
    }
    // Truncated frame, then the write side closed: reset, not a hang.
    const cut = await raw(
      client,
      server,
      encodeFrame(ReportsFrameType.REPORTS_REQUEST, encodeEpochRequest(3n)).subarray(0, 5),
      {
        closeWrite: true,
      },
    );
    expect(cut.err?.code).toBe(FrameErrorCode.CLOSED);
    expect(cut.ms).toBeLessThan(2_000);

    // A client that keeps sending after its request: once answered, the server reads no more
    // from that stream, so nothing more it sends is buffered.
    const reading = openStreams(server, client, true); // the stalled stream above
    const linger = await client.dialProtocol(server.peerId, REPORTS_PROTOCOL);
    linger.send(encodeFrame(ReportsFrameType.REPORTS_REQUEST, encodeEpochRequest(3n)));
    const answered = await new FrameReader(linger).read(
      { [ReportsFrameType.REPORTS_RESPONSE]: REPORTS_LIMITS.maxResponseBytes },
      Date.now() + 3_000,
    );
    expect(answered.type).toBe(ReportsFrameType.REPORTS_RESPONSE);
    for (let i = 0; i < 8; i++) linger.send(new Uint8Array(1 << 20));
    await waitFor(
      () => openStreams(server, client, true) === reading,
      "the server to stop reading the answered stream",
      3_000,
    );
    linger.abort(new Error("test done"));

    // Still serving.
    expect((await fetchReport(client, server.peerId, 3n, { timeoutMs: 3_000 })).header.totalRewards).toBe(
      1_000n,
    );

    const s = await stalled;
    expect(s.err?.code).toBe(FrameErrorCode.CLOSED);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(REPORTS_LIMITS.requestTimeoutMs - 500);
    expect(s.ms).toBeLessThan(REPORTS_LIMITS.requestTimeoutMs + 2_000);
    expect((await fetchReport(client, server.peerId, 3n, { timeoutMs: 3_000 })).header.epoch).toBe(3n);
  }, 20_000);
});

describe("fetchReport against a bad peer", () => {
  it("names what is wrong with the answer, with bounded waits and buffers", async () => {
    const client = await host();
    const evil = await host();
    let answer: (stream: Stream, epoch: bigint) => void | Promise<void> = () => undefined;
    await serveWith(evil, (s, e) => answer(s, e));
    await client.peerStore.merge(evil.peerId, { multiaddrs: evil.getMultiaddrs() });
    const fetch = (timeoutMs = 3_000) => fetchErr(fetchReport(client, evil.peerId, 5n, { timeoutMs }));
    const respond = (body: Uint8Array) => (s: Stream) => {
      s.send(encodeFrame(ReportsFrameType.REPORTS_RESPONSE, body));
      return s.close();
    };

    answer = respond(bytesOf("not json {"));
    let e = await fetch();
    expect(e.code).toBe(ReportsFetchErrorCode.INVALID);
    expect(e.message).toMatch(/^report does not parse: .*JSON/);

    answer = respond(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
    e = await fetch();
    expect(e.code).toBe(ReportsFetchErrorCode.INVALID);
    expect(e.message).toMatch(/report does not parse/);

    answer = respond(bytesOf(jsonOf(record(6n))));
    e = await fetch();
    expect(e.code).toBe(ReportsFetchErrorCode.INVALID);
    expect(e.message).toMatch(/asked for epoch 5, got epoch 6/);

    const wrongField = jsonOf(record(5n)) as { results: { scoreBps: unknown }[] };
    (wrongField.results[0] as { scoreBps: unknown }).scoreBps = "lots";
    answer = respond(bytesOf(wrongField));
    e = await fetch();
    expect(e.code).toBe(ReportsFetchErrorCode.INVALID);
    expect(e.message).toMatch(/results\[0\]\.scoreBps: must be an integer/);

    // Deep nesting does not blow the stack of the node.
    const depth = 200_000;
    answer = respond(bytesOf(`${"[".repeat(depth)}${"]".repeat(depth)}`));
    e = await fetch();
    expect(e.code).toBe(ReportsFetchErrorCode.INVALID);
    expect(e.message).toMatch(/report does not parse/);

    // A declared length above 16 MiB is refused before any body byte is buffered.
    const over = REPORTS_LIMITS.maxResponseBytes + 2;
    answer = (s) => {
      const prefix: number[] = [];
      let v = over;
      while (v >= 0x80) {
        prefix.push((v & 0x7f) | 0x80);
        v >>>= 7;
      }
      prefix.push(v, ReportsFrameType.REPORTS_RESPONSE);
      s.send(new Uint8Array(prefix));
    };
    let t = Date.now();
    e = await fetch(10_000);
    expect(e.code).toBe(ReportsFetchErrorCode.INVALID);
    expect(e.message).toMatch(/declared frame length above the limit/);
    expect(Date.now() - t).toBeLessThan(2_000);
    expect(openStreams(client, evil)).toBe(0);

    answer = (s) => {
      s.send(encodeFrame(ReportsFrameType.REPORTS_REQUEST, encodeEpochRequest(5n)));
      return s.close();
    };
    e = await fetch();
    expect(e.code).toBe(ReportsFetchErrorCode.INVALID);
    expect(e.message).toMatch(/unexpected frame type/);

    answer = (s) => {
      s.send(encodeFrame(0x7f as FrameType, bytesOf("busy")));
      return s.close();
    };
    e = await fetch();
    expect(e.code).toBe(ReportsFetchErrorCode.NOT_FOUND);
    expect(e.message).toMatch(/^busy/);

    // Never answers: UNREACHABLE at the caller's deadline.
    answer = () => undefined;
    t = Date.now();
    e = await fetch(800);
    expect(e.code).toBe(ReportsFetchErrorCode.UNREACHABLE);
    expect(e.message).toMatch(/no complete frame before the deadline/);
    expect(Date.now() - t).toBeGreaterThanOrEqual(700);
    // The deadline fires (the test's own 60 s timeout would catch a hang); the bound leaves room for a
    // busy machine, where CI once measured the 800 ms deadline firing after 9.2 s of a stalled event loop.
    expect(Date.now() - t).toBeLessThan(800 + 15_000);

    // Closes mid-frame.
    answer = (s) => {
      s.send(encodeFrame(ReportsFrameType.REPORTS_RESPONSE, bytesOf(jsonOf(record(5n)))).subarray(0, 50));
      return s.close();
    };
    e = await fetch();
    expect(e.code).toBe(ReportsFetchErrorCode.UNREACHABLE);
    expect(e.message).toMatch(/stream ended before a complete frame/);

    // Resets mid-frame.
    answer = (s) => {
      s.send(encodeFrame(ReportsFrameType.REPORTS_RESPONSE, bytesOf(jsonOf(record(5n)))).subarray(0, 50));
      setTimeout(() => s.abort(new Error("bye")), 50);
    };
    e = await fetch();
    expect(e.code).toBe(ReportsFetchErrorCode.UNREACHABLE);

    // Answers, then keeps its side open: the caller returns with the report, no hang.
    answer = (s) => {
      s.send(encodeFrame(ReportsFrameType.REPORTS_RESPONSE, bytesOf(jsonOf(record(5n)))));
    };
    t = Date.now();
    expect((await fetchReport(client, evil.peerId, 5n, { timeoutMs: 3_000 })).header.epoch).toBe(5n);
    expect(Date.now() - t).toBeLessThan(1_500);
    expect(openStreams(client, evil)).toBe(0);

    // Nobody listening: UNREACHABLE, quickly.
    const gone = await host();
    await gone.stop();
    await client.peerStore.merge(gone.peerId, { multiaddrs: gone.getMultiaddrs() });
    e = await fetchErr(fetchReport(client, gone.peerId, 5n, { timeoutMs: 2_000 }));
    expect(e.code).toBe(ReportsFetchErrorCode.UNREACHABLE);
    expect(e.message).toMatch(/cannot open a reports stream/);
  }, 20_000);
});

describe("ReportSync over the wire", () => {
  it("skips peers that fail, rejects answers that do not match the chain, stores the honest one", async () => {
    const good = record(7n);
    const onChain = {
      resultsRoot: good.header.resultsRoot,
      rewardsRoot: good.header.rewardsRoot,
      totalRewards: good.header.totalRewards,
      submittedAt: 123n,
    };
    const publicClient = { readContract: async () => onChain } as unknown as PublicClient;
    const client = await host();
    const json = jsonOf(good) as {
      header: Record<string, unknown>;
      rewards: { amount: string }[];
    };
    const tamperedLeaf = structuredClone(json);
    tamperedLeaf.rewards[0]!.amount = "100000";
    const tamperedTotal = structuredClone(json);
    tamperedTotal.header.totalRewards = "999999";
    const tamperedCount = structuredClone(json);
    tamperedCount.header.providerCount = 1;
    tamperedCount.header.attestationCount = 1;
    const behaviours: [string, (s: Stream) => void | Promise<void>][] = [
      ["garbage", (s) => void s.send(encodeFrame(ReportsFrameType.REPORTS_RESPONSE, bytesOf("][")))],
      ["silent", () => undefined],
      ["leaf", (s) => void s.send(encodeFrame(ReportsFrameType.REPORTS_RESPONSE, bytesOf(tamperedLeaf)))],
      ["total", (s) => void s.send(encodeFrame(ReportsFrameType.REPORTS_RESPONSE, bytesOf(tamperedTotal)))],
      ["count", (s) => void s.send(encodeFrame(ReportsFrameType.REPORTS_RESPONSE, bytesOf(tamperedCount)))],
    ];
    const peers: string[] = [];
    for (const [, behave] of behaviours) {
      const h = await host();
      await serveWith(h, async (s) => {
        await behave(s);
      });
      await client.peerStore.merge(h.peerId, { multiaddrs: h.getMultiaddrs() });
      peers.push(h.peerId.toString());
    }
    const honest = await host();
    const honestDb = await db();
    await writeReportRecord(honestDb, good);
    await handleReports(honest, { db: honestDb, logger: silent });
    await client.peerStore.merge(honest.peerId, { multiaddrs: honest.getMultiaddrs() });
    peers.push(honest.peerId.toString());

    const mine = await db();
    const sync = new ReportSync(
      {
        db: mine,
        publicClient,
        logger: silent,
        peers: () => peers,
        fetchReport: (peer, e) => fetchReport(client, peerIdFromString(peer), e, { timeoutMs: 800 }),
        currentEpoch: () => 8n,
      },
      { epochReports: randomAddress(), intervalMs: 60_000, lookbackEpochs: 1 },
    );
    const r = await sync.ensure(7n);
    expect(r.outcome).toBe(ReportSyncOutcome.FETCHED);
    // The tampered leaf, the lying total and the lying counts: each refused as not matching the chain.
    expect(sync.rejected).toBe(3);
    const stored = await readReportRecord(mine, 7n);
    expect(stored?.role).toBe(ReportRole.FETCHED);
    expect(stored?.header).toEqual(good.header);
    expect(stored?.rewards).toEqual(good.rewards);
    expect((await sync.ensure(7n)).outcome).toBe(ReportSyncOutcome.HELD);

    // Only liars and broken peers: UNAVAILABLE, nothing stored.
    const other = await db();
    const lonely = new ReportSync(
      {
        db: other,
        publicClient,
        logger: silent,
        peers: () => peers.slice(0, -1),
        fetchReport: (peer, e) => fetchReport(client, peerIdFromString(peer), e, { timeoutMs: 800 }),
        currentEpoch: () => 8n,
      },
      { epochReports: randomAddress(), intervalMs: 60_000, lookbackEpochs: 1 },
    );
    expect((await lonely.ensure(7n)).outcome).toBe(ReportSyncOutcome.UNAVAILABLE);
    expect(await readReportRecord(other, 7n)).toBeUndefined();
  }, 20_000);
});
