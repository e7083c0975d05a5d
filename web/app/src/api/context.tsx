import { createContext, useContext, useSyncExternalStore, type ReactNode } from "react";
import { Provider as UrqlProvider } from "urql";
import type { Api } from "./client";
import type { ConnectionState } from "./connection";

const ApiContext = createContext<Api | null>(null);

export function ApiProvider({ api, children }: { api: Api; children: ReactNode }) {
  return (
    <ApiContext.Provider value={api}>
      <UrqlProvider value={api.urql}>{children}</UrqlProvider>
    </ApiContext.Provider>
  );
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
