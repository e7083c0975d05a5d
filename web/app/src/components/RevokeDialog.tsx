import { useEffect, useRef } from "react";
import { useMutation } from "urql";
import { errorText } from "../api/errors";
import { graphql } from "../gql";

const RevokeMutation = graphql(`
  mutation RevokeApiToken($name: String!) {
    revokeApiToken(name: $name) {
      ...ApiTokenFields
    }
  }
`);

/** Asks before revoking a token: it cannot be undone. own: the tab is signed in with it. */
export function RevokeDialog({ name, own, onCancel, onRevoked }: { name: string; own: boolean; onCancel: () => void; onRevoked: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [state, revoke] = useMutation(RevokeMutation);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  return (
    <dialog ref={ref} className="dialog" aria-labelledby="revoke-title" onClose={onCancel}>
      <form
        method="dialog"
        onSubmit={async (e) => {
          e.preventDefault();
          const result = await revoke({ name }, { additionalTypenames: ["ApiToken"] });
          if (!result.error) onRevoked();
        }}
      >
        <h2 id="revoke-title">Revoke {name}?</h2>
        <p>
          Every replica refuses it within a second, and ends its open subscriptions. This cannot be undone: whoever uses it needs a new token.
        </p>
        {own && (
          <p className="error-text">
            <strong>This is the token you are signed in with:</strong> this tab will be signed out.
          </p>
        )}
        {state.error && (
          <p className="error-text" role="alert">
            {errorText(state.error)}
          </p>
        )}
        <div className="actions">
          <button type="button" onClick={() => ref.current?.close()}>
            Cancel
          </button>
          <button type="submit" className="danger" disabled={state.fetching}>
            Revoke token
          </button>
        </div>
      </form>
    </dialog>
  );
}
