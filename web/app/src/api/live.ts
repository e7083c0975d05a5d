import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { stringifyDocument } from "@urql/core";
import type { Client as WsClient } from "graphql-ws";

// A resumable subscription. Every event carries a cursor; when the stream
// breaks (the socket closes, the replica shuts down, the client is too slow)
// it is opened again with `after` set to the last cursor, so nothing is lost
// and nothing repeats (docs/SUBSCRIPTIONS.md). graphql-ws's own retry would
// resend the first request, cursor and all, so the app retries here instead.

export type LiveHandlers<T> = {
  /** Events, in order. */
  next: (event: T) => void;
  /**
   * The cursor was refused (expired or unknown): the stream starts over
   * without one, with SNAPSHOT events. Views built from the events reset.
   */
  reset?: () => void;
  /** An error that retrying cannot fix: the subscription stopped. */
  fail?: (message: string) => void;
};

export type LiveOptions = {
  /** Backoff before the n-th retry in a row, in milliseconds. */
  retryDelay?: (attempt: number) => number;
};

type ServerError = { message: string; extensions?: { code?: string; cursor?: string } };

/**
 * Codes after which the stream resumes from the cursor the error carries.
 * UNAUTHENTICATED (the token was revoked mid-stream) signs the tab out; the
 * stream resumes once it is signed in again (auth/transport.ts).
 */
const resumable = new Set(["SLOW_CONSUMER", "REPLICA_SHUTTING_DOWN", "UNAUTHENTICATED"]);
/** Codes after which the stream starts over without a cursor. */
const restart = new Set(["CURSOR_EXPIRED", "INVALID_CURSOR"]);

export function defaultRetryDelay(attempt: number): number {
  const base = Math.min(10_000, 250 * 2 ** Math.min(attempt, 6));
  return base / 2 + Math.random() * (base / 2);
}

/**
 * Subscribes to `document` with `variables` plus `after`, and keeps it open
 * until the returned function is called. `select` picks the event out of a
 * result (the subscription field), and `cursorOf` its cursor.
 */
export function subscribeLive<Data, Event, Vars extends Record<string, unknown>>(
  ws: WsClient,
  document: TypedDocumentNode<Data, Vars & { after?: string | null }>,
  variables: Vars,
  select: (data: Data) => Event,
  cursorOf: (event: Event) => string,
  handlers: LiveHandlers<Event>,
  options: LiveOptions = {},
): () => void {
  const query = stringifyDocument(document);
  const retryDelay = options.retryDelay ?? defaultRetryDelay;
  let cursor: string | null = null;
  let stopped = false;
  let failures = 0;
  let unsubscribe: (() => void) | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const retry = () => {
    unsubscribe = null;
    if (stopped) return;
    timer = setTimeout(open, retryDelay(failures++));
  };

  const open = () => {
    timer = null;
    if (stopped) return;
    let done = false;
    const finish = () => {
      const first = done;
      done = true;
      return !first;
    };
    unsubscribe = ws.subscribe<Data>(
      { query, variables: { ...variables, after: cursor } },
      {
        next: (result) => {
          if (done) return;
          if (result.errors?.length) {
            // Over SSE and some servers, a stream's last error arrives as
            // a result; treat it like an `error` message.
            if (finish()) handleErrors(result.errors as ServerError[]);
            return;
          }
          if (!result.data) return;
          failures = 0;
          const event = select(result.data);
          cursor = cursorOf(event);
          handlers.next(event);
        },
        error: (err) => {
          if (!finish()) return;
          if (Array.isArray(err)) handleErrors(err as ServerError[]);
          else retry(); // the socket closed or could not open
        },
        // A subscription's stream ends only with an error; a plain
        // complete (say, from a proxy) is just a reason to resume.
        complete: () => {
          if (finish()) retry();
        },
      },
    );
  };

  const handleErrors = (errors: ServerError[]) => {
    const code = errors[0]?.extensions?.code ?? "";
    if (resumable.has(code)) {
      cursor = errors[0]?.extensions?.cursor ?? cursor;
      retry();
    } else if (restart.has(code) && cursor !== null) {
      cursor = null;
      handlers.reset?.();
      retry();
    } else {
      unsubscribe = null;
      handlers.fail?.(errors.map((e) => e.message).join("; "));
    }
  };

  open();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    unsubscribe?.();
  };
}
