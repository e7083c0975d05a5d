import { Fragment, useMemo, useState } from "react";
import { useQuery } from "urql";
import { errorText } from "../api/errors";
import { formatCount, formatDurationMs, formatTime } from "../format";
import { graphql } from "../gql";
import type { RunStatus } from "../gql/graphql";
import { mergeRuns } from "../live/runs";
import type { Run } from "../live/schedules";
import { CursorPager, useCursorPages } from "./CursorPager";
import { Empty, ErrorState, Loading } from "./States";
import { StatusBadge } from "./StatusBadge";
import { useLiveQuery } from "../api/useLiveQuery";

const RunsQuery = graphql(`
  query RunHistory($id: ID!, $after: String, $status: [RunStatus!]) {
    dataSource(id: $id) {
      id
      runs(first: 20, after: $after, status: $status) {
        totalCount
        edges {
          node {
            ...RunFields
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`);

const RunDetailQuery = graphql(`
  query RunDetail($id: ID!) {
    run(id: $id) {
      id
      attemptErrors {
        attempt
        at
        error
      }
      skipped {
        path
        reason
      }
      skippedCount
    }
  }
`);

const statusFilters: { label: string; statuses: RunStatus[] | null }[] = [
  { label: "All", statuses: null },
  { label: "Failed", statuses: ["FAILED", "RETRYING"] },
  { label: "Succeeded", statuses: ["SUCCEEDED"] },
  { label: "Not run", statuses: ["SKIPPED", "MISSED", "CANCELLED"] },
];

/** The datasource's runs, newest first, 20 a page, live on the first page. */
export function RunHistory({
  dataSourceId,
  liveRuns,
  timeZone,
}: {
  dataSourceId: string;
  liveRuns: ReadonlyMap<string, Run>;
  timeZone: string;
}) {
  const [filter, setFilter] = useState(0);
  const pages = useCursorPages();
  const after = pages.after;
  const statuses = statusFilters[filter]!.statuses;
  const [result] = useLiveQuery({ query: RunsQuery, variables: { id: dataSourceId, after, status: statuses } });
  const connection = result.data?.dataSource?.runs;
  const { runs, added } = useMemo(() => {
    const page = connection?.edges.map((e) => e.node) ?? [];
    const merged = mergeRuns(page, liveRuns, { firstPage: after === null, statuses });
    const queried = new Set(page.map((r) => r.id));
    // Runs that appeared since the query count towards the total.
    return { runs: merged, added: merged.filter((r) => !queried.has(r.id)).length };
  }, [connection, liveRuns, after, statuses]);
  const [open, setOpen] = useState<string | null>(null);

  return (
    <section aria-labelledby="runs-title" className="panel">
      <div className="panel-head">
        <h2 id="runs-title">Runs</h2>
        <div className="segmented" role="group" aria-label="Filter runs">
          {statusFilters.map((f, i) => (
            <button
              key={f.label}
              type="button"
              aria-pressed={filter === i}
              onClick={() => {
                setFilter(i);
                pages.reset();
              }}
            >
              {f.label}
            </button>
          ))}
        </div>
      </div>
      {result.error && !result.data ? (
        <ErrorState title="The runs could not be loaded" message={errorText(result.error)} />
      ) : !result.data ? (
        <Loading what="runs" />
      ) : runs.length === 0 ? (
        <Empty>
          <p>No runs{statuses ? " with this status" : " yet"}.</p>
        </Empty>
      ) : (
        <div className="table-wrap">
          <table className="runs">
            <thead>
              <tr>
                <th scope="col">Slot</th>
                <th scope="col">Status</th>
                <th scope="col">Trigger</th>
                <th scope="col">Attempt</th>
                <th scope="col">Started</th>
                <th scope="col">Duration</th>
                <th scope="col">Replica</th>
                <th scope="col" className="num">
                  Files
                </th>
                <th scope="col">
                  <span className="visually-hidden">Details</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {runs.map((run) => (
                <Fragment key={run.id}>
                  <tr data-run-id={run.id} data-status={run.status}>
                    <td>
                      <time dateTime={run.scheduledFor}>{formatTime(run.scheduledFor, timeZone)}</time>
                      {run.slotCount > 1 && (
                        <div className="small muted">
                          … {formatTime(run.coversUntil, timeZone)} ({formatCount(run.slotCount)} slots)
                        </div>
                      )}
                    </td>
                    <td>
                      <StatusBadge status={run.status} />
                      {run.error && <div className="small error-text">{run.error}</div>}
                    </td>
                    <td>{run.trigger === "MANUAL" ? "Manual" : "Schedule"}</td>
                    <td>
                      {run.attempt}/{run.maxAttempts}
                    </td>
                    <td>{run.startedAt ? formatTime(run.startedAt, timeZone) : "—"}</td>
                    <td>{formatDurationMs(run.durationMs)}</td>
                    <td>{run.replicaId ?? "—"}</td>
                    <td className="num">
                      {formatCount(run.filesFound)}
                      {run.skippedCount > 0 && <div className="small muted">{formatCount(run.skippedCount)} skipped</div>}
                    </td>
                    <td>
                      <button
                        type="button"
                        className="link"
                        aria-expanded={open === run.id}
                        onClick={() => setOpen(open === run.id ? null : run.id)}
                      >
                        {open === run.id ? "Hide" : "Details"}
                      </button>
                    </td>
                  </tr>
                  {open === run.id && (
                    <tr className="run-detail">
                      <td colSpan={9}>
                        <RunDetail id={run.id} timeZone={timeZone} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <CursorPager label="Run pages" pages={pages} pageInfo={connection?.pageInfo}>
        {connection && <span className="muted">{formatCount(connection.totalCount + added)} in all</span>}
      </CursorPager>
    </section>
  );
}

function RunDetail({ id, timeZone }: { id: string; timeZone: string }) {
  const [result] = useQuery({ query: RunDetailQuery, variables: { id }, requestPolicy: "network-only" });
  if (result.error) return <p className="error-text">{errorText(result.error)}</p>;
  const run = result.data?.run;
  if (!run) return <Loading what="the run" />;
  return (
    <div className="run-detail-body">
      <h3>Attempt errors</h3>
      {run.attemptErrors.length === 0 ? (
        <p className="muted">No attempt failed.</p>
      ) : (
        <ol>
          {run.attemptErrors.map((e) => (
            <li key={e.attempt}>
              Attempt {e.attempt}, {formatTime(e.at, timeZone)}: <code>{e.error}</code>
            </li>
          ))}
        </ol>
      )}
      <h3>Skipped entries</h3>
      {run.skippedCount === 0 ? (
        <p className="muted">Nothing was skipped.</p>
      ) : (
        <ul>
          {run.skipped.map((s) => (
            <li key={s.path}>
              <code>{s.path}</code>: {s.reason}
            </li>
          ))}
          {run.skippedCount > run.skipped.length && <li>… and {formatCount(run.skippedCount - run.skipped.length)} more</li>}
        </ul>
      )}
    </div>
  );
}
