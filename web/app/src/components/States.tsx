import type { ReactNode } from "react";

export function Loading({ what }: { what: string }) {
  return (
    <p className="state state-loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function ErrorState({ title, message, retry }: { title: string; message: string; retry?: () => void }) {
  return (
    <div className="state state-error" role="alert">
      <strong>{title}</strong>
      <p>{message}</p>
      {retry && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="state state-empty">{children}</div>;
}

/** Said above a screen that shows the last data it loaded because a refresh failed. */
export function StaleNotice({ error }: { error: { message: string } | undefined }) {
  if (!error) return null;
  return (
    <p className="state-stale" role="status">
      Showing what was last loaded; refreshing failed ({error.message}). It refreshes by itself when the connection is back.
    </p>
  );
}
