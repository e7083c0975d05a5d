import { Client as UrqlClient, cacheExchange, fetchExchange } from "@urql/core";
import { createClient as createWsClient, type Client as WsClient } from "graphql-ws";
import { ClusterFeed } from "./clusterFeed";
import { DataSourceFeed } from "./dataSourceFeed";
import { ConnectionStatus } from "./connection";

/** Everything the app talks to the replica with. */
export type Api = {
  /** Queries and mutations. */
  urql: UrqlClient;
  /** Subscriptions (see live.ts). */
  ws: WsClient;
  connection: ConnectionStatus;
  /** The tab's one dataSourceEvents stream. */
  dataSources: DataSourceFeed;
  /** The tab's one clusterEvents stream. */
  cluster: ClusterFeed;
};

/** How long a ping may wait for its pong before the socket counts as dead. */
const pongTimeout = 5_000;

/**
 * Connects to the replica that served the page: same origin, so no request
 * leaves it, and the browser sends no cross-origin credentials.
 */
export function createApi(origin: string = window.location.origin): Api {
  const connection = new ConnectionStatus();
  let socket: WebSocket | null = null;
  let pongTimer: ReturnType<typeof setTimeout> | undefined;

  const ws = createWsClient({
    url: origin.replace(/^http/, "ws") + "/graphql",
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
        // 1000: the app closed the socket itself (no subscription left).
        if ((event as CloseEvent | undefined)?.code !== 1000) connection.lost();
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

  const urql = new UrqlClient({
    url: origin + "/graphql",
    exchanges: [cacheExchange, fetchExchange],
    requestPolicy: "cache-and-network",
    preferGetMethod: false,
  });

  return { urql, ws, connection, dataSources: new DataSourceFeed(ws), cluster: new ClusterFeed(ws) };
}
