// What carries the token: the HTTP header, and graphql-ws's connection_init
// payload (schema/auth.graphqls).

/** The header every HTTP request carries: the token, when there is one. */
export function authHeaders(token: string | null): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** graphql-ws's connection_init payload: the token, when there is one (else no payload). */
export function connectionParams(token: string | null): Record<string, string> | undefined {
  return token ? { authorization: `Bearer ${token}` } : undefined;
}
