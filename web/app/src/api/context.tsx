import { createContext, useContext, useSyncExternalStore, type ReactNode } from "react";
import type { AuthState } from "../auth/session";
import type { Api } from "./client";
import type { ConnectionState } from "./connection";

const ApiContext = createContext<Api | null>(null);

/** The api; the urql client of each session is provided by AuthGate. */
export function ApiProvider({ api, children }: { api: Api; children: ReactNode }) {
  return <ApiContext.Provider value={api}>{children}</ApiContext.Provider>;
}

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error("useApi outside ApiProvider");
  return api;
}

export function useConnectionState(): ConnectionState {
  const { connection } = useApi();
  return useSyncExternalStore(connection.subscribe, connection.get);
}

export function useAuthState(): AuthState {
  const { auth } = useApi();
  return useSyncExternalStore(auth.subscribe, auth.get);
}
