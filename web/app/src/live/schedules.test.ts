import { describe, expect, it } from "vitest";
import type { RunStatus } from "../gql/graphql";
import { applyEvent, applyEvents, displayStatus, emptyView, type Run, type ScheduleEvent } from "./schedules";

function run(id: string, status: RunStatus, over: Partial<Run> = {}): Run {
  return {
    id,
    dataSourceId: "ds1",
    status,
    trigger: "SCHEDULE",
    scheduledFor: "2026-12-01T10:00:00Z",
    coversUntil: null,
    slotCount: 1,
    startedAt: status === "SCHEDULED" ? null : "2026-12-01T10:00:00.1Z",
    finishedAt: null,
    durationMs: null,
    attempt: status === "SCHEDULED" ? 0 : 1,
    maxAttempts: 3,
    error: null,
    replicaId: "a",
    filesFound: 0,
    recordsFound: 0,
    skippedCount: 0,
    ...over,
  };
}

let seq = 0;
function event(kind: ScheduleEvent["kind"], over: Partial<ScheduleEvent> = {}): ScheduleEvent {
  seq++;
  return {
    cursor: `1:${seq}`,
    kind,
    occurredAt: `2026-12-01T10:00:${String(seq % 60).padStart(2, "0")}Z`,
    dataSourceId: "ds1",
    nextRunAt: null,
    paused: null,
    run: null,
    files: null,
    ...over,
  };
}

describe("applyEvent", () => {
  it("takes the whole state from a snapshot", () => {
    const last = run("r1", "SUCCEEDED");
    const v = applyEvent(emptyView, event("SNAPSHOT", { nextRunAt: "2026-12-01T10:00:30Z", paused: false, run: last }));
    expect(v.nextRunAt).toBe("2026-12-01T10:00:30Z");
    expect(v.lastRun).toBe(last);
    expect(displayStatus(v)).toBe("SUCCEEDED");
  });

  it("shows RUNNING while a run works, then its result", () => {
    let v = applyEvent(emptyView, event("SNAPSHOT", { paused: false, run: run("r0", "FAILED") }));
    v = applyEvent(v, event("RUN_SCHEDULED", { run: run("r1", "SCHEDULED"), nextRunAt: "2026-12-01T10:00:10Z" }));
    expect(displayStatus(v)).toBe("FAILED"); // planned is not started
    expect(v.nextRunAt).toBe("2026-12-01T10:00:10Z");
    v = applyEvent(v, event("RUN_STARTED", { run: run("r1", "RUNNING") }));
    expect(displayStatus(v)).toBe("RUNNING");
    v = applyEvent(v, event("RUN_SUCCEEDED", { run: run("r1", "SUCCEEDED", { finishedAt: "2026-12-01T10:00:01Z" }) }));
    expect(displayStatus(v)).toBe("SUCCEEDED");
    expect(v.active).toEqual({});
  });

  it("keeps RUNNING while any of overlapping runs works (ALLOW)", () => {
    let v = applyEvent(emptyView, event("RUN_STARTED", { run: run("r1", "RUNNING") }));
    v = applyEvent(v, event("RUN_STARTED", { run: run("r2", "RUNNING", { scheduledFor: "2026-12-01T10:00:10Z" }) }));
    v = applyEvent(v, event("RUN_SUCCEEDED", { run: run("r2", "SUCCEEDED", { scheduledFor: "2026-12-01T10:00:10Z" }) }));
    expect(displayStatus(v)).toBe("RUNNING");
    // The later slot's result stays the last run when the earlier one ends.
    v = applyEvent(v, event("RUN_FAILED", { run: run("r1", "FAILED") }));
    expect(displayStatus(v)).toBe("SUCCEEDED");
    expect(v.lastRun?.id).toBe("r2");
  });

  it("shows RETRYING between attempts", () => {
    let v = applyEvent(emptyView, event("RUN_STARTED", { run: run("r1", "RUNNING") }));
    v = applyEvent(v, event("RUN_RETRYING", { run: run("r1", "RETRYING", { error: "disk" }) }));
    expect(displayStatus(v)).toBe("RETRYING");
  });

  it("does not take nextRunAt from a manual run", () => {
    let v = applyEvent(emptyView, event("SCHEDULE_NEXT_RUN", { nextRunAt: "2026-12-01T11:00:00Z" }));
    v = applyEvent(v, event("RUN_SCHEDULED", { run: run("m", "SCHEDULED", { trigger: "MANUAL" }), nextRunAt: null }));
    expect(v.nextRunAt).toBe("2026-12-01T11:00:00Z");
  });

  it("clears nextRunAt when the schedule will never fire again", () => {
    let v = applyEvent(emptyView, event("SCHEDULE_NEXT_RUN", { nextRunAt: "2026-12-01T11:00:00Z" }));
    v = applyEvent(v, event("SCHEDULE_NEXT_RUN", { nextRunAt: null }));
    expect(v.nextRunAt).toBeNull();
  });

  it("follows pause and resume", () => {
    let v = applyEvent(emptyView, event("SCHEDULE_PAUSED", { paused: true }));
    expect(v.paused).toBe(true);
    v = applyEvent(v, event("SCHEDULE_RESUMED", { paused: false }));
    expect(v.paused).toBe(false);
  });

  it("leaves the status alone for slots that did not run", () => {
    const v = applyEvent(emptyView, event("SNAPSHOT", { paused: false, run: run("r1", "SUCCEEDED") }));
    for (const kind of ["RUN_SKIPPED", "RUN_MISSED", "FILES_DISCOVERED"] as const) {
      expect(applyEvent(v, event(kind, { run: run("x", kind === "RUN_MISSED" ? "MISSED" : "SKIPPED") }))).toBe(v);
    }
  });

  it("compares instants, not strings, when fractions differ", () => {
    // "…10:00:00.5Z" sorts before "…10:00:00Z" as text, yet is later.
    let v = applyEvent(emptyView, event("RUN_SUCCEEDED", { run: run("a", "SUCCEEDED", { scheduledFor: "2026-12-01T10:00:00Z" }) }));
    v = applyEvent(v, event("RUN_SUCCEEDED", { run: run("b", "FAILED", { scheduledFor: "2026-12-01T10:00:00.5Z" }) }));
    expect(v.lastRun?.id).toBe("b");
  });
});

describe("applyEvents", () => {
  it("shares the views of datasources no event touched", () => {
    const other = { ...emptyView, paused: true };
    const views = new Map([["ds2", other]]);
    const out = applyEvents(views, [event("RUN_STARTED", { run: run("r1", "RUNNING") })]);
    expect(out.get("ds2")).toBe(other);
    expect(displayStatus(out.get("ds1")!)).toBe("RUNNING");
  });

  it("returns the same map for an empty batch", () => {
    const views = new Map();
    expect(applyEvents(views, [])).toBe(views);
  });
});
