import type { RunFieldsFragment, ScheduleEventFieldsFragment } from "../gql/graphql";

// Folds scheduleEvents into what the screens show of each schedule. Pure, so
// that it is unit-tested; the live store applies a frame's events at once.

export type Run = RunFieldsFragment;
export type ScheduleEvent = ScheduleEventFieldsFragment;

/** What a datasource's row shows about its schedule, as the events left it. */
export type ScheduleView = {
  nextRunAt: string | null;
  paused: boolean;
  /** The latest run that started (or the latest known, before one starts). */
  lastRun: Run | null;
  /** Runs working now (RUNNING or RETRYING), by id: more than one under ALLOW. */
  active: Readonly<Record<string, Run>>;
  /** The newest event applied, for tracing and the "updated" hint. */
  occurredAt: string | null;
};

export type ScheduleViews = ReadonlyMap<string, ScheduleView>;

export const emptyView: ScheduleView = {
  nextRunAt: null,
  paused: false,
  lastRun: null,
  active: {},
  occurredAt: null,
};

const activeStatuses = new Set(["RUNNING", "RETRYING"]);

/** The status a row shows: RUNNING while any run works, else the last run's. */
export function displayStatus(view: ScheduleView): Run["status"] | null {
  const active = Object.values(view.active);
  if (active.some((r) => r.status === "RUNNING")) return "RUNNING";
  if (active.length > 0) return "RETRYING";
  return view.lastRun?.status ?? null;
}

/** A later run of the same schedule: a later slot, or the same run changed. */
function supersedes(run: Run, last: Run | null): boolean {
  if (!last || run.id === last.id) return true;
  const t = (time: string | null) => (time === null ? 0 : Date.parse(time));
  return t(run.scheduledFor) >= t(last.scheduledFor) || t(run.startedAt) > t(last.startedAt);
}

/** Applies one event to a schedule's view; returns the same object when nothing changed. */
export function applyEvent(view: ScheduleView, event: ScheduleEvent): ScheduleView {
  const next: ScheduleView = { ...view, occurredAt: event.occurredAt };
  const run = event.run;
  switch (event.kind) {
    case "SNAPSHOT":
      next.nextRunAt = event.nextRunAt;
      next.paused = event.paused ?? false;
      next.lastRun = run;
      next.active = run && activeStatuses.has(run.status) ? { [run.id]: run } : {};
      return next;
    case "SCHEDULE_NEXT_RUN":
      next.nextRunAt = event.nextRunAt;
      return next;
    case "SCHEDULE_PAUSED":
    case "SCHEDULE_RESUMED":
      next.paused = event.paused ?? event.kind === "SCHEDULE_PAUSED";
      return next;
    case "RUN_SCHEDULED":
      // Only the planner's runs say where the schedule goes next; a manual
      // run leaves nextRunAt null because it does not know it.
      if (run?.trigger === "SCHEDULE") next.nextRunAt = event.nextRunAt;
      return next;
    case "RUN_STARTED":
    case "RUN_RETRYING":
    case "RUN_SUCCEEDED":
    case "RUN_FAILED":
    case "RUN_CANCELLED": {
      if (!run) return view;
      const active = { ...view.active };
      if (activeStatuses.has(run.status)) active[run.id] = run;
      else delete active[run.id];
      next.active = active;
      // A cancelled slot that never started does not replace the last run.
      const started = run.startedAt !== null;
      if (started && supersedes(run, view.lastRun)) next.lastRun = run;
      return next;
    }
    case "RUN_SKIPPED":
    case "RUN_MISSED":
    case "FILES_DISCOVERED":
      // Slots that did not run, and discovery totals, are shown by the
      // detail page and the files query; the row's status is unchanged.
      return view;
  }
}

/** Applies a batch of events; the result shares every untouched view. */
export function applyEvents(views: ScheduleViews, events: readonly ScheduleEvent[]): ScheduleViews {
  if (events.length === 0) return views;
  const out = new Map(views);
  for (const event of events) {
    const before = out.get(event.dataSourceId) ?? emptyView;
    const after = applyEvent(before, event);
    if (after !== before) out.set(event.dataSourceId, after);
  }
  return out;
}
