import { describe, expect, it, vi } from "vitest";
import { AuthSession, cleanToken, emptyTokenMessage, endedMessage } from "./session";
import { fakeReplica, MemoryStorage } from "./testing";
import { TokenStore, tokenKey } from "./tokenStore";
import { authHeaders, connectionParams } from "./credentials";
import { askViewer, type ViewerAnswer } from "./viewerQuery";

// The sign-in flow against a fake replica's /graphql: on start the app asks
// `viewer`; a 401 leads to the form; a refused token is said so and not
// kept; an accepted one is kept for the tab and sent from then on.

const url = "http://replica/graphql";
const tokens = { "good-viewer": { name: "alice", role: "VIEWER" as const }, "good-admin": { name: "root", role: "ADMIN" as const } };

function setup(stored: string | null = null, authEnabled = true) {
  const storage = new MemoryStorage();
  if (stored) storage.setItem(tokenKey, stored);
  const store = new TokenStore(storage);
  const replica = fakeReplica(tokens, authEnabled);
  const signedOut = vi.fn();
  const auth = new AuthSession(store, (t) => askViewer(url, t, replica.fetchImpl), signedOut);
  return { auth, storage, replica, signedOut };
}

describe("AuthSession", () => {
  it("shows the sign-in form when the replica answers 401 to viewer", async () => {
    const { auth, replica } = setup();
    expect(auth.get().kind).toBe("checking");
    expect(auth.live()).toBe(false);
    await auth.start();
    expect(auth.get()).toEqual({ kind: "signedOut", error: null, trying: false });
    expect(replica.seen).toHaveLength(1);
    expect(replica.seen[0]!.authorization).toBeNull();
    expect(replica.seen[0]!.body).toContain("viewer");
  });

  it("refuses a bad token with a clear message, and keeps nothing", async () => {
    const { auth, storage } = setup();
    await auth.start();
    const trying = auth.signIn("  wrong  ");
    expect(auth.get()).toEqual({ kind: "signedOut", error: null, trying: true });
    await trying;
    const state = auth.get();
    expect(state.kind).toBe("signedOut");
    expect(state.kind === "signedOut" && state.error).toContain("The server refused this token (invalid or revoked token)");
    expect(storage.items.size).toBe(0);
    expect(auth.token()).toBeNull();
  });

  it("asks for a token when none was pasted, without asking the server", async () => {
    const { auth, replica } = setup();
    await auth.start();
    await auth.signIn("   ");
    expect(auth.get()).toEqual({ kind: "signedOut", error: emptyTokenMessage, trying: false });
    expect(replica.seen).toHaveLength(1);
  });

  it("keeps an accepted token for the tab and sends it from then on", async () => {
    const { auth, storage, replica } = setup();
    await auth.start();
    await auth.signIn("Bearer good-viewer\n");
    expect(auth.get()).toEqual({ kind: "signedIn", viewer: { authEnabled: true, role: "VIEWER", tokenName: "alice" }, session: 1 });
    expect(auth.live()).toBe(true);
    expect(storage.getItem(tokenKey)).toBe("good-viewer");
    expect(replica.seen[1]!.authorization).toBe("Bearer good-viewer");
    expect(auth.token()).toBe("good-viewer");
  });

  it("signs straight in with the token the tab already holds", async () => {
    const { auth, replica } = setup("good-admin");
    await auth.start();
    expect(auth.get()).toMatchObject({ kind: "signedIn", viewer: { role: "ADMIN", tokenName: "root" } });
    expect(replica.seen[0]!.authorization).toBe("Bearer good-admin");
  });

  it("drops a held token the replica no longer accepts, and says why", async () => {
    const { auth, storage } = setup("revoked-one");
    await auth.start();
    expect(auth.get()).toEqual({ kind: "signedOut", error: endedMessage(), trying: false });
    expect(storage.items.size).toBe(0);
  });

  it("runs open, without sign-in, when the replica has no authentication", async () => {
    const { auth, storage } = setup(null, false);
    await auth.start();
    expect(auth.get()).toEqual({ kind: "signedIn", viewer: { authEnabled: false, role: "ADMIN", tokenName: null }, session: 1 });
    expect(storage.items.size).toBe(0);
  });

  it("goes to the form when a request is refused while signed in, and closes the socket", async () => {
    const { auth, storage, signedOut } = setup("good-viewer");
    await auth.start();
    auth.unauthenticated();
    expect(auth.get()).toEqual({ kind: "signedOut", error: endedMessage(), trying: false });
    expect(storage.items.size).toBe(0);
    expect(signedOut).toHaveBeenCalledTimes(1);
    // Further refusals (other requests in flight) change nothing.
    auth.unauthenticated();
    expect(signedOut).toHaveBeenCalledTimes(1);
  });

  it("asks again when a replica that ran open starts refusing", async () => {
    const answers: ViewerAnswer[] = [
      { kind: "viewer", viewer: { authEnabled: false, role: "ADMIN", tokenName: null } },
      { kind: "unauthenticated", message: "missing bearer token" },
    ];
    const auth = new AuthSession(new TokenStore(new MemoryStorage()), async () => answers.shift()!);
    await auth.start();
    expect(auth.get().kind).toBe("signedIn");
    auth.unauthenticated();
    await vi.waitFor(() => expect(auth.get()).toEqual({ kind: "signedOut", error: null, trying: false }));
  });

  it("signs out: forgets the token, closes the socket, shows the form without an error", async () => {
    const { auth, storage, signedOut } = setup("good-admin");
    await auth.start();
    auth.signOut();
    expect(auth.get()).toEqual({ kind: "signedOut", error: null, trying: false });
    expect(storage.items.size).toBe(0);
    expect(signedOut).toHaveBeenCalledTimes(1);
    await auth.signIn("good-viewer");
    expect(auth.get()).toMatchObject({ kind: "signedIn", viewer: { role: "VIEWER" }, session: 2 });
  });

  it("says when the replica cannot be reached, and asks again on retry", async () => {
    let up = false;
    const replica = fakeReplica(tokens);
    const fetchImpl: typeof fetch = (input, init) => (up ? replica.fetchImpl(input, init) : Promise.reject(new TypeError("Failed to fetch")));
    const auth = new AuthSession(new TokenStore(new MemoryStorage()), (t) => askViewer(url, t, fetchImpl));
    await auth.start();
    expect(auth.get()).toEqual({ kind: "failed", message: "The server could not be reached (Failed to fetch)." });
    up = true;
    auth.retry();
    await vi.waitFor(() => expect(auth.get().kind).toBe("signedOut"));
  });

  it("drops an answer that comes after the tab moved on", async () => {
    let answer!: (a: ViewerAnswer) => void;
    const auth = new AuthSession(new TokenStore(new MemoryStorage()), () => new Promise((r) => (answer = r)));
    const trying = auth.signIn("slow");
    auth.signOut();
    answer({ kind: "viewer", viewer: { authEnabled: true, role: "ADMIN", tokenName: "slow" } });
    await trying;
    expect(auth.get()).toEqual({ kind: "signedOut", error: null, trying: false });
    expect(auth.token()).toBeNull();
  });

  it("lets subscriptions through only once signed in", async () => {
    const { auth } = setup();
    const ready = vi.fn();
    const cancelled = vi.fn();
    auth.whenLive(ready);
    const cancel = auth.whenLive(cancelled);
    cancel();
    await auth.start();
    expect(ready).not.toHaveBeenCalled();
    await auth.signIn("good-viewer");
    expect(ready).toHaveBeenCalledTimes(1);
    expect(cancelled).not.toHaveBeenCalled();
    const now = vi.fn();
    auth.whenLive(now);
    expect(now).toHaveBeenCalledTimes(1);
    auth.signOut();
    await auth.signIn("good-viewer");
    expect(ready).toHaveBeenCalledTimes(1);
  });
});

