import type { TokenStorage } from "./tokenStore";

// Stand-ins the auth tests share: a Storage, and a replica's /graphql that
// knows a few tokens. (Not a *.test.ts file: Vitest does not run it.)

export class MemoryStorage implements TokenStorage {
  readonly items = new Map<string, string>();
  getItem = (key: string): string | null => this.items.get(key) ?? null;
  setItem = (key: string, value: string): void => void this.items.set(key, value);
  removeItem = (key: string): void => void this.items.delete(key);
}

export type Seen = { url: string; authorization: string | null; body: string };

/**
 * A fetch that answers `viewer` (and any other query with `{}`) as a
 * replica with these tokens would: name → role. authEnabled false answers
 * everyone as ADMIN. Every request is recorded.
 */
export function fakeReplica(tokens: Record<string, { name: string; role: "VIEWER" | "EDITOR" | "ADMIN" }>, authEnabled = true) {
  const seen: Seen[] = [];
  const fetchImpl: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    const authorization = headers.get("authorization");
    seen.push({ url: String(input), authorization, body: String(init?.body ?? "") });
    const json = (status: number, body: unknown) =>
      new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
    if (!authEnabled) return json(200, { data: { viewer: { authEnabled: false, role: "ADMIN", tokenName: null } } });
    const token = authorization?.replace(/^Bearer /, "") ?? "";
    const who = tokens[token];
    if (!who) {
      const message = authorization ? "invalid or revoked token" : "missing bearer token";
      return json(401, { errors: [{ message, extensions: { code: "UNAUTHENTICATED" } }] });
    }
    if (String(init?.body).includes("viewer")) return json(200, { data: { viewer: { authEnabled: true, role: who.role, tokenName: who.name } } });
    return json(200, { data: {} });
  };
  return { fetchImpl, seen };
}
