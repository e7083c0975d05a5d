import { useId, useState } from "react";

/** The command that makes a token, as the help text shows it. */
export const tokenCommand = "ezplatform token create --role viewer --name you";

/** The sign-in form: paste a token; error says why the last one was refused. */
export function SignInPage({ error, trying, onSignIn }: { error: string | null; trying: boolean; onSignIn: (token: string) => void }) {
  const [token, setToken] = useState("");
  const id = useId();
  return (
    <>
      <header className="top">
        <span className="brand">EZ Platform</span>
      </header>
      <main id="main">
        <section className="signin" aria-labelledby="signin-title">
          <h1 id="signin-title">Sign in</h1>
          <p className="muted">This replica asks for an API token. It is kept in this tab only, until you sign out or close the tab.</p>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              onSignIn(token);
            }}
          >
            <div className={`field${error ? " field-invalid" : ""}`}>
              <label htmlFor={id}>API token</label>
              <input
                id={id}
                type="password"
                value={token}
                onChange={(e) => setToken(e.target.value)}
                autoComplete="off"
                spellCheck={false}
                autoFocus
                aria-invalid={error ? true : undefined}
                aria-describedby={`${error ? `${id}-error ` : ""}${id}-hint`}
              />
              {error && (
                <p className="field-errors signin-error" id={`${id}-error`} role="alert">
                  {error}
                </p>
              )}
              <div className="hint" id={`${id}-hint`}>
                No token? Create one with <code>{tokenCommand}</code>, or ask an admin for one.
              </div>
            </div>
            <div className="actions form-actions">
              <button type="submit" className="primary" disabled={trying}>
                {trying ? "Checking…" : "Sign in"}
              </button>
            </div>
          </form>
        </section>
      </main>
    </>
  );
}
