import type { CreateApiTokenInput, Role } from "../gql/graphql";

// The Tokens screen's logic: checking the create form before it is sent,
// and what state each token is in.

export const roles: readonly Role[] = ["VIEWER", "EDITOR", "ADMIN"];

/** schema/auth.graphqls: 1-64 letters, digits, '.', '_' or '-'. */
export const tokenNamePattern = /^[A-Za-z0-9._-]{1,64}$/;

export type TokenFormValues = {
  name: string;
  role: Role;
  /** A datetime-local value in the browser's zone; "" never expires. */
  expires: string;
};

export const emptyTokenForm: TokenFormValues = { name: "", role: "VIEWER", expires: "" };

export type TokenFormErrors = Partial<Record<keyof TokenFormValues, string>>;

/** The mutation's input, or what is wrong with the form. */
export function tokenInput(values: TokenFormValues, now: Date): { input: CreateApiTokenInput } | { errors: TokenFormErrors } {
  const errors: TokenFormErrors = {};
  const name = values.name.trim();
  if (name === "") errors.name = "Give the token a name: who or what uses it.";
  else if (!tokenNamePattern.test(name)) errors.name = "Use 1 to 64 letters, digits, '.', '_' or '-' (no spaces).";
  if (!roles.includes(values.role)) errors.role = "Choose viewer, editor or admin.";
  let expiresAt: string | null = null;
  if (values.expires !== "") {
    const at = new Date(values.expires);
    if (Number.isNaN(at.getTime())) errors.expires = "Not a date and time.";
    else if (at.getTime() <= now.getTime()) errors.expires = "Must be in the future, or empty for a token that never expires.";
    else expiresAt = at.toISOString();
  }
  if (Object.keys(errors).length > 0) return { errors };
  return { input: { name, role: values.role, expiresAt } };
}

export type TokenState = "active" | "expired" | "revoked";

export function tokenState(token: { expiresAt?: string | null; revokedAt?: string | null }, now: Date): TokenState {
  if (token.revokedAt) return "revoked";
  if (token.expiresAt && Date.parse(token.expiresAt) <= now.getTime()) return "expired";
  return "active";
}

/** A token not revoked yet can be revoked; an expired one too, so that it says so. */
export function canRevoke(token: { revokedAt?: string | null }): boolean {
  return !token.revokedAt;
}

/** Counts for the screen's heading. */
export function tokenCounts(tokens: readonly { expiresAt?: string | null; revokedAt?: string | null }[], now: Date): Record<TokenState, number> {
  const counts: Record<TokenState, number> = { active: 0, expired: 0, revoked: 0 };
  for (const t of tokens) counts[tokenState(t, now)]++;
  return counts;
}
