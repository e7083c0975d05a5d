import { createContext, Fragment, useContext, useMemo, type ReactNode } from "react";
import { Provider as UrqlProvider } from "urql";
import { useApi, useAuthState } from "../api/context";
import { ErrorState, Loading } from "../components/States";
import { can, type Ability, type ViewerInfo } from "./roles";
import { SignInPage } from "./SignInPage";

const ViewerContext = createContext<ViewerInfo | null>(null);

/**
 * Shows the app only once the replica has said who the tab is: the sign-in
 * form while signed out, the app (with a fresh urql client per sign-in)
 * once signed in or when the replica runs open.
 */
export function AuthGate({ children }: { children: ReactNode }) {
  const api = useApi();
  const state = useAuthState();
  const session = state.kind === "signedIn" ? state.session : 0;
  const urql = useMemo(() => api.newUrql(), [api, session]);

  switch (state.kind) {
    case "checking":
      return (
        <main id="main">
          <Loading what="who you are" />
        </main>
      );
    case "failed":
      return (
        <main id="main">
          <ErrorState title="The replica could not be asked who you are" message={state.message} retry={() => api.auth.retry()} />
        </main>
      );
    case "signedOut":
      return <SignInPage error={state.error} trying={state.trying} onSignIn={(token) => void api.auth.signIn(token)} />;
    case "signedIn":
      return (
        <ViewerContext.Provider value={state.viewer}>
          <UrqlProvider value={urql}>
            {/* A new sign-in starts every screen afresh. */}
            <Fragment key={session}>{children}</Fragment>
          </UrqlProvider>
        </ViewerContext.Provider>
      );
  }
}

/** Who the app runs as (inside AuthGate). */
export function useViewer(): ViewerInfo {
  const viewer = useContext(ViewerContext);
  if (!viewer) throw new Error("useViewer outside AuthGate");
  return viewer;
}

/** Whether the viewer's role may do it: screens hide what it may not. */
export function useCan(ability: Ability): boolean {
  return can(useContext(ViewerContext), ability);
}
