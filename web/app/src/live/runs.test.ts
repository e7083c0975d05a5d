import { describe, expect, it } from "vitest";
import type { RunStatus } from "../gql/graphql";
import { mergeRuns, runsOf } from "./runs";
import type { Run, ScheduleEvent } from "./schedules";

function run(id: string, second: number, status: RunStatus = "SUCCEEDED"): Run {
  return {
    id,
    dataSourceId: "ds",
    status,
    trigger: "SCHEDULE",
    scheduledFor: new Date(Date.UTC(2026, 11, 1, 10, 0, second)).toISOString(),
    coversUntil: null,
    slotCount: 1,
    startedAt: null,
    finishedAt: null,
    durationMs: null,
    attempt: 1,
    maxAttempts: 3,
    error: null,
    replicaId: null,
    filesFound: 0,
    recordsFound: 0,
    skippedCount: 0,
  };
}

const ev = (r: Run): ScheduleEvent => ({
  cursor: r.id,
  kind: "RUN_STARTED",
  occurredAt: r.scheduledFor,
  dataSourceId: "ds",
  nextRunAt: null,
  paused: null,
  run: r,
  files: null,
});

describe("mergeRuns", () => {
  const page = [run("c", 30), run("b", 20), run("a", 10)];

  it("puts new runs on top of the first page, newest slot first", () => {
    const live = runsOf([ev(run("d", 40, "RUNNING"))], new Map());
    expect(mergeRuns(page, live, { firstPage: true }).map((r) => r.id)).toEqual(["d", "c", "b", "a"]);
  });

  it("updates runs in place with their live state", () => {
    const live = runsOf([ev(run("b", 20, "FAILED"))], new Map());
    expect(mergeRuns(page, live, { firstPage: true })[1]!.status).toBe("FAILED");
  });

  it("adds nothing to later pages", () => {
    const live = runsOf([ev(run("d", 40))], new Map());
    expect(mergeRuns(page, live, { firstPage: false }).map((r) => r.id)).toEqual(["c", "b", "a"]);
  });

  it("keeps to the status filter, dropping runs that leave it", () => {
    const live = runsOf([ev(run("b", 20, "SUCCEEDED")), ev(run("d", 40, "FAILED"))], new Map());
    const failed = [run("b", 20, "FAILED")];
    expect(mergeRuns(failed, live, { firstPage: true, statuses: ["FAILED"] }).map((r) => r.id)).toEqual(["d"]);
  });

  it("does not pull older runs seen live onto the first page", () => {
    const live = runsOf([ev(run("old", 1))], new Map());
    expect(mergeRuns(page, live, { firstPage: true }).map((r) => r.id)).toEqual(["c", "b", "a"]);
  });
});

describe("runsOf", () => {
  it("keeps the newest runs only, up to its limit", () => {
    let live: ReadonlyMap<string, Run> = new Map();
    for (let i = 0; i < 10; i++) live = runsOf([ev(run(`r${i}`, i))], live, 4);
    expect([...live.keys()].sort()).toEqual(["r6", "r7", "r8", "r9"]);
  });

  it("returns the same map when no event carries a run", () => {
    const live = new Map();
    expect(runsOf([{ ...ev(run("x", 1)), run: null }], live)).toBe(live);
  });
});
