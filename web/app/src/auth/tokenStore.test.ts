import { afterEach, describe, expect, it } from "vitest";
import { MemoryStorage } from "./testing";
import { TokenStore, tokenKey, type TokenStorage } from "./tokenStore";

// The token is kept in sessionStorage (the tab) and nowhere else.

const globals = globalThis as { sessionStorage?: unknown; localStorage?: unknown };

afterEach(() => {
  delete globals.sessionStorage;
  delete globals.localStorage;
});

function browserStorages() {
  const session = new MemoryStorage();
  const local = new MemoryStorage();
  globals.sessionStorage = session;
  globals.localStorage = local;
  return { session, local };
}

describe("TokenStore", () => {
  it("keeps the token in sessionStorage only, never in localStorage", () => {
    const { session, local } = browserStorages();
    const store = new TokenStore();
    expect(store.get()).toBeNull();
    store.set("secret-1");
    expect(store.get()).toBe("secret-1");
    expect([...session.items]).toEqual([[tokenKey, "secret-1"]]);
    expect(local.items.size).toBe(0);
  });

  it("finds the tab's token after a reload, and forgets it on clear", () => {
    const { session, local } = browserStorages();
    new TokenStore().set("secret-2");
    const reloaded = new TokenStore();
    expect(reloaded.get()).toBe("secret-2");
    reloaded.clear();
    expect(reloaded.get()).toBeNull();
    expect(session.items.size).toBe(0);
    expect(new TokenStore().get()).toBeNull();
    expect(local.items.size).toBe(0);
  });

  it("keeps the token in memory when the browser refuses storage", () => {
    const refusing: TokenStorage = {
      getItem: () => {
        throw new Error("SecurityError");
      },
      setItem: () => {
        throw new Error("QuotaExceededError");
      },
      removeItem: () => {
        throw new Error("SecurityError");
      },
    };
    const store = new TokenStore(refusing);
    expect(store.get()).toBeNull();
    store.set("secret-3");
    expect(store.get()).toBe("secret-3");
    store.clear();
    expect(store.get()).toBeNull();
  });

  it("works without any storage (no sessionStorage at all)", () => {
    const store = new TokenStore();
    store.set("secret-4");
    expect(store.get()).toBe("secret-4");
  });
});
