import { Link, Route, Switch, useRoute } from "wouter";
import { useClusterState } from "./api/clusterFeed";
import { useConnectionState } from "./api/context";
import type { ConnectionState } from "./api/connection";
import { AccountBadge } from "./auth/AccountBadge";
import { useCan } from "./auth/AuthGate";
import { ClusterPage } from "./routes/ClusterPage";
import { DataSourceFormPage, NewDataSourcePage } from "./routes/DataSourceFormPage";
import { DataSourcePage } from "./routes/DataSourcePage";
import { DataSourcesPage } from "./routes/DataSourcesPage";
import { TokensPage } from "./routes/TokensPage";

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

/** The scheduler leader, from the tab's clusterEvents stream. */
function LeaderBadge() {
  const { leader, failed } = useClusterState();
  if (failed)
    return (
      <span className="leader-badge error-text" title={failed}>
        cluster updates stopped
      </span>
    );
  if (leader === undefined) return null;
  return (
    <Link href="/cluster" className="leader-badge" data-header-leader={leader?.replicaId ?? ""}>
      {leader ? (
        <>
          leader <strong>{leader.replicaId}</strong>
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
  const manageTokens = useCan("manageTokens");
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
          {manageTokens && (
            <NavLink href="/tokens" match="/tokens">
              Tokens
            </NavLink>
          )}
          <a href="/playground">Playground</a>
        </nav>
        <LeaderBadge />
        <ConnectionBadge />
        <AccountBadge />
      </header>
      <main id="main">
        <Switch>
          <Route path="/">{() => <DataSourcesPage />}</Route>
          <Route path="/datasources">{() => <DataSourcesPage />}</Route>
          <Route path="/datasources/new">{() => <NewDataSourcePage />}</Route>
          <Route path="/datasources/:id/edit">{(p) => <DataSourceFormPage id={p.id} />}</Route>
          <Route path="/datasources/:id">{(p) => <DataSourcePage key={p.id} id={p.id} />}</Route>
          <Route path="/cluster">{() => <ClusterPage />}</Route>
          <Route path="/tokens">{() => <TokensPage />}</Route>
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
