import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { parse } from "graphql";
import { afterEach, describe, expect, it, vi } from "vitest";
import { endedMessage } from "../auth/session";
import { fakeReplica, MemoryStorage } from "../auth/testing";
import { TokenStore, tokenKey } from "../auth/tokenStore";
import { createApi, signedOutCloseCode, type Api } from "./client";
import { subscribeLive } from "./live";

// The real graphql-ws client over a stand-in WebSocket, which the test plays
// the server of: the token in connection_init, close 4403, a token revoked
// mid-stream, and sign-out closing the socket.

type Message = { type: string; id?: string; payload?: unknown };

class FakeSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  static all: FakeSocket[] = [];

  readyState = FakeSocket.CONNECTING;
  readonly sent: Message[] = [];
  closedByClient: { code: number; reason: string } | null = null;
  onopen: ((e: unknown) => void) | null = null;
  onclose: ((e: unknown) => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;

  constructor(
    readonly url: string,
    readonly protocol: string,
  ) {
    FakeSocket.all.push(this);
    setTimeout(() => {
      this.readyState = FakeSocket.OPEN;
      this.onopen?.({});
    });
  }

  send(data: string) {
    this.sent.push(JSON.parse(data) as Message);
  }

  close(code = 1000, reason = "") {
    if (this.readyState === FakeSocket.CLOSED) return;
    this.closedByClient = { code, reason };
    this.readyState = FakeSocket.CLOSED;
    setTimeout(() => this.onclose?.({ code, reason, wasClean: true }));
  }

  // The server's side.
  init(): Message | undefined {
    return this.sent.find((m) => m.type === "connection_init");
  }
  subscribes(): Message[] {
    return this.sent.filter((m) => m.type === "subscribe");
  }
  receive(message: Message) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  serverClose(code: number, reason: string) {
    this.readyState = FakeSocket.CLOSED;
    this.onclose?.({ code, reason, wasClean: true });
  }
}

type Event = { cursor: string; n: number };
const doc = parse("subscription S($after: String) { s(after: $after) { cursor n } }") as unknown as TypedDocumentNode<
  { s: Event },
  { after?: string | null }
>;

const origin = "http://replica";
const tokens = { "viewer-1": { name: "alice", role: "VIEWER" as const }, "viewer-2": { name: "bob", role: "VIEWER" as const } };
let api: Api | null = null;
const stops: (() => void)[] = [];

afterEach(() => {
  // Stopped first: a stream left open would resubscribe into the next test.
  for (const stop of stops.splice(0)) stop();
  api?.ws.dispose();
  api = null;
  FakeSocket.all = [];
});

function setup(stored: string | null) {
  const storage = new MemoryStorage();
  if (stored) storage.setItem(tokenKey, stored);
  const replica = fakeReplica(tokens);
  api = createApi(origin, { webSocketImpl: FakeSocket, fetchImpl: replica.fetchImpl, tokens: new TokenStore(storage) });
  const seen: number[] = [];
  const fail = vi.fn();
  const follow = () =>
    stops.push(subscribeLive(api!.ws, doc, {}, (d) => d.s, (e) => e.cursor, { next: (e) => seen.push(e.n), fail }, { retryDelay: () => 0 }));
  return { api, replica, storage, seen, fail, follow };
}

/** Waits for the n-th socket, acknowledges its connection_init, and returns it. */
async function accept(n: number): Promise<FakeSocket> {
  await vi.waitFor(() => expect(FakeSocket.all[n]?.init()).toBeDefined());
  const socket = FakeSocket.all[n]!;
  socket.receive({ type: "connection_ack" });
  return socket;
}

async function subscribed(socket: FakeSocket, count = 1): Promise<Message> {
  await vi.waitFor(() => expect(socket.subscribes()).toHaveLength(count));
  return socket.subscribes()[count - 1]!;
}

const event = (socket: FakeSocket, id: string, n: number) => socket.receive({ type: "next", id, payload: { data: { s: { cursor: `c${n}`, n } } } });

