import { describe, expect, it } from "vitest";
import type { RunStatus } from "../gql/graphql";
import type { Run } from "../live/schedules";
import { layoutSlots, maxRangeWidth, rangeWidth, slotCounts } from "./layout";

function run(id: string, minute: number, status: RunStatus, slotCount = 1, untilMinute?: number): Run {
  const at = (m: number) => new Date(Date.UTC(2026, 11, 1, 10, m)).toISOString();
  return {
    id,
    dataSourceId: "ds",
    status,
    trigger: "SCHEDULE",
    scheduledFor: at(minute),
    coversUntil: untilMinute === undefined ? null : at(untilMinute),
    slotCount,
    startedAt: null,
    finishedAt: null,
    durationMs: null,
    attempt: 0,
    maxAttempts: 3,
    error: null,
    replicaId: null,
    filesFound: 0,
    recordsFound: 0,
    skippedCount: 0,
  };
}

describe("layoutSlots", () => {
  it("orders cells oldest first, whatever the input order", () => {
    const cells = layoutSlots([run("c", 3, "RUNNING"), run("a", 1, "SUCCEEDED"), run("b", 2, "FAILED")]);
    expect(cells.map((c) => c.runId)).toEqual(["a", "b", "c"]);
    expect(cells.every((c) => c.width === 1 && c.slots === 1)).toBe(true);
  });

  it("draws a MISSED range as one wider cell that says how many slots it covers", () => {
    const cells = layoutSlots([run("ok", 0, "SUCCEEDED"), run("gap", 1, "MISSED", 600, 600), run("next", 601, "SUCCEEDED")]);
    const gap = cells[1]!;
    expect(gap.status).toBe("MISSED");
    expect(gap.slots).toBe(600);
    expect(gap.width).toBe(4); // 1 + ceil(log10(600))
    expect(gap.from).toBe("2026-12-01T10:01:00.000Z");
    expect(gap.until).toBe("2026-12-01T20:00:00.000Z");
    expect(gap.label).toContain("×600");
  });

  it("caps the width of a huge range", () => {
    expect(rangeWidth(604_800)).toBe(maxRangeWidth); // a week of 1-second slots
    expect(rangeWidth(1)).toBe(1);
    expect(rangeWidth(2)).toBe(2);
    expect(rangeWidth(10)).toBe(2);
    expect(rangeWidth(11)).toBe(3);
  });

  it("treats a single MISSED slot like any slot", () => {
    const [cell] = layoutSlots([run("m", 5, "MISSED", 1)]);
    expect(cell!.width).toBe(1);
    expect(cell!.until).toBe(cell!.from);
  });

  it("counts slots, not rows, per status", () => {
    const cells = layoutSlots([run("a", 0, "SUCCEEDED"), run("g", 1, "MISSED", 50, 50), run("s", 51, "SKIPPED")]);
    expect(slotCounts(cells)).toEqual({ SUCCEEDED: 1, MISSED: 50, SKIPPED: 1 });
  });
});
