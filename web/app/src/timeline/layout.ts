import type { RunStatus } from "../gql/graphql";
import type { SlotRun } from "../live/runs";

// The slot timeline: every recent slot as a cell, oldest on the left, so
// that a gap, a failure streak or an outage shows at a glance. A MISSED run
// can stand for a range of slots (a week-long outage of a 1-second schedule
// is one row); it gets a wider cell that says how many, not one cell per slot.

export type SlotCell = {
  runId: string;
  status: RunStatus;
  /** Slots the cell stands for: 1, or the size of a MISSED range. */
  slots: number;
  /** Width in cell units: 1 for a slot, more (logarithmically, capped) for a range. */
  width: number;
  from: string;
  until: string;
  label: string;
};

/** Widest a MISSED range is drawn, in slot widths. */
export const maxRangeWidth = 6;

export function rangeWidth(slots: number): number {
  if (slots <= 1) return 1;
  return Math.min(maxRangeWidth, 1 + Math.ceil(Math.log10(slots)));
}

/** Cells for runs (any order), oldest slot first. */
export function layoutSlots(runs: readonly SlotRun[]): SlotCell[] {
  return [...runs]
    .sort((a, b) => Date.parse(a.scheduledFor) - Date.parse(b.scheduledFor))
    .map((run) => {
      const slots = Math.max(1, run.slotCount);
      const until = run.coversUntil ?? run.scheduledFor;
      const label =
        slots > 1
          ? `${run.status} ×${slots.toLocaleString("en")}: ${run.scheduledFor} … ${until}`
          : `${run.status}: ${run.scheduledFor}`;
      return { runId: run.id, status: run.status, slots, width: rangeWidth(slots), from: run.scheduledFor, until, label };
    });
}

/** Counts per status over the cells' slots, for the legend. */
export function slotCounts(cells: readonly SlotCell[]): Partial<Record<RunStatus, number>> {
  const out: Partial<Record<RunStatus, number>> = {};
  for (const c of cells) out[c.status] = (out[c.status] ?? 0) + c.slots;
  return out;
}
