import { useEffect, useState } from "react";
import { Link, Route, Switch, useRoute } from "wouter";
import { useApi, useConnectionState } from "./api/context";
import { ClusterEventsSubscription } from "./api/fragments";
import { subscribeLive } from "./api/live";
import type { ConnectionState } from "./api/connection";
import { ClusterPage } from "./routes/ClusterPage";
import { DataSourceFormPage, NewDataSourcePage } from "./routes/DataSourceFormPage";
import { DataSourcePage } from "./routes/DataSourcePage";
import { DataSourcesPage } from "./routes/DataSourcesPage";

const connectionText: Record<ConnectionState, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  offline: "Offline — retrying",
};

function ConnectionBadge() {
  const state = useConnectionState();
  return (
    <span className={`connection connection-${state}`} role="status" aria-live="polite" data-connection={state}>
      <span className="dot" aria-hidden="true" /> {connectionText[state]}
    </span>
  );
}

/**
 * The scheduler leader, from clusterEvents. It also keeps the app's one
 * WebSocket open on every screen, so that the connection badge always
 * tells the truth.
 */
function LeaderBadge() {
  const { ws } = useApi();
  const [leader, setLeader] = useState<string | null | undefined>(undefined);
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(
    () =>
      subscribeLive(ws, ClusterEventsSubscription, {}, (d) => d.clusterEvents, (e) => e.cursor, {
        next: (e) => {
          if (e.kind === "LEADER_ELECTED") setLeader(e.replicaId);
          if (e.kind === "LEADER_LOST") setLeader((l) => (l === e.replicaId ? null : l));
        },
        fail: setFailed,
      }),
    [ws],
  );
  if (failed)
    return (
      <span className="leader-badge error-text" title={failed}>
        cluster updates stopped
      </span>
    );
  if (leader === undefined) return null;
  return (
    <Link href="/cluster" className="leader-badge" data-header-leader={leader ?? ""}>
      {leader ? (
        <>
          leader <strong>{leader}</strong>
        </>
      ) : (
        "no leader"
      )}
    </Link>
  );
}

function NavLink({ href, children, match }: { href: string; children: string; match: string }) {
  const [active] = useRoute(match);
  return (
    <Link href={href} aria-current={active ? "page" : undefined}>
      {children}
    </Link>
  );
}

export function App() {
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link href="/" className="brand">
          EZ Platform
        </Link>
        <nav aria-label="Main">
          <NavLink href="/" match="/datasources/*?">
            Datasources
          </NavLink>
          <NavLink href="/cluster" match="/cluster">
            Cluster
          </NavLink>
          <a href="/playground">Playground</a>
        </nav>
        <LeaderBadge />
        <ConnectionBadge />
      </header>
      <main id="main">
        <Switch>
          <Route path="/">{() => <DataSourcesPage />}</Route>
          <Route path="/datasources">{() => <DataSourcesPage />}</Route>
          <Route path="/datasources/new">{() => <NewDataSourcePage />}</Route>
          <Route path="/datasources/:id/edit">{(p) => <DataSourceFormPage id={p.id} />}</Route>
          <Route path="/datasources/:id">{(p) => <DataSourcePage key={p.id} id={p.id} />}</Route>
          <Route path="/cluster">{() => <ClusterPage />}</Route>
          <Route>
            <section>
              <h1>Page not found</h1>
              <p>
                Nothing lives at this address. <Link href="/">Go to the datasources</Link>.
              </p>
            </section>
          </Route>
        </Switch>
      </main>
    </>
  );
}
