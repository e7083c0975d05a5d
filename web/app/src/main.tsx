import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { createApi } from "./api/client";
import { ApiProvider } from "./api/context";
import { AuthGate } from "./auth/AuthGate";
import "./styles.css";

const api = createApi();
// Who the tab is: sign-in form, app, or open access (auth/session.ts).
void api.auth.start();

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <ApiProvider api={api}>
      <AuthGate>
        <App />
      </AuthGate>
    </ApiProvider>
  </StrictMode>,
);