describe("the app's WebSocket and sign-in", () => {
  it("opens no socket before sign-in, then sends the token in connection_init", async () => {
    const { api, follow, seen } = setup(null);
    await api.auth.start();
    follow();
    await new Promise((r) => setTimeout(r, 20));
    expect(FakeSocket.all).toHaveLength(0);
    await api.auth.signIn("viewer-1");
    const socket = await accept(0);
    expect(socket.url).toBe("ws://replica/graphql");
    expect(socket.init()!.payload).toEqual({ authorization: "Bearer viewer-1" });
    const sub = await subscribed(socket);
    event(socket, sub.id!, 1);
    expect(seen).toEqual([1]);
  });

  it("sends no connection_init payload on a replica running open", async () => {
    const replica = fakeReplica({}, false);
    api = createApi(origin, { webSocketImpl: FakeSocket, fetchImpl: replica.fetchImpl, tokens: new TokenStore(new MemoryStorage()) });
    await api.auth.start();
    expect(api.auth.get()).toMatchObject({ kind: "signedIn", viewer: { authEnabled: false } });
    stops.push(subscribeLive(api.ws, doc, {}, (d) => d.s, (e) => e.cursor, { next: () => {} }));
    const socket = await accept(0);
    expect(socket.init()!.payload).toBeUndefined();
  });

  it("on close 4403 shows the sign-in form, and resumes the stream from its cursor after signing in again", async () => {
    const { api, follow, seen, storage, fail } = setup("viewer-1");
    await api.auth.start();
    follow();
    const first = await accept(0);
    const sub = await subscribed(first);
    event(first, sub.id!, 1);
    event(first, sub.id!, 2);

    first.serverClose(4403, "Forbidden");
    expect(api.auth.get()).toEqual({ kind: "signedOut", error: endedMessage(), trying: false });
    expect(storage.items.size).toBe(0);
    // Signed out, nothing reconnects.
    await new Promise((r) => setTimeout(r, 20));
    expect(FakeSocket.all).toHaveLength(1);

    await api.auth.signIn("viewer-2");
    const second = await accept(1);
    expect(second.init()!.payload).toEqual({ authorization: "Bearer viewer-2" });
    const resumed = await subscribed(second);
    expect((resumed.payload as { variables: { after: string } }).variables.after).toBe("c2");
    event(second, resumed.id!, 3);
    expect(seen).toEqual([1, 2, 3]);
    expect(fail).not.toHaveBeenCalled();
  });

  it("a token revoked mid-stream (UNAUTHENTICATED) signs the tab out; the stream resumes after sign-in", async () => {
    const { api, follow, seen, fail } = setup("viewer-1");
    await api.auth.start();
    follow();
    const socket = await accept(0);
    const sub = await subscribed(socket);
    event(socket, sub.id!, 1);
    socket.receive({ type: "error", id: sub.id!, payload: [{ message: "token revoked", extensions: { code: "UNAUTHENTICATED" } }] });
    expect(api.auth.get()).toEqual({ kind: "signedOut", error: endedMessage(), trying: false });
    // The tab closes its socket, opened with the revoked token.
    await vi.waitFor(() => expect(socket.closedByClient?.code).toBe(signedOutCloseCode));

    await api.auth.signIn("viewer-2");
    const next = await accept(1);
    const resumed = await subscribed(next);
    expect((resumed.payload as { variables: { after: string } }).variables.after).toBe("c1");
    event(next, resumed.id!, 2);
    expect(seen).toEqual([1, 2]);
    expect(fail).not.toHaveBeenCalled();
  });

  it("signing out closes the socket and opens none until the next sign-in", async () => {
    const { api, follow } = setup("viewer-1");
    await api.auth.start();
    follow();
    const socket = await accept(0);
    await subscribed(socket);
    api.auth.signOut();
    expect(socket.closedByClient).toEqual({ code: signedOutCloseCode, reason: "signed out" });
    await new Promise((r) => setTimeout(r, 20));
    expect(FakeSocket.all).toHaveLength(1);
    expect(api.connection.get()).toBe("live"); // a sign-out is not a lost connection
    await api.auth.signIn("viewer-1");
    await accept(1);
  });

  it("sends the token on every HTTP request of the session's urql client", async () => {
    const { api, replica } = setup("viewer-2");
    await api.auth.start();
    const urql = api.newUrql();
    await urql.query(parse("query { dataSources(first: 1) { totalCount } }"), {}).toPromise();
    // viewer, then the query's hash (PersistedQueryNotFound) and the query.
    expect(replica.seen.map((s) => s.authorization)).toEqual(["Bearer viewer-2", "Bearer viewer-2", "Bearer viewer-2"]);
    expect(replica.seen.slice(1).map((s) => s.url)).toEqual(["http://replica/graphql", "http://replica/graphql"]);
  });
});
