import { Client as UrqlClient, cacheExchange, fetchExchange, mapExchange } from "@urql/core";
import { persistedExchange } from "@urql/exchange-persisted";
import type { FormattedExecutionResult, Client as WsClient, Sink, SubscribePayload } from "graphql-ws";
import { authHeaders } from "./credentials";
import { sha256Hex } from "./queryHash";

// How the token rides on every request, and how a refusal anywhere reaches
// the session: HTTP 401, an UNAUTHENTICATED error in any result, and (in
// client.ts) the WebSocket closing with 4403.

export const unauthenticatedCode = "UNAUTHENTICATED";

type ErrorLike = { extensions?: Record<string, unknown> | null };

export function hasUnauthenticated(errors: readonly ErrorLike[] | null | undefined): boolean {
  return !!errors?.some((e) => e.extensions?.code === unauthenticatedCode);
}

/** fetch, reporting every HTTP 401 to onUnauthenticated. */
export function refusalAwareFetch(onUnauthenticated: () => void, fetchImpl: typeof fetch = (...a) => fetch(...a)): typeof fetch {
  return async (input, init) => {
    const response = await fetchImpl(input, init);
    if (response.status === 401) onUnauthenticated();
    return response;
  };
}

// Plain JSON answers only. urql also accepts text/event-stream, and then
// the replica answers over its SSE transport, where the stream's end
// delivers a PersistedQueryNotFound a second time: each first query would
// be sent in full twice.
const queryAccept = "application/graphql-response+json, application/json";

/**
 * The urql client of one session: every request carries the token that
 * token() gives at the time it is sent. Queries go as automatic persisted
 * queries: the hash alone, and the full query once more only when the
 * replica answers PersistedQueryNotFound. Still POST, so the Authorization
 * header and the CSP are as before; mutations carry their full query.
 */
export function createUrqlClient(
  url: string,
  token: () => string | null,
  onUnauthenticated: () => void,
  fetchImpl?: typeof fetch,
): UrqlClient {
  return new UrqlClient({
    url,
    exchanges: [
      cacheExchange,
      mapExchange({
        onResult: (result) => {
          if (hasUnauthenticated(result.error?.graphQLErrors)) onUnauthenticated();
        },
      }),
      persistedExchange({ preferGetForPersistedQueries: false, generateHash: sha256Hex }),
      fetchExchange,
    ],
    requestPolicy: "cache-and-network",
    preferGetMethod: false,
    fetchOptions: () => ({ headers: { accept: queryAccept, ...authHeaders(token()) } }),
    fetch: refusalAwareFetch(onUnauthenticated, fetchImpl),
  });
}

/** What the subscription gate needs of the session. */
export type LiveGate = {
  whenLive: (ready: () => void) => () => void;
  unauthenticated: () => void;
};

/**
 * ws, but a subscription waits until the tab is signed in before it goes
 * out (no socket opens with a token the server refused), and an
 * UNAUTHENTICATED error (a token revoked mid-stream) is reported to the
 * session before the subscriber sees it.
 */
export function gatedWsClient(ws: WsClient, gate: LiveGate): WsClient {
  const subscribe = <Data, Extensions = unknown>(payload: SubscribePayload, sink: Sink<FormattedExecutionResult<Data, Extensions>>) => {
    let unsubscribe: (() => void) | null = null;
    let cancelled = false;
    const cancelWait = gate.whenLive(() => {
      if (cancelled) return;
      unsubscribe = ws.subscribe<Data, Extensions>(payload, {
        next: (result) => {
          if (hasUnauthenticated(result.errors as ErrorLike[] | undefined)) gate.unauthenticated();
          sink.next(result);
        },
        error: (err) => {
          if (Array.isArray(err) && hasUnauthenticated(err as ErrorLike[])) gate.unauthenticated();
          sink.error(err);
        },
        complete: () => sink.complete(),
      });
    });
    return () => {
      cancelled = true;
      cancelWait();
      unsubscribe?.();
    };
  };
  return {
    on: ws.on,
    subscribe,
    iterate: ws.iterate, // ungated: the app subscribes through subscribe only
    dispose: ws.dispose,
    terminate: ws.terminate,
  };
}