describe("askViewer", () => {
  it("reads an UNAUTHENTICATED error in a 200 as a refusal too", async () => {
    const fetchImpl: typeof fetch = async () =>
      new Response(JSON.stringify({ errors: [{ message: "token expired", extensions: { code: "UNAUTHENTICATED" } }] }), { status: 200 });
    expect(await askViewer(url, "t", fetchImpl)).toEqual({ kind: "unauthenticated", message: "token expired" });
  });

  it("reads a 401 without a JSON body as a refusal", async () => {
    const fetchImpl: typeof fetch = async () => new Response("no", { status: 401 });
    expect(await askViewer(url, "t", fetchImpl)).toEqual({ kind: "unauthenticated", message: "" });
  });

  it("reports any other failure as such", async () => {
    const fetchImpl: typeof fetch = async () => new Response("bad gateway", { status: 502 });
    expect(await askViewer(url, null, fetchImpl)).toEqual({ kind: "failed", message: "The server did not say who you are (HTTP 502)." });
  });
});

describe("what a request carries", () => {
  it("puts the token in the Authorization header and in connection_init, and nothing without one", () => {
    expect(authHeaders("abc")).toEqual({ authorization: "Bearer abc" });
    expect(connectionParams("abc")).toEqual({ authorization: "Bearer abc" });
    expect(authHeaders(null)).toEqual({});
    expect(connectionParams(null)).toBeUndefined();
  });

  it("cleans a pasted token", () => {
    expect(cleanToken("  ezt_abc \n")).toBe("ezt_abc");
    expect(cleanToken("Bearer ezt_abc")).toBe("ezt_abc");
    expect(cleanToken("bearer   ezt_abc")).toBe("ezt_abc");
    expect(cleanToken("Bearer ")).toBe("");
  });
});
