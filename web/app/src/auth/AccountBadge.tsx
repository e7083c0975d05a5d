import { useApi } from "../api/context";
import { useViewer } from "./AuthGate";
import { roleName } from "./roles";

/** The header's account: the token's name and role, and sign-out; or "open access". */
export function AccountBadge() {
  const { auth } = useApi();
  const viewer = useViewer();
  if (!viewer.authEnabled)
    return (
      <span className="account muted small" data-account="open" title="This replica runs without authentication: everyone may do everything.">
        open access
      </span>
    );
  return (
    <span className="account small" data-account={viewer.role}>
      <span className="account-name">{viewer.tokenName ?? "token"}</span>{" "}
      <span className="pill" data-role={viewer.role}>
        {roleName(viewer.role)}
      </span>{" "}
      <button type="button" className="link" onClick={() => auth.signOut()}>
        Sign out
      </button>
    </span>
  );
}
