import { describe, expect, it } from "vitest";
import { DeviceAdmission } from "../src/serve/admission.ts";
import { ServeErrorCode } from "../src/serve/messages.ts";

const limits = { maxQueuedAdmissions: 3, maxAdmissionsPerPeer: 2 };
const never = () => new AbortController().signal;

describe("DeviceAdmission: one timed request on the device at a time", () => {
  it("admits in arrival order, each only once the one before has given the device back", async () => {
    const device = new DeviceAdmission(limits);
    const order: string[] = [];
    const first = await device.admit("a", never());
    const second = device.admit("b", never()).then((h) => {
      order.push("b");
      return h;
    });
    const third = device.admit("c", never()).then((h) => {
      order.push("c");
      return h;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(order).toEqual([]);
    expect(device.queued).toBe(2);
    first.release();
    const b = await second;
    expect(order).toEqual(["b"]);
    expect(b.queuedMs).toBeGreaterThanOrEqual(15);
    // Releasing twice gives back nothing more: c still waits for b.
    first.release();
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual(["b"]);
    b.release();
    (await third).release();
    expect(order).toEqual(["b", "c"]);
    expect(device.held).toBe(false);
  });

  it("refuses BUSY past the queue's length and past a peer's share, and takes a peer back once it left", async () => {
    const device = new DeviceAdmission(limits);
    const held = await device.admit("a", never());
    const queued = [device.admit("a", never()), device.admit("b", never())];
    await expect(device.admit("a", never())).rejects.toMatchObject({ code: ServeErrorCode.BUSY });
    const c = device.admit("c", never());
    await expect(device.admit("d", never())).rejects.toMatchObject({ code: ServeErrorCode.BUSY });
    held.release();
    (await queued[0]!).release();
    (await queued[1]!).release();
    (await c).release();
    (await device.admit("a", never())).release();
  });

  it("a stream that ends while queued leaves the queue; the next one is admitted instead", async () => {
    const device = new DeviceAdmission(limits);
    const held = await device.admit("a", never());
    const quitter = new AbortController();
    const gone = device.admit("b", quitter.signal);
    const next = device.admit("c", never());
    quitter.abort(new Error("stream closed"));
    await expect(gone).rejects.toThrow("stream closed");
    expect(device.queued).toBe(1);
    held.release();
    const c = await next;
    expect(device.held).toBe(true);
    c.release();
    // b's share was given back when it left.
    (await device.admit("b", never())).release();
  });
});
