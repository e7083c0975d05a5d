import { useMemo } from "react";
import { errorText } from "../api/errors";
import { formatTime } from "../format";
import { graphql } from "../gql";
import type { RunStatus } from "../gql/graphql";
import { mergeRuns, type SlotRun } from "../live/runs";
import type { Run } from "../live/schedules";
import { layoutSlots, slotCounts } from "../timeline/layout";
import { ErrorState, Loading } from "./States";
import { useLiveQuery } from "../api/useLiveQuery";

// Only what a cell needs: a hundred runs of every field would pass the
// API's complexity limit.
const TimelineQuery = graphql(`
  query SlotTimeline($id: ID!) {
    dataSource(id: $id) {
      id
      runs(first: 100) {
        edges {
          node {
            id
            status
            scheduledFor
            coversUntil
            slotCount
          }
        }
      }
    }
  }
`);

const order: RunStatus[] = ["SUCCEEDED", "FAILED", "RETRYING", "RUNNING", "SCHEDULED", "SKIPPED", "MISSED", "CANCELLED"];

/** The last 100 slots, oldest on the left, coloured by outcome. */
export function SlotTimeline({
  dataSourceId,
  liveRuns,
  timeZone,
}: {
  dataSourceId: string;
  liveRuns: ReadonlyMap<string, Run>;
  timeZone: string;
}) {
  const [result] = useLiveQuery({ query: TimelineQuery, variables: { id: dataSourceId } });
  const page = useMemo(() => result.data?.dataSource?.runs.edges.map((e) => e.node) ?? [], [result.data]);
  const cells = useMemo(
    () => layoutSlots(mergeRuns<SlotRun>(page, liveRuns, { firstPage: true }).slice(0, 100)),
    [page, liveRuns],
  );
  const counts = slotCounts(cells);
  return (
    <section aria-labelledby="timeline-title" className="panel">
      <h2 id="timeline-title">Recent slots</h2>
      {result.error && !result.data ? (
        <ErrorState title="The slots could not be loaded" message={errorText(result.error)} />
      ) : !result.data ? (
        <Loading what="slots" />
      ) : cells.length === 0 ? (
        <p className="muted">No slot has come due yet.</p>
      ) : (
        <>
          <ol className="timeline" aria-label="Slots, oldest first">
            {cells.map((c) => (
              <li
                key={c.runId}
                className={`slot slot-${c.status.toLowerCase()}`}
                style={{ flexGrow: c.width, maxWidth: `${c.width * 1.5}rem` }}
                title={`${c.status}${c.slots > 1 ? ` ×${c.slots.toLocaleString("en")}` : ""}: ${formatTime(c.from, timeZone)}${c.slots > 1 ? ` … ${formatTime(c.until, timeZone)}` : ""}`}
                aria-label={c.label}
                data-status={c.status}
              >
                {c.slots > 1 ? `×${c.slots.toLocaleString("en")}` : ""}
              </li>
            ))}
          </ol>
          <div className="axis small muted" aria-hidden="true">
            <span>{formatTime(cells[0]!.from, timeZone)}</span>
            <span>{formatTime(cells[cells.length - 1]!.until, timeZone)}</span>
          </div>
          <ul className="legend">
            {order
              .filter((s) => counts[s])
              .map((s) => (
                <li key={s}>
                  <span className={`swatch slot-${s.toLowerCase()}`} aria-hidden="true" /> {s.toLowerCase()}{" "}
                  {counts[s]!.toLocaleString("en")}
                </li>
              ))}
          </ul>
        </>
      )}
    </section>
  );
}
