import { parse } from "graphql";
import type { Client as WsClient, Sink } from "graphql-ws";
import { describe, expect, it, vi } from "vitest";
import { fakeReplica } from "./testing";
import { createUrqlClient, gatedWsClient, hasUnauthenticated } from "./transport";

// The app's urql client against a fake replica: the header rides on every
// request, with the token of the moment; every refusal reaches the session.

const url = "http://replica/graphql";
// parse, not gql: codegen would take a gql`` document for one of the app's.
const query = parse("query Q { dataSources(first: 1) { totalCount } }");

describe("createUrqlClient", () => {
  it("sends the current token in the Authorization header on every request", async () => {
    const replica = fakeReplica({ one: { name: "a", role: "VIEWER" }, two: { name: "b", role: "EDITOR" } });
    let token: string | null = "one";
    const refused = vi.fn();
    const client = createUrqlClient(url, () => token, refused, replica.fetchImpl);
    await client.query(query, {}, { requestPolicy: "network-only" }).toPromise();
    token = "two";
    await client.query(query, {}, { requestPolicy: "network-only" }).toPromise();
    await client.mutation(parse(`mutation M { triggerRun(id: "1") { id } }`), {}).toPromise();
    // The first query goes twice (its hash, then with its text after
    // PersistedQueryNotFound); the second is its hash alone.
    expect(replica.seen.map((s) => s.authorization)).toEqual(["Bearer one", "Bearer one", "Bearer two", "Bearer two"]);
    expect(replica.seen.every((s) => s.url === url)).toBe(true);
    expect(refused).not.toHaveBeenCalled();
  });

  it("sends a query's hash, its text only when the replica does not know it, and mutations in full", async () => {
    const replica = fakeReplica({ one: { name: "a", role: "EDITOR" } });
    const refused = vi.fn();
    const client = createUrqlClient(url, () => "one", refused, replica.fetchImpl);
    const first = await client.query(query, {}, { requestPolicy: "network-only" }).toPromise();
    expect(first.error).toBeUndefined();
    expect(first.data).toEqual({});
    const [hashOnly, withQuery] = replica.seen;
    expect(hashOnly!.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hashOnly!.query).toBeNull();
    expect(hashOnly!.ran).toBeNull(); // answered PersistedQueryNotFound
    expect(withQuery!.hash).toBe(hashOnly!.hash);
    expect(withQuery!.query).toContain("dataSources(first: 1)");
    expect(withQuery!.ran).toBe(withQuery!.query); // and its hash was the query's: the fake checks

    const second = await client.query(query, {}, { requestPolicy: "network-only" }).toPromise();
    expect(second.error).toBeUndefined();
    expect(replica.seen).toHaveLength(3);
    expect(replica.seen[2]!.hash).toBe(hashOnly!.hash);
    expect(replica.seen[2]!.query).toBeNull();
    expect(replica.seen[2]!.ran).toBe(withQuery!.query); // known by its hash

    const mutation = parse(`mutation M { triggerRun(id: "1") { id } }`);
    await client.mutation(mutation, {}).toPromise();
    expect(replica.seen).toHaveLength(4);
    expect(replica.seen[3]!.hash).toBeNull();
    expect(replica.seen[3]!.query).toMatch(/^mutation M \{\s+triggerRun/);

    expect(replica.seen.map((s) => s.authorization)).toEqual(Array(4).fill("Bearer one"));
    expect(replica.seen.map((s) => JSON.parse(s.body).extensions?.persistedQuery?.version ?? null)).toEqual([1, 1, 1, null]);
    expect(refused).not.toHaveBeenCalled(); // PersistedQueryNotFound is no refusal
    // Plain JSON, one answer per request: over text/event-stream the
    // replica's SSE transport would deliver PersistedQueryNotFound twice.
    expect(new Set(replica.seen.map((s) => s.accept))).toEqual(new Set(["application/graphql-response+json, application/json"]));
  });

  it("reports a 401 to the session", async () => {
    const replica = fakeReplica({});
    const refused = vi.fn();
    const client = createUrqlClient(url, () => "stale", refused, replica.fetchImpl);
    const result = await client.query(query, {}).toPromise();
    expect(result.error).toBeDefined();
    expect(refused).toHaveBeenCalled();
    expect(replica.seen[0]!.authorization).toBe("Bearer stale");
  });

  it("reports an UNAUTHENTICATED error in a 200, but not a FORBIDDEN one", async () => {
    const answer = (code: string) =>
      (async () =>
        new Response(JSON.stringify({ data: null, errors: [{ message: code, extensions: { code } }] }), {
          status: 200,
          headers: { "content-type": "application/json" },
        })) as typeof fetch;
    const refused = vi.fn();
    await createUrqlClient(url, () => "t", refused, answer("FORBIDDEN")).query(query, {}).toPromise();
    expect(refused).not.toHaveBeenCalled();
    await createUrqlClient(url, () => "t", refused, answer("UNAUTHENTICATED")).query(query, {}).toPromise();
    expect(refused).toHaveBeenCalledTimes(1);
  });

  it("sends no Authorization header without a token", async () => {
    const replica = fakeReplica({}, false);
    await createUrqlClient(url, () => null, vi.fn(), replica.fetchImpl).query(query, {}).toPromise();
    expect(replica.seen[0]!.authorization).toBeNull();
  });
});

// A graphql-ws client stand-in that records subscribes.
function recordingWs() {
  const calls: { sink: Sink<unknown>; closed: boolean }[] = [];
  const ws = {
    subscribe: (_payload: unknown, sink: Sink<unknown>) => {
      const call = { sink, closed: false };
      calls.push(call);
      return () => {
        call.closed = true;
      };
    },
  } as unknown as WsClient;
  return { ws, calls };
}

function gate() {
  let live = false;
  const waiting = new Set<() => void>();
  return {
    whenLive: (ready: () => void) => {
      if (live) {
        ready();
        return () => {};
      }
      waiting.add(ready);
      return () => waiting.delete(ready);
    },
    unauthenticated: vi.fn(),
    open: () => {
      live = true;
      for (const r of waiting) r();
      waiting.clear();
    },
  };
}

const sink = () => ({ next: vi.fn(), error: vi.fn(), complete: vi.fn() });

describe("gatedWsClient", () => {
  it("holds subscriptions until the tab is signed in", () => {
    const { ws, calls } = recordingWs();
    const g = gate();
    const gated = gatedWsClient(ws, g);
    gated.subscribe({ query: "subscription { a }" }, sink());
    const cancelled = gated.subscribe({ query: "subscription { b }" }, sink());
    cancelled();
    expect(calls).toHaveLength(0);
    g.open();
    expect(calls).toHaveLength(1);
  });

  it("reports an UNAUTHENTICATED end of a stream before the subscriber hears of it", () => {
    const { ws, calls } = recordingWs();
    const g = gate();
    g.open();
    const s = sink();
    s.error.mockImplementation(() => expect(g.unauthenticated).toHaveBeenCalled());
    gatedWsClient(ws, g).subscribe({ query: "subscription { a }" }, s);
    calls[0]!.sink.error([{ message: "token revoked", extensions: { code: "UNAUTHENTICATED" } }]);
    expect(s.error).toHaveBeenCalledTimes(1);
    expect(g.unauthenticated).toHaveBeenCalledTimes(1);
  });

  it("passes other errors and events through untouched", () => {
    const { ws, calls } = recordingWs();
    const g = gate();
    g.open();
    const s = sink();
    const stop = gatedWsClient(ws, g).subscribe({ query: "subscription { a }" }, s);
    calls[0]!.sink.next({ data: { a: 1 } });
    calls[0]!.sink.error([{ message: "slow", extensions: { code: "SLOW_CONSUMER" } }]);
    expect(s.next).toHaveBeenCalledWith({ data: { a: 1 } });
    expect(s.error).toHaveBeenCalledTimes(1);
    expect(g.unauthenticated).not.toHaveBeenCalled();
    stop();
    expect(calls[0]!.closed).toBe(true);
  });

  it("recognises the code", () => {
    expect(hasUnauthenticated([{ extensions: { code: "UNAUTHENTICATED" } }])).toBe(true);
    expect(hasUnauthenticated([{ extensions: { code: "FORBIDDEN" } }, {}])).toBe(false);
    expect(hasUnauthenticated(undefined)).toBe(false);
  });
});
