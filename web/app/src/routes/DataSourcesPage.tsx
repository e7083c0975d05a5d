import { memo, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useSearch, useLocation } from "wouter";
import { graphql } from "../gql";
import type { DataSourceListItemFragment } from "../gql/graphql";
import { errorText } from "../api/errors";
import { Countdown } from "../components/Countdown";
import { Empty, ErrorState, Loading, StaleNotice } from "../components/States";
import { StatusBadge } from "../components/StatusBadge";
import { formatCount } from "../format";
import { useScheduleViews, useThrottled } from "../live/hooks";
import { displayStatus, emptyView, type ScheduleView } from "../live/schedules";
import { useDataSourceEvents } from "../api/dataSourceFeed";
import { describeSchedule } from "../schedule/describe";
import { useLiveQuery } from "../api/useLiveQuery";
import { useCan } from "../auth/AuthGate";

graphql(`
  fragment DataSourceListItem on DataSource {
    id
    name
    supplierName
    category
    enabled
    version
    schedule {
      cron
      interval
      timezone
      paused
      nextRunAt
    }
    fileTotals {
      files
      records
    }
  }
`);

const DataSourcesQuery = graphql(`
  query DataSources($first: Int!, $after: String, $search: String, $enabled: Boolean) {
    dataSources(first: $first, after: $after, search: $search, enabled: $enabled) {
      totalCount
      edges {
        cursor
        node {
          ...DataSourceListItem
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const pageSize = 50;

/** The list's filters, kept in the address so that a view can be shared. */
export type ListFilters = { search: string; enabled: boolean | null; after: string | null };

export function parseListFilters(search: string): ListFilters {
  const params = new URLSearchParams(search);
  const enabled = params.get("enabled");
  return {
    search: params.get("q") ?? "",
    enabled: enabled === "true" ? true : enabled === "false" ? false : null,
    after: params.get("after"),
  };
}

export function listFiltersQuery(f: ListFilters): string {
  const params = new URLSearchParams();
  if (f.search) params.set("q", f.search);
  if (f.enabled !== null) params.set("enabled", String(f.enabled));
  if (f.after) params.set("after", f.after);
  const s = params.toString();
  return s ? `?${s}` : "";
}

export function DataSourcesPage() {
  const filters = parseListFilters(useSearch());
  const [, navigate] = useLocation();
  const [searchText, setSearchText] = useState(filters.search);
  const go = (f: ListFilters) => navigate(`/${listFiltersQuery(f)}`);

  // The search box writes the address as one types, a moment after the
  // last key; the address stays the truth (back and forward restore it).
  const typed = useRef(false);
  const latest = useRef({ filters, navigate });
  useEffect(() => {
    latest.current = { filters, navigate };
  });
  useEffect(() => {
    const { filters: f, navigate: nav } = latest.current;
    if (!typed.current || searchText === f.search) return;
    const t = setTimeout(() => nav(`/${listFiltersQuery({ ...f, search: searchText, after: null })}`, { replace: true }), 250);
    return () => clearTimeout(t);
  }, [searchText]);
  useEffect(() => {
    if (!typed.current) setSearchText(filters.search);
  }, [filters.search]);

  const [result, reexecute] = useLiveQuery({
    query: DataSourcesQuery,
    variables: { first: pageSize, after: filters.after, search: filters.search || null, enabled: filters.enabled },
  });
  const refetch = useThrottled(() => reexecute({ requestPolicy: "network-only" }), 1000);
  const connection = result.data?.dataSources;
  const nodes = useMemo(() => connection?.edges.map((e) => e.node) ?? [], [connection]);
  const ids = useMemo(() => nodes.map((n) => n.id), [nodes]);

  const onBatch = useCallback(
    (events: readonly { kind: string }[]) => {
      // New files change the totals the query shows.
      if (events.some((e) => e.kind === "FILES_DISCOVERED")) refetch();
    },
    [refetch],
  );
  const { views, error: liveError } = useScheduleViews(result.data ? ids : [], onBatch);
  // A datasource created, changed or deleted anywhere: the page follows.
  useDataSourceEvents(refetch);
  const canEdit = useCan("editDataSources");

  return (
    <section aria-labelledby="datasources-title">
      <div className="page-head">
        <h1 id="datasources-title">Datasources</h1>
        {canEdit && (
          <Link href="/datasources/new" className="button primary">
            New datasource
          </Link>
        )}
      </div>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search by name
          <input
            type="search"
            value={searchText}
            placeholder="Name contains…"
            onChange={(e) => {
              typed.current = true;
              setSearchText(e.target.value);
            }}
            onBlur={() => (typed.current = false)}
          />
        </label>
        <label>
          Show
          <select
            value={filters.enabled === null ? "all" : String(filters.enabled)}
            onChange={(e) => {
              const v = e.target.value;
              go({ ...filters, enabled: v === "all" ? null : v === "true", after: null });
            }}
          >
            <option value="all">All datasources</option>
            <option value="true">Enabled only</option>
            <option value="false">Disabled only</option>
          </select>
        </label>
        {connection && (
          <p className="muted count" aria-live="polite">
            {formatCount(connection.totalCount)} {connection.totalCount === 1 ? "datasource" : "datasources"}
          </p>
        )}
      </form>
      {liveError && <ErrorState title="Live updates stopped" message={liveError} />}
      {result.data && <StaleNotice error={result.error} />}
      {result.error && !result.data ? (
        <ErrorState title="The datasources could not be loaded" message={errorText(result.error)} retry={refetch} />
      ) : !result.data ? (
        <Loading what="datasources" />
      ) : nodes.length === 0 ? (
        <Empty>
          {filters.search || filters.enabled !== null ? (
            <p>No datasource matches these filters.</p>
          ) : (
            <>
              <p>No datasources yet.</p>
              {canEdit ? (
                <p>
                  <Link href="/datasources/new">Create the first one</Link>: a directory to watch, a file pattern and a
                  schedule.
                </p>
              ) : (
                <p>An editor or admin creates them.</p>
              )}
            </>
          )}
        </Empty>
      ) : (
        <>
          <div className="table-wrap">
            <table className="datasources">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Schedule</th>
                  <th scope="col">Status</th>
                  <th scope="col">Next run</th>
                  <th scope="col" className="num">
                    Files
                  </th>
                  <th scope="col" className="num">
                    Records
                  </th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                {nodes.map((node) => (
                  <DataSourceRow key={node.id} node={node} live={views.get(node.id)} />
                ))}
              </tbody>
            </table>
          </div>
          <nav className="pager" aria-label="Pages">
            {filters.after && (
              <button type="button" onClick={() => history.back()}>
                ← Previous
              </button>
            )}
            {filters.after && (
              <Link href={`/${listFiltersQuery({ ...filters, after: null })}`}>First page</Link>
            )}
            {connection?.pageInfo.hasNextPage && (
              <Link href={`/${listFiltersQuery({ ...filters, after: connection.pageInfo.endCursor })}`}>Next →</Link>
            )}
          </nav>
        </>
      )}
    </section>
  );
}

/** One row; it renders again only when its datasource or its live view changes. */
const DataSourceRow = memo(function DataSourceRow({
  node,
  live,
}: {
  node: DataSourceListItemFragment;
  live: ScheduleView | undefined;
}) {
  // Until the subscription's snapshot arrives (milliseconds), the query's
  // state stands in; the last run comes with the snapshot only, which keeps
  // the page's query within the server's complexity limit.
  const view: ScheduleView = live ?? { ...emptyView, nextRunAt: node.schedule.nextRunAt, paused: node.schedule.paused };
  const status = displayStatus(view);
  const expression = node.schedule.cron ?? node.schedule.interval ?? "";
  return (
    <tr data-id={node.id} data-occurred-at={view.occurredAt ?? undefined}>
      <td>
        <Link href={`/datasources/${node.id}`} className="name">
          {node.name}
        </Link>
        {(node.supplierName || node.category) && (
          <div className="muted small">{[node.supplierName, node.category].filter(Boolean).join(" · ")}</div>
        )}
      </td>
      <td>
        <div>{describeSchedule(node.schedule)}</div>
        <code className="small">{expression}</code>
        {node.schedule.timezone !== "UTC" && <span className="muted small"> {node.schedule.timezone}</span>}
      </td>
      <td className="status-cell">
        {live ? <StatusBadge status={status} /> : <span className="muted">…</span>}
        {view.lastRun?.error && status === "FAILED" && (
          <div className="small error-text" title={view.lastRun.error}>
            {view.lastRun.error}
          </div>
        )}
      </td>
      <td>{node.enabled && !view.paused ? <Countdown at={view.nextRunAt} timeZone={node.schedule.timezone} /> : <span className="muted">—</span>}</td>
      <td className="num">{formatCount(node.fileTotals.files)}</td>
      <td className="num">{formatCount(node.fileTotals.records)}</td>
      <td>
        {!node.enabled ? (
          <span className="pill">Disabled</span>
        ) : view.paused ? (
          <span className="pill pill-paused">Paused</span>
        ) : (
          <span className="pill pill-on">Enabled</span>
        )}
      </td>
    </tr>
  );
});
