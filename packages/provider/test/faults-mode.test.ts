import { describe, expect, it } from "vitest";
import { FaultModeErrorCode, formatFaultMode, isOfflineEpoch, parseFaultMode } from "../src/faults/mode.ts";

describe("parseFaultMode", () => {
  it("parses every mode", () => {
    expect(parseFaultMode("honest")).toEqual({ kind: "honest" });
    expect(parseFaultMode("ghost")).toEqual({ kind: "ghost" });
    expect(parseFaultMode("wrong-results:0.25")).toEqual({ kind: "wrong-results", fraction: 0.25 });
    expect(parseFaultMode("wrong-rows:0.05")).toEqual({ kind: "wrong-rows", fraction: 0.05 });
    expect(parseFaultMode("slow:4")).toEqual({ kind: "slow", factor: 4 });
    expect(parseFaultMode("selective:0.5")).toEqual({ kind: "selective", fraction: 0.5 });
    const list = parseFaultMode("offline-epochs:3,5,7-9");
    expect(list.kind).toBe("offline-epochs");
    if (list.kind !== "offline-epochs") throw new Error("unreachable");
    expect([3n, 5n, 7n, 8n, 9n].every((e) => isOfflineEpoch(list.schedule, e))).toBe(true);
    expect([0n, 4n, 6n, 10n].some((e) => isOfflineEpoch(list.schedule, e))).toBe(false);
    const every = parseFaultMode("offline-epochs:every:3+1");
    if (every.kind !== "offline-epochs") throw new Error("unreachable");
    expect([1n, 4n, 7n].every((e) => isOfflineEpoch(every.schedule, e))).toBe(true);
    expect([0n, 2n, 3n, 5n].some((e) => isOfflineEpoch(every.schedule, e))).toBe(false);
  });

  it("round-trips through formatFaultMode", () => {
    for (const text of [
      "honest",
      "ghost",
      "wrong-results:0.5",
      "wrong-rows:0.05",
      "slow:2.5",
      "selective:1",
      "offline-epochs:every:2+0",
      "offline-epochs:1,2,3",
    ]) {
      expect(formatFaultMode(parseFaultMode(text))).toBe(text);
    }
  });

  it.each([
    "",
    "lazy",
    "honest:1",
    "ghost:0.5",
    "wrong-results",
    "wrong-results:1.5",
    "wrong-results:-0.1",
    "wrong-results:abc",
    "slow:0.5",
    "slow:",
    "selective:2",
    "offline-epochs",
    "offline-epochs:",
    "offline-epochs:5-3",
    "offline-epochs:1,,2",
    "offline-epochs:every:0",
    "offline-epochs:every:3+3",
    "offline-epochs:0-99999999999",
  ])("refuses %j with a typed error naming the syntax", (text) => {
    try {
      parseFaultMode(text);
      expect.unreachable();
    } catch (err) {
      expect((err as { code?: string }).code).toBe(FaultModeErrorCode.INVALID);
      expect((err as Error).message).toContain("expected honest |");
    }
  });
});
