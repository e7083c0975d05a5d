import { stringifyDocument } from "@urql/core";
import { graphql } from "../gql";
import { authHeaders } from "./credentials";
import type { ViewerInfo } from "./roles";

export const ViewerQuery = graphql(`
  query Viewer {
    viewer {
      authEnabled
      role
      tokenName
    }
  }
`);

/** What asking `viewer` with a token gave. */
export type ViewerAnswer =
  | { kind: "viewer"; viewer: ViewerInfo }
  /** HTTP 401, or UNAUTHENTICATED: the token is missing, wrong, expired or revoked. */
  | { kind: "unauthenticated"; message: string }
  /** The replica could not be reached, or said something else. */
  | { kind: "failed"; message: string };

type Body = { data?: { viewer?: ViewerInfo | null } | null; errors?: { message: string; extensions?: { code?: string } }[] };

/**
 * Asks the replica who token (null: none) is. Its own request, not urql's,
 * so that a token being tried is never the one every other request sends.
 */
export async function askViewer(url: string, token: string | null, fetchImpl: typeof fetch = fetch): Promise<ViewerAnswer> {
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json, application/json", ...authHeaders(token) },
      body: JSON.stringify({ query: stringifyDocument(ViewerQuery) }),
    });
  } catch (err) {
    return { kind: "failed", message: `The server could not be reached (${err instanceof Error ? err.message : String(err)}).` };
  }
  let body: Body | null = null;
  try {
    body = (await response.json()) as Body;
  } catch {
    // Not JSON: judged by the status alone.
  }
  const unauthenticated = body?.errors?.find((e) => e.extensions?.code === "UNAUTHENTICATED");
  if (response.status === 401 || unauthenticated)
    return { kind: "unauthenticated", message: unauthenticated?.message ?? body?.errors?.[0]?.message ?? "" };
  const viewer = body?.data?.viewer;
  if (response.ok && viewer) return { kind: "viewer", viewer };
  const message = body?.errors?.map((e) => e.message).join("; ") || `HTTP ${response.status}`;
  return { kind: "failed", message: `The server did not say who you are (${message}).` };
}
