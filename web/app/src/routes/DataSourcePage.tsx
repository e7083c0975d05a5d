import { useCallback, useEffect, useState } from "react";
import { useMutation } from "urql";
import { Link, useLocation } from "wouter";
import { errorText } from "../api/errors";
import { useCan } from "../auth/AuthGate";
import { Countdown } from "../components/Countdown";
import { DeleteDialog } from "../components/DeleteDialog";
import { FilesPanel } from "../components/FilesPanel";
import { RunHistory } from "../components/RunHistory";
import { SlotTimeline } from "../components/SlotTimeline";
import { ErrorState, Loading, StaleNotice } from "../components/States";
import { StatusBadge } from "../components/StatusBadge";
import { formatBytes, formatCount, formatTime } from "../format";
import { graphql } from "../gql";
import { useNow, useScheduleViews, useThrottled } from "../live/hooks";
import { runsOf } from "../live/runs";
import { displayStatus, emptyView, type Run, type ScheduleEvent } from "../live/schedules";
import { describeSchedule } from "../schedule/describe";
import { useLiveQuery } from "../api/useLiveQuery";

const DetailQuery = graphql(`
  query DataSourceDetail($id: ID!) {
    dataSource(id: $id) {
      ...DataSourceFields
      schedule {
        nextRunAt
        upcoming(n: 10)
        lastRun {
          ...RunFields
        }
      }
      fileTotals {
        files
        bytes
        records
      }
    }
  }
`);

const PauseMutation = graphql(`
  mutation PauseSchedule($id: ID!) {
    pauseSchedule(id: $id) {
      id
      version
      schedule {
        paused
        nextRunAt
      }
    }
  }
`);

const ResumeMutation = graphql(`
  mutation ResumeSchedule($id: ID!) {
    resumeSchedule(id: $id) {
      id
      version
      schedule {
        paused
        nextRunAt
      }
    }
  }
`);

const TriggerMutation = graphql(`
  mutation TriggerRun($id: ID!) {
    triggerRun(id: $id) {
      ...RunFields
    }
  }
`);

const SetEnabledMutation = graphql(`
  mutation SetEnabled($id: ID!, $enabled: Boolean!) {
    updateDataSource(id: $id, input: { enabled: $enabled }) {
      id
      enabled
      version
    }
  }
`);

