import { Link } from "wouter";
import { useViewer } from "../auth/AuthGate";
import { roleName, roleNeeded, type Ability } from "../auth/roles";

/** In place of a screen the viewer's role may not use. */
export function RoleRequired({ ability, doing }: { ability: Ability; doing: string }) {
  const viewer = useViewer();
  return (
    <section className="state state-forbidden" data-forbidden={ability} aria-labelledby="forbidden-title">
      <h1 id="forbidden-title">Your role cannot {doing}</h1>
      <p>
        You are signed in as <strong>{viewer.tokenName ?? "a token"}</strong>, with the {roleName(viewer.role).toLowerCase()} role.{" "}
        {doing.charAt(0).toUpperCase() + doing.slice(1)} needs the {roleName(roleNeeded(ability)).toLowerCase()} role or higher: sign in with
        such a token, or ask an admin for one.
      </p>
      <p>
        <Link href="/">Go to the datasources</Link>
      </p>
    </section>
  );
}
