import type { RunStatus } from "../gql/graphql";
import type { Run, ScheduleEvent } from "./schedules";

// A page of runs from a query, kept current by the run events that follow.

/** What ordering and merging runs needs of one: the timeline asks only this. */
export type SlotRun = Pick<Run, "id" | "status" | "scheduledFor" | "coversUntil" | "slotCount">;

/** Newest slot first, as the API orders runs. */
export function byNewestSlot(a: SlotRun, b: SlotRun): number {
  return Date.parse(b.scheduledFor) - Date.parse(a.scheduledFor) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/** Most live runs a page keeps: a 1-second schedule must not grow the tab for good. */
export const liveRunLimit = 500;

/**
 * Runs carried by a batch of events, the latest state of each, by id; at
 * most limit, the newest slots kept.
 */
export function runsOf(
  events: readonly ScheduleEvent[],
  overlay: ReadonlyMap<string, Run>,
  limit = liveRunLimit,
): ReadonlyMap<string, Run> {
  if (!events.some((e) => e.run)) return overlay;
  const out = new Map(overlay);
  for (const e of events) if (e.run) out.set(e.run.id, e.run);
  if (out.size <= limit) return out;
  return new Map([...out.values()].sort(byNewestSlot).slice(0, limit).map((r) => [r.id, r]));
}

/**
 * The runs a page shows: its query's runs with their live state, and, on the
 * first page, runs that appeared since the query (when they match statuses).
 */
export function mergeRuns<R extends SlotRun>(
  page: readonly R[],
  live: ReadonlyMap<string, R>,
  opts: { firstPage: boolean; statuses?: readonly RunStatus[] | null },
): R[] {
  const keep = (r: R) => !opts.statuses?.length || opts.statuses.includes(r.status);
  const seen = new Set<string>();
  const out: R[] = [];
  for (const r of page) {
    seen.add(r.id);
    const current = live.get(r.id) ?? r;
    // A run that changed to a status the filter excludes leaves the page.
    if (keep(current)) out.push(current);
  }
  if (opts.firstPage) {
    // A new run belongs on the first page when it is newer than the page's last.
    const oldest = page.length > 0 ? Date.parse(page[page.length - 1]!.scheduledFor) : -Infinity;
    for (const r of live.values()) {
      if (!seen.has(r.id) && keep(r) && Date.parse(r.scheduledFor) >= oldest) out.push(r);
    }
  }
  return out.sort(byNewestSlot);
}
