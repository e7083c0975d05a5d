import { useState } from "react";
import { useClusterEvents, useClusterState, type ClusterEvent } from "../api/clusterFeed";
import { errorText } from "../api/errors";
import { ErrorState, Loading, StaleNotice } from "../components/States";
import { useNow, useThrottled } from "../live/hooks";
import { formatRelative, formatTime } from "../format";
import { graphql } from "../gql";
import { useLiveQuery } from "../api/useLiveQuery";

const ClusterQuery = graphql(`
  query Cluster {
    cluster {
      leader {
        replicaId
        address
        epoch
        since
      }
      replicas {
        replicaId
        address
        startedAt
        isLeader
      }
      leaders(first: 20) {
        epoch
        replicaId
        address
        startedAt
        endedAt
      }
    }
  }
`);

/** Most cluster events the page lists. */
const eventLimit = 50;

export function ClusterPage() {
  const [result, reexecute] = useLiveQuery({ query: ClusterQuery });
  const refetch = useThrottled(() => reexecute({ requestPolicy: "network-only" }), 500);
  const [events, setEvents] = useState<ClusterEvent[]>([]);
  // The leader as the stream says, ahead of the refetched query.
  const { leader: liveLeader, failed: liveError } = useClusterState();
  const now = useNow();

  useClusterEvents((e) => {
    setEvents((list) => [e, ...list].slice(0, eventLimit));
    refetch();
    // A new leader records its term in PostgreSQL a moment after etcd
    // elects it: read the history once more after that.
    if (e.kind === "LEADER_ELECTED") setTimeout(refetch, 2000);
  });

  if (result.error && !result.data)
    return <ErrorState title="The cluster could not be read" message={errorText(result.error)} retry={refetch} />;
  if (!result.data) return <Loading what="the cluster" />;
  const { cluster } = result.data;
  const leader = liveLeader === undefined ? cluster.leader : liveLeader;
  const leaderId = leader?.replicaId ?? null;

  return (
    <section aria-labelledby="cluster-title">
      <div className="page-head">
        <h1 id="cluster-title">Cluster</h1>
      </div>
      <StaleNotice error={result.error} />
      {liveError && <ErrorState title="Live updates stopped" message={liveError} />}
      <div className="leader-card" aria-live="polite" data-leader={leaderId ?? ""}>
        {leader ? (
          <>
            <span className="muted">Leader</span> <strong className="leader-id">{leader.replicaId}</strong>{" "}
            <span className="muted">epoch</span> <code>{leader.epoch ?? cluster.leader?.epoch ?? "…"}</code>
            {cluster.leader?.replicaId === leader.replicaId && cluster.leader.since && (
              <span className="muted"> · since {formatTime(cluster.leader.since)}</span>
            )}
          </>
        ) : (
          <strong>No leader: an election is under way. Nothing is planned until one wins.</strong>
        )}
      </div>

      <section className="panel" aria-labelledby="replicas-title">
        <h2 id="replicas-title">Replicas</h2>
        <table className="replicas">
          <thead>
            <tr>
              <th scope="col">Replica</th>
              <th scope="col">Address</th>
              <th scope="col">Started</th>
              <th scope="col">Role</th>
            </tr>
          </thead>
          <tbody>
            {cluster.replicas.map((r) => (
              <tr key={r.replicaId} data-replica={r.replicaId}>
                <td>
                  <strong>{r.replicaId}</strong>
                </td>
                <td>
                  <a href={r.address}>{r.address}</a>
                </td>
                <td>
                  {formatTime(r.startedAt)} ({formatRelative(r.startedAt, now)})
                </td>
                <td>{r.replicaId === leaderId ? <span className="pill pill-on">Leader</span> : "Standby"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <section className="panel" aria-labelledby="history-title">
        <h2 id="history-title">Leadership history</h2>
        {cluster.leaders.length === 0 ? (
          <p className="muted">No leader has recorded an epoch yet.</p>
        ) : (
          <table className="leaders">
            <thead>
              <tr>
                <th scope="col">Epoch</th>
                <th scope="col">Replica</th>
                <th scope="col">From</th>
                <th scope="col">Until</th>
              </tr>
            </thead>
            <tbody>
              {cluster.leaders.map((t) => (
                <tr key={t.epoch}>
                  <td>
                    <code>{t.epoch}</code>
                  </td>
                  <td>{t.replicaId}</td>
                  <td>{formatTime(t.startedAt)}</td>
                  <td>{t.endedAt ? formatTime(t.endedAt) : <em>leading, or crashed with no successor yet</em>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section className="panel" aria-labelledby="events-title">
        <h2 id="events-title">Events since this page opened</h2>
        {events.length === 0 ? (
          <p className="muted">Nothing has changed since the page opened.</p>
        ) : (
          <ol className="events" aria-live="polite">
            {events.map((e) => (
              <li key={e.cursor}>
                <time dateTime={e.occurredAt}>{formatTime(e.occurredAt)}</time> <code>{e.kind}</code> {e.replicaId}
                {e.epoch && <span className="muted"> epoch {e.epoch}</span>}
              </li>
            ))}
          </ol>
        )}
      </section>
    </section>
  );
}
