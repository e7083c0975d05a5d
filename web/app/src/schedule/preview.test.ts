import { describe, expect, it } from "vitest";
import { parseGoDuration } from "./duration";
import { intervalSlots } from "./preview";

describe("parseGoDuration", () => {
  it("reads Go's syntax", () => {
    expect(parseGoDuration("30s")).toBe(30_000);
    expect(parseGoDuration("1h30m")).toBe(5_400_000);
    expect(parseGoDuration("1.5h")).toBe(5_400_000);
    expect(parseGoDuration("300ms")).toBe(300);
    expect(parseGoDuration("0")).toBe(0);
  });
  it("refuses what Go refuses", () => {
    for (const bad of ["", "5", "1d", "h", "1h 30m", "--1s"]) expect(parseGoDuration(bad)).toBeNull();
  });
});

describe("intervalSlots", () => {
  const now = Date.parse("2026-12-01T10:07:20Z");
  it("counts slots from the epoch by default, so 15m fires on the quarter hour", () => {
    expect(intervalSlots("15m", "", now, 2)).toEqual(["2026-12-01T10:15:00.000Z", "2026-12-01T10:30:00.000Z"]);
  });
  it("counts from the anchor", () => {
    expect(intervalSlots("1h", "2026-01-01T00:05:00Z", now, 1)).toEqual(["2026-12-01T11:05:00.000Z"]);
  });
  it("refuses intervals under a second and bad anchors", () => {
    expect(intervalSlots("500ms", "", now, 1)).toBeNull();
    expect(intervalSlots("1m", "yesterday", now, 1)).toBeNull();
  });
});