export function DataSourcePage({ id }: { id: string }) {
  const [result, reexecute] = useLiveQuery({ query: DetailQuery, variables: { id } });
  const refetch = useThrottled(() => reexecute({ requestPolicy: "network-only" }), 1000);
  // Runs seen in events since the page opened, by id: the history and the
  // timeline show them at once, without a query.
  const [liveRuns, setLiveRuns] = useState<ReadonlyMap<string, Run>>(new Map());
  const [filesVersion, setFilesVersion] = useState(0);
  const onBatch = useCallback(
    (events: readonly ScheduleEvent[]) => {
      setLiveRuns((m) => runsOf(events, m));
      if (events.some((e) => e.kind === "FILES_DISCOVERED")) {
        setFilesVersion((v) => v + 1);
        refetch();
      }
    },
    [refetch],
  );
  const { views, error: liveError } = useScheduleViews([id], onBatch);

  const [pause, doPause] = useMutation(PauseMutation);
  const [resume, doResume] = useMutation(ResumeMutation);
  const [trigger, doTrigger] = useMutation(TriggerMutation);
  const [enable, doEnable] = useMutation(SetEnabledMutation);
  const [deleting, setDeleting] = useState(false);
  const [, navigate] = useLocation();
  const canEdit = useCan("editDataSources");

  if (result.error && !result.data)
    return <ErrorState title="The datasource could not be loaded" message={errorText(result.error)} retry={refetch} />;
  if (!result.data) return <Loading what="the datasource" />;
  const ds = result.data.dataSource;
  if (!ds)
    return (
      <ErrorState title="Datasource not found" message="It does not exist, or it was deleted. Its history is kept in the database." />
    );

  const live = views.get(id) ?? { ...emptyView, nextRunAt: ds.schedule.nextRunAt, paused: ds.schedule.paused, lastRun: ds.schedule.lastRun };
  const status = displayStatus(live);
  const actionError = [pause, resume, trigger, enable].find((m) => m.error)?.error;
  const tz = ds.schedule.timezone;

  return (
    <section aria-labelledby="ds-title" className="detail">
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link href="/">Datasources</Link> / <span>{ds.name}</span>
      </nav>
      <div className="page-head">
        <div>
          <h1 id="ds-title">{ds.name}</h1>
          <div className="muted">
            {[ds.supplierName, ds.category].filter(Boolean).join(" · ") || "No supplier or category"} · version {ds.version}
          </div>
        </div>
        {canEdit && (
          <div className="actions" role="toolbar" aria-label="Datasource actions">
            {live.paused ? (
              <button type="button" onClick={() => void doResume({ id })} disabled={resume.fetching}>
                Resume
              </button>
            ) : (
              <button type="button" onClick={() => void doPause({ id })} disabled={pause.fetching}>
                Pause
              </button>
            )}
            <button type="button" onClick={() => void doTrigger({ id })} disabled={trigger.fetching}>
              Run now
            </button>
            <button type="button" onClick={() => void doEnable({ id, enabled: !ds.enabled })} disabled={enable.fetching}>
              {ds.enabled ? "Disable" : "Enable"}
            </button>
            <Link href={`/datasources/${id}/edit`} className="button">
              Edit
            </Link>
            <button type="button" className="danger" onClick={() => setDeleting(true)}>
              Delete
            </button>
          </div>
        )}
      </div>
      <StaleNotice error={result.error} />
      {actionError && <ErrorState title="That did not work" message={errorText(actionError)} />}
      {liveError && <ErrorState title="Live updates stopped" message={liveError} />}
      {deleting && (
        <DeleteDialog
          id={id}
          name={ds.name}
          version={ds.version}
          onCancel={() => setDeleting(false)}
          onDeleted={() => navigate("/")}
        />
      )}

      <dl className="facts">
        <div>
          <dt>Status</dt>
          <dd>
            <StatusBadge status={status} /> {!ds.enabled && <span className="pill">Disabled</span>}
            {live.paused && <span className="pill pill-paused">Paused</span>}
          </dd>
        </div>
        <div>
          <dt>Schedule</dt>
          <dd>
            {describeSchedule(ds.schedule)} <code>{ds.schedule.cron ?? ds.schedule.interval}</code> · {tz}
          </dd>
        </div>
        <div>
          <dt>Next run</dt>
          <dd>
            {ds.enabled && !live.paused && live.nextRunAt ? (
              <>
                {formatTime(live.nextRunAt, tz)} (<Countdown at={live.nextRunAt} timeZone={tz} />)
              </>
            ) : (
              "—"
            )}
          </dd>
        </div>
        <div>
          <dt>Upcoming</dt>
          <dd>
            <Upcoming times={ds.enabled && !live.paused ? ds.schedule.upcoming : []} timeZone={tz} refetch={refetch} />
          </dd>
        </div>
        <div>
          <dt>Directory</dt>
          <dd>
            <code>{ds.path}</code> matching <code>{ds.filePattern}</code>
          </dd>
        </div>
        <div>
          <dt>Policies</dt>
          <dd>
            misfire <code>{ds.schedule.misfirePolicy}</code>, overlap <code>{ds.schedule.overlapPolicy}</code>,{" "}
            {ds.maxAttempts} attempts, timeout {ds.runTimeout}
          </dd>
        </div>
        <div>
          <dt>Found so far</dt>
          <dd>
            {formatCount(ds.fileTotals.files)} files, {formatCount(ds.fileTotals.records)} records,{" "}
            {formatBytes(ds.fileTotals.bytes)}
          </dd>
        </div>
      </dl>
      {ds.description && <p className="description">{ds.description}</p>}

      <SlotTimeline dataSourceId={id} liveRuns={liveRuns} timeZone={tz} />
      <RunHistory dataSourceId={id} liveRuns={liveRuns} timeZone={tz} />
      <FilesPanel dataSourceId={id} version={filesVersion} timeZone={tz} />
    </section>
  );
}

/**
 * The next fire times, as the query computed them; times that pass drop
 * off, and the page asks again before the list runs dry.
 */
function Upcoming({ times, timeZone, refetch }: { times: readonly string[]; timeZone: string; refetch: () => void }) {
  const now = useNow();
  const ahead = times.filter((t) => Date.parse(t) > now);
  useEffect(() => {
    if (ahead.length < times.length && ahead.length < 2) refetch();
  }, [times.length, ahead.length, refetch]);
  if (ahead.length === 0) return <>—</>;
  return (
    <ol className="upcoming">
      {ahead.slice(0, 3).map((t) => (
        <li key={t}>
          <time dateTime={t}>{formatTime(t, timeZone)}</time>
        </li>
      ))}
    </ol>
  );
}
