import type { Libp2p, Stream } from "@libp2p/interface";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WireErrorCode as FrameErrorCode } from "../src/errors.ts";
import { FrameStream } from "../src/frameStream.ts";
import { encodeVarint } from "../src/framing.ts";
import { loopbackHost } from "./utils/hosts.ts";

const PROTO = "/checkernet/test-frames/1.0.0";

describe("FrameStream over real libp2p (TCP + Noise + Yamux)", () => {
  let a: Libp2p;
  let b: Libp2p;
  const serverResults: Array<string> = [];

  beforeAll(async () => {
    a = await loopbackHost();
    b = await loopbackHost();
    await a.handle(PROTO, async (stream: Stream) => {
      const frames = new FrameStream(stream);
      try {
        for (;;) {
          const frame = await frames.read(16, AbortSignal.timeout(500));
          if (frame === null) {
            serverResults.push("eof");
            break;
          }
          await frames.write(frame);
        }
        await stream.close();
      } catch (err) {
        serverResults.push((err as { code?: string }).code ?? String(err));
        stream.abort(err as Error);
      }
    });
  });

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  it("echoes frames and sees a clean end", async () => {
    serverResults.length = 0;
    const stream = await b.dialProtocol(a.getMultiaddrs(), PROTO);
    const frames = new FrameStream(stream);
    await frames.write(Uint8Array.from([1, 2, 3]));
    expect(await frames.read(16, AbortSignal.timeout(2000))).toEqual(Uint8Array.from([1, 2, 3]));
    await frames.write(new Uint8Array(0));
    expect(await frames.read(16, AbortSignal.timeout(2000))).toEqual(new Uint8Array(0));
    await stream.close();
    expect(await frames.read(16, AbortSignal.timeout(2000))).toBeNull();
    await new Promise((r) => setTimeout(r, 50));
    expect(serverResults).toEqual(["eof"]);
  });

  it("refuses an oversized frame from its length alone", async () => {
    serverResults.length = 0;
    const stream = await b.dialProtocol(a.getMultiaddrs(), PROTO);
    const frames = new FrameStream(stream);
    await frames.writeRaw(encodeVarint(17));
    await new Promise((r) => setTimeout(r, 200));
    expect(serverResults).toEqual([FrameErrorCode.OVERSIZED]);
  });

  it("times a trickled frame out by its total deadline", async () => {
    serverResults.length = 0;
    const stream = await b.dialProtocol(a.getMultiaddrs(), PROTO);
    const frames = new FrameStream(stream);
    await frames.writeRaw(encodeVarint(10));
    // Each byte arrives well within any per-read timeout; only the total deadline catches it.
    for (let i = 0; i < 8; i++) {
      await frames.writeRaw(Uint8Array.from([i])).catch(() => {});
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(serverResults).toEqual([FrameErrorCode.TIMEOUT]);
  });

  it("reports a stream that ends inside a frame as truncated", async () => {
    serverResults.length = 0;
    const stream = await b.dialProtocol(a.getMultiaddrs(), PROTO);
    const frames = new FrameStream(stream);
    await frames.writeRaw(Uint8Array.from([5, 1, 2]));
    await stream.close();
    await new Promise((r) => setTimeout(r, 200));
    expect(serverResults).toEqual([FrameErrorCode.TRUNCATED]);
  });
});
