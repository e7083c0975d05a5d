import type { Client as UrqlClient } from "@urql/core";
import { createClient as createWsClient, type Client as WsClient } from "graphql-ws";
import { AuthSession } from "../auth/session";
import { TokenStore } from "../auth/tokenStore";
import { createUrqlClient, gatedWsClient } from "../auth/transport";
import { connectionParams } from "../auth/credentials";
import { askViewer } from "../auth/viewerQuery";
import { ClusterFeed } from "./clusterFeed";
import { DataSourceFeed } from "./dataSourceFeed";
import { ConnectionStatus } from "./connection";

/** Everything the app talks to the replica with. */
export type Api = {
  /** Who the tab is signed in as; the token every request carries. */
  auth: AuthSession;
  /** A new client for queries and mutations: one per session, so no cache outlives a sign-out. */
  newUrql: () => UrqlClient;
  /** Subscriptions (see live.ts); they wait while the tab is signed out. */
  ws: WsClient;
  connection: ConnectionStatus;
  /** The tab's one dataSourceEvents stream. */
  dataSources: DataSourceFeed;
  /** The tab's one clusterEvents stream. */
  cluster: ClusterFeed;
};

/** How long a ping may wait for its pong before the socket counts as dead. */
const pongTimeout = 5_000;

/** The close code with which the server refuses a socket's token. */
export const refusedTokenCloseCode = 4403;
/**
 * The close code with which the app closes its socket on sign-out. Not 1000:
 * graphql-ws reconnects at once after a 1000 while subscriptions remain.
 */
export const signedOutCloseCode = 4000;

export type ApiOptions = {
  /** For tests: a stand-in for the browser's WebSocket, fetch and sessionStorage. */
  webSocketImpl?: unknown;
  fetchImpl?: typeof fetch;
  tokens?: TokenStore;
};

/**
 * Connects to the replica that served the page: same origin, so no request
 * leaves it, and the browser sends no cross-origin credentials.
 */
export function createApi(origin: string = window.location.origin, options: ApiOptions = {}): Api {
  const connection = new ConnectionStatus();
  let socket: WebSocket | null = null;
  let pongTimer: ReturnType<typeof setTimeout> | undefined;
  const tokens = options.tokens ?? new TokenStore();
  const url = origin + "/graphql";

  const auth: AuthSession = new AuthSession(
    tokens,
    (token) => askViewer(url, token, options.fetchImpl),
    // Signed out: the socket, opened with the old token, goes.
    () => socket?.close(signedOutCloseCode, "signed out"),
  );

  const raw = createWsClient({
    url: origin.replace(/^http/, "ws") + "/graphql",
    webSocketImpl: options.webSocketImpl,
    // Read at every connect: a new sign-in's socket carries the new token.
    connectionParams: () => connectionParams(auth.token()),
    lazy: true,
    // Switching pages swaps subscriptions; keep the socket meanwhile.
    lazyCloseTimeout: 3_000,
    // live.ts resumes each stream from its own cursor.
    retryAttempts: 0,
    keepAlive: 10_000,
    on: {
      connected: (s) => {
        socket = s as WebSocket;
        connection.connected();
      },
      closed: (event) => {
        socket = null;
        clearTimeout(pongTimer);
        const code = (event as CloseEvent | undefined)?.code;
        // Runs before the subscriptions hear of the close: they find the
        // tab signed out, and wait for the next sign-in to resume.
        if (code === refusedTokenCloseCode) auth.unauthenticated();
        // The app closed the socket itself: no subscription left (1000), or signed out.
        else if (code !== 1000 && code !== signedOutCloseCode) connection.lost();
      },
      ping: (received) => {
        if (received) return;
        pongTimer = setTimeout(() => {
          if (socket?.readyState === WebSocket.OPEN) socket.close(4408, "no pong");
        }, pongTimeout);
      },
      pong: (received) => {
        if (received) clearTimeout(pongTimer);
      },
    },
  });
  const ws = gatedWsClient(raw, auth);

  return {
    auth,
    newUrql: () => createUrqlClient(url, () => auth.token(), () => auth.unauthenticated(), options.fetchImpl),
    ws,
    connection,
    dataSources: new DataSourceFeed(ws),
    cluster: new ClusterFeed(ws),
  };
}
