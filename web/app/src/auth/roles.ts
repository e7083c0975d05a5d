import type { Role } from "../gql/graphql";

// What each role may do in the app, as schema/auth.graphqls says: each role
// includes the ones before it. The server enforces it (FORBIDDEN); the app
// only hides what would fail.

const rank: Record<Role, number> = { VIEWER: 0, EDITOR: 1, ADMIN: 2 };

/** Who the app is talking as: the answer to `viewer`. */
export type ViewerInfo = { authEnabled: boolean; role: Role; tokenName: string | null };

/** What a screen may offer. */
export type Ability = "editDataSources" | "manageTokens";

const needs: Record<Ability, Role> = {
  // create, update (and enable/disable), delete; pause, resume, run now
  editDataSources: "EDITOR",
  // apiTokens, createApiToken, revokeApiToken
  manageTokens: "ADMIN",
};

export function roleIncludes(role: Role, needed: Role): boolean {
  return rank[role] >= rank[needed];
}

export function can(viewer: ViewerInfo | null, ability: Ability): boolean {
  return viewer !== null && roleIncludes(viewer.role, needs[ability]);
}

/** The role an ability needs, for "your role cannot…" messages. */
export function roleNeeded(ability: Ability): Role {
  return needs[ability];
}

export function roleName(role: Role): string {
  return role.charAt(0) + role.slice(1).toLowerCase();
}
