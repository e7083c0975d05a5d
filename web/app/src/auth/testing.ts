import type { TokenStorage } from "./tokenStore";

// Stand-ins the auth tests share: a Storage, and a replica's /graphql that
// knows a few tokens. (Not a *.test.ts file: Vitest does not run it.)

export class MemoryStorage implements TokenStorage {
  readonly items = new Map<string, string>();
  getItem = (key: string): string | null => this.items.get(key) ?? null;
  setItem = (key: string, value: string): void => void this.items.set(key, value);
  removeItem = (key: string): void => void this.items.delete(key);
}

export type Seen = {
  url: string;
  authorization: string | null;
  accept: string | null;
  body: string;
  /** The query the request carried, if any (a persisted one may carry only its hash). */
  query: string | null;
  /** extensions.persistedQuery.sha256Hash, if any. */
  hash: string | null;
  /** The query the replica ran: the one sent, or the one it knew by hash. */
  ran: string | null;
};

type Body = { query?: string; extensions?: { persistedQuery?: { version?: number; sha256Hash?: string } } };

export const persistedQueryNotFound = "PersistedQueryNotFound";

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A fetch that answers `viewer` (and any other query with `{}`) as a
 * replica with these tokens would: name → role. authEnabled false answers
 * everyone as ADMIN. Every request is recorded.
 *
 * Like the server (gqlgen's AutomaticPersistedQuery), it keeps the queries
 * it was sent by their SHA-256: a hash it does not know is answered with
 * PersistedQueryNotFound, a hash that is not the query's with an error.
 */
export function fakeReplica(tokens: Record<string, { name: string; role: "VIEWER" | "EDITOR" | "ADMIN" }>, authEnabled = true) {
  const seen: Seen[] = [];
  const known = new Map<string, string>(); // hash → query
  const fetchImpl: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    const authorization = headers.get("authorization");
    const body = String(init?.body ?? "");
    const parsed = JSON.parse(body || "{}") as Body;
    const hash = parsed.extensions?.persistedQuery?.sha256Hash ?? null;
    const sent: Seen = { url: String(input), authorization, accept: headers.get("accept"), body, query: parsed.query ?? null, hash, ran: null };
    seen.push(sent);
    // application/graphql-response+json, which urql asks for first: the
    // server answers a request error with 400 then.
    const json = (status: number, answer: unknown) =>
      new Response(JSON.stringify(answer), { status, headers: { "content-type": "application/graphql-response+json" } });
    const requestError = (message: string, code: string) => json(400, { errors: [{ message, extensions: { code } }] });
    const token = authorization?.replace(/^Bearer /, "") ?? "";
    const who = tokens[token];
    if (authEnabled && !who) {
      const message = authorization ? "invalid or revoked token" : "missing bearer token";
      return json(401, { errors: [{ message, extensions: { code: "UNAUTHENTICATED" } }] });
    }
    let query = parsed.query ?? null;
    if (hash !== null) {
      if (query === null) {
        query = known.get(hash) ?? null;
        if (query === null) return requestError(persistedQueryNotFound, "PERSISTED_QUERY_NOT_FOUND");
      } else if ((await sha256Hex(query)) !== hash) {
        return requestError("provided APQ hash does not match query", "APQ_HASH_MISMATCH");
      } else {
        known.set(hash, query);
      }
    }
    if (query === null) return requestError("the request has no query", "BAD_REQUEST");
    sent.ran = query;
    if (!authEnabled) return json(200, { data: { viewer: { authEnabled: false, role: "ADMIN", tokenName: null } } });
    if (query.includes("viewer")) return json(200, { data: { viewer: { authEnabled: true, role: who!.role, tokenName: who!.name } } });
    return json(200, { data: {} });
  };
  return { fetchImpl, seen };
}
